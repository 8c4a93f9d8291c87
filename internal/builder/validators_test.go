package builder

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/validation"
)

// FuzzValidatorsMatchAPIMachinery checks that the hand-written validators
// accept exactly what the API server's would.
func FuzzValidatorsMatchAPIMachinery(f *testing.F) {
	for _, seed := range []string{"", "a", "a.b", "a-b", "-a", "a-", "a..b", ".a", "a.", "A", "a_b", "http", "h--p",
		"123", "1-2", "a\n", "abcdefghijklmnop", "é", "x.y-z.0", "a.-b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		require.Equal(t, len(validation.IsDNS1123Subdomain(s)) == 0, isDNSSubdomain(s), "subdomain %q", s)
		require.Equal(t, len(validation.IsDNS1123Label(s)) == 0, len(s) <= maxDNSLabel && isDNSLabel(s), "label %q", s)
		require.Equal(t, len(validation.IsValidPortName(s)) == 0, checkPortName(s) == nil, "port name %q", s)
	})
}

// FuzzParseAddressCanonical checks that parseAddress returns the canonical
// text of every address it accepts, also when it skips formatting.
func FuzzParseAddressCanonical(f *testing.F) {
	for _, seed := range []string{"10.0.0.1", "010.0.0.1", "::ffff:10.0.0.1", "FD00::1", "fd00:0::1", "1.2.3", "fe80::1%eth0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseAddress(s)
		addr, perr := netip.ParseAddr(s)
		if err != nil {
			return
		}
		require.NoError(t, perr)
		require.Equal(t, addr.String(), got)
	})
}
