package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSystemResolvers(t *testing.T) {
	tests := map[string]struct {
		conf string
		want []netip.Addr
	}{
		"kubernetes pod": {
			conf: "search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
			want: []netip.Addr{netip.MustParseAddr("10.96.0.10")},
		},
		"several, IPv6, comments and junk": {
			conf: "# generated\nnameserver 1.1.1.1\nnameserver fd00::53\nnameserver fe80::1%eth0\nnameserver example.com\nnameserver\n",
			want: []netip.Addr{netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("fd00::53")},
		},
		"none": {conf: "options ndots:5\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "resolv.conf")
			require.NoError(t, os.WriteFile(path, []byte(tc.conf), 0o644))
			require.Equal(t, tc.want, systemResolvers(path))
		})
	}
	require.Nil(t, systemResolvers(filepath.Join(t.TempDir(), "missing")))
}
