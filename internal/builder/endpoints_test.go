package builder

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	discoveryv1 "k8s.io/api/discovery/v1"
)

func TestParseAddress(t *testing.T) {
	tests := map[string]struct {
		in, want string // want "" means rejected
	}{
		"IPv4":            {in: "10.0.0.1", want: "10.0.0.1"},
		"loopback":        {in: "127.0.0.1", want: "127.0.0.1"},
		"IPv6 canonical":  {in: "fd00:0:0::1", want: "fd00::1"},
		"IPv6 uppercase":  {in: "FD00::A", want: "fd00::a"},
		"IPv4-mapped":     {in: "::ffff:10.0.0.1", want: "::ffff:10.0.0.1"},
		"leading zeros":   {in: "010.0.0.1"},
		"zone":            {in: "fe80::1%eth0"},
		"brackets":        {in: "[::1]"},
		"with port":       {in: "10.0.0.1:80"},
		"name":            {in: "backend.example.com"},
		"empty":           {in: ""},
		"trailing junk":   {in: "10.0.0.1;"},
		"too many octets": {in: "1.2.3.4.5"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseAddress(tc.in)
			if tc.want == "" {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestEndpointAddressLoopback: loopback addresses are refused unless the
// option allows them (--manifests); the others stay refused either way.
func TestEndpointAddressLoopback(t *testing.T) {
	for _, tc := range []struct {
		address string
		family  discoveryv1.AddressType
	}{{"127.0.0.1", discoveryv1.AddressTypeIPv4}, {"127.3.2.1", discoveryv1.AddressTypeIPv4}, {"::1", discoveryv1.AddressTypeIPv6}} {
		_, err := endpointAddress(tc.address, tc.family, false)
		require.ErrorContains(t, err, "loopback", tc.address)
		got, err := endpointAddress(tc.address, tc.family, true)
		require.NoError(t, err, tc.address)
		require.Equal(t, tc.address, got)
	}
	for _, address := range []string{"0.0.0.0", "169.254.169.254", "224.0.0.1"} {
		_, err := endpointAddress(address, discoveryv1.AddressTypeIPv4, true)
		require.Error(t, err, address)
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, seed := range []string{"10.0.0.1", "::1", "fe80::1%eth0", "::ffff:1.2.3.4", "x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := parseAddress(in)
		if err != nil {
			return
		}
		require.True(t, onlyBytes(out, "0123456789abcdef.:"), "accepted %q as %q", in, out)
		addr, err := netip.ParseAddr(out)
		require.NoError(t, err)
		require.Equal(t, out, addr.String(), "not canonical")
	})
}
