package nginx

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAccessLogHandsAuditRecordsOver: the audit records among nginx's
// stdout lines go to audit, every other line to the stream, in order.
func TestAccessLogHandsAuditRecordsOver(t *testing.T) {
	var stdout, stderr bytes.Buffer
	var taken []string
	a := newAccessLog(&stdout, &stderr, func(line []byte) bool {
		if bytes.HasPrefix(line, []byte("{audit")) {
			taken = append(taken, string(line))
			return true
		}
		return false
	})
	a.write([]byte("one\n{audit 1}\n{audit 2}\ntwo\nthree\n{audit 3}\n"))
	a.write([]byte("four\n"))
	require.Equal(t, "one\ntwo\nthree\nfour\n", stdout.String())
	require.Equal(t, []string{"{audit 1}", "{audit 2}", "{audit 3}"}, taken)
	require.Empty(t, stderr.String())

	plain := newAccessLog(&stderr, &stderr, nil)
	plain.write([]byte("{audit 4}\n"))
	require.True(t, strings.HasPrefix(stderr.String(), "{audit 4}"), "without audit, every line is passed on")
}
