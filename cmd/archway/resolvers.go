package main

import (
	"net/netip"
	"os"
	"strings"
)

// resolvConf is where the system's DNS servers are listed.
const resolvConf = "/etc/resolv.conf"

// systemResolvers returns the nameservers of a resolv.conf file, for the
// names nginx resolves while serving (auth-url hosts). A file that cannot
// be read gives none: those names then fail, and only the requests that
// need them.
func systemResolvers(path string) []netip.Addr {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for line := range strings.SplitSeq(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		if a, err := netip.ParseAddr(fields[1]); err == nil && a.Zone() == "" {
			out = append(out, a)
		}
	}
	return out
}
