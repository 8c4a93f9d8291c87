package grammar

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// grammarCase lists values a grammar must accept, with what it returns,
// and values it must refuse.
type grammarCase struct {
	parse   func(string) (any, error)
	valid   map[string]any
	invalid []string
}

func wrap[T any](parse func(string) (T, error)) func(string) (any, error) {
	return func(s string) (any, error) { return parse(s) }
}

// The cases pin the rules the annotations and the ConfigMap used to
// disagree on (see doc.go).
var grammarCases = map[string]grammarCase{
	"Bool: strconv.ParseBool's words, as ingress-nginx reads both": {parse: wrap(Bool),
		valid:   map[string]any{"true": true, "False": false, "TRUE": true, "1": true, "0": false, "t": true, "F": false},
		invalid: []string{"", "yes", "on", "tRuE", " true", "2"}},
	"HeaderName: letters, digits, - and _, at most 128": {parse: wrap(HeaderName),
		valid: map[string]any{"X-Forwarded-For": "X-Forwarded-For", "x_user_group": "x_user_group", "1X": "1X",
			strings.Repeat("h", 128): strings.Repeat("h", 128)},
		invalid: []string{"", "X Y", "X:Y", "X-A;", strings.Repeat("h", 129), "é"}},
	"CIDR: masked, IPv4-mapped addresses unmapped": {parse: wrap(CIDR),
		valid: map[string]any{"10.0.0.1": netip.MustParsePrefix("10.0.0.1/32"), "10.1.2.3/8": netip.MustParsePrefix("10.0.0.0/8"),
			"::ffff:10.0.0.1": netip.MustParsePrefix("10.0.0.1/32"), "fd00::1/8": netip.MustParsePrefix("fd00::/8"),
			"::1": netip.MustParsePrefix("::1/128")},
		invalid: []string{"", "10.0.0.0/33", "::ffff:10.0.0.0/104", "::ffff:10.0.0.1/128", "fe80::1%eth0", "10.0.0.0/8;", "any"}},
	"ListenAddr: IPv4 or IPv6, unzoned, unmapped": {parse: wrap(ListenAddr),
		valid: map[string]any{"10.0.0.1": netip.MustParseAddr("10.0.0.1"), "::": netip.MustParseAddr("::"),
			"fd00::1": netip.MustParseAddr("fd00::1"), "::ffff:10.0.0.1": netip.MustParseAddr("10.0.0.1")},
		invalid: []string{"", "10.0.0.0/8", "[::1]", "10.0.0.1:80", "fe80::1%eth0", "10.0.0.1;", "localhost"}},
	"Durations: seconds, or ms, s, m, h, d": {parse: wrap(Durations(time.Millisecond, 24*time.Hour)),
		valid: map[string]any{"60": time.Minute, "1500ms": 1500 * time.Millisecond, "5m": 5 * time.Minute, "1d": 24 * time.Hour,
			"24h": 24 * time.Hour},
		invalid: []string{"", "0", "0s", "01s", "-1s", "1m30s", "25h", "2d", "1w", "1.5s", " 5s"}},
	"Seconds: a plain number": {parse: wrap(Seconds(0, time.Hour)),
		valid:   map[string]any{"0": time.Duration(0), "3600": time.Hour},
		invalid: []string{"", "3601", "1h", "+5", "05", "-1"}},
	"Size": {parse: wrap(Size[int64]),
		valid:   map[string]any{"0": int64(0), "8k": int64(8 << 10), "16M": int64(16 << 20), "1024g": int64(1 << 40)},
		invalid: []string{"", "08", "1025g", "1kb", "-1"}},
}

func TestGrammars(t *testing.T) {
	for name, tc := range grammarCases {
		t.Run(name, func(t *testing.T) {
			for value, want := range tc.valid {
				got, err := tc.parse(value)
				require.NoError(t, err, value)
				require.Equal(t, want, got, value)
			}
			for _, value := range tc.invalid {
				_, err := tc.parse(value)
				require.Error(t, err, value)
			}
		})
	}
}

// TestMappedNetworkNamesItsIPv4Form: the refusal says what to write.
func TestMappedNetworkNamesItsIPv4Form(t *testing.T) {
	_, err := CIDR("::ffff:10.0.0.0/104")
	require.ErrorContains(t, err, "write 10.0.0.0/8")
}

// TestWildcardLengthCountsTheStar: a wildcard host is at most 253 bytes
// with its "*.", as render's server names (and the API server) count it.
// The build used to count the name after "*." only, so a 255-byte
// wildcard passed the build and failed render, stopping the whole sync.
func TestWildcardLengthCountsTheStar(t *testing.T) {
	label := strings.Repeat("a", 63)
	name := strings.Join([]string{label, label, label, strings.Repeat("a", 59)}, ".") // 251 bytes
	require.NoError(t, CheckDNSName(name, false))
	require.NoError(t, CheckDNSName("*."+name, true))
	require.Error(t, CheckDNSName("*.b."+name, true), "255 bytes with the *.")
	require.NoError(t, CheckDNSName("b."+name, false), "253 bytes")
}

// FuzzGrammars checks, for any input, what the build and render rely on:
// an accepted value holds no byte that could end an nginx token, a CIDR
// passes render's CheckPrefix, and a duration is what its grammar says.
func FuzzGrammars(f *testing.F) {
	for _, tc := range grammarCases {
		for v := range tc.valid {
			f.Add(v)
		}
		for _, v := range tc.invalid {
			f.Add(v)
		}
	}
	durations := Durations(time.Millisecond, 24*time.Hour)
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := CIDR(s); err == nil {
			require.NoError(t, CheckPrefix(p), "%q", s)
		}
		if d, err := durations(s); err == nil {
			require.Regexp(t, `^(0|[1-9][0-9]*)(ms|s|m|h|d)?$`, s)
			require.True(t, d >= time.Millisecond && d <= 24*time.Hour, "%q: %v", s, d)
		}
		for _, parse := range []func(string) (string, error){HeaderName, Token, Method, DNSName, HostPort, URLPath, AbsoluteURL} {
			if v, err := parse(s); err == nil {
				require.False(t, strings.ContainsAny(v, "\"'\\;{}#$ \t\r\n\x00"), "%q", v)
			}
		}
	})
}
