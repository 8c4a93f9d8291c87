package builder

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
)

// The validators below accept exactly what k8s.io/apimachinery's
// validation.IsDNS1123Label, IsDNS1123Subdomain and IsValidPortName accept
// (FuzzValidatorsMatchAPIMachinery checks this); they avoid its regular
// expressions, which dominated Build at 10,000 Ingresses.
const (
	maxDNSLabel     = 63
	maxDNSSubdomain = 253
	maxPortName     = 15
)

// checkHost accepts a rule host that may name a server: a DNS name
// (grammar.CheckDNSName), or "*." and one. The empty host (the catch-all server) is the
// caller's business. IP addresses are refused, as the Ingress API does.
func checkHost(host string) error {
	if err := grammar.CheckDNSName(host, true); err != nil {
		return fmt.Errorf("host %q is %w", host, err)
	}
	// Only digits and dots can parse as an address here (a DNS name has
	// no ':' or '%'); other hosts skip ParseAddr and the error it makes.
	if !strings.ContainsFunc(host, notDigitOrDot) {
		if _, err := netip.ParseAddr(host); err == nil {
			return fmt.Errorf("host %q is an IP address, not a DNS name", host)
		}
	}
	return nil
}

func notDigitOrDot(r rune) bool { return r != '.' && (r < '0' || r > '9') }

// checkRef accepts a namespace and object name that are safe to carry into
// the model: a DNS-1123 label and a DNS-1123 subdomain. The API server
// enforces this, a folder of manifests does not.
func checkRef(namespace, name string) error {
	if len(namespace) > maxDNSLabel || !isDNSLabel(namespace) {
		return fmt.Errorf("namespace %q is not a lowercase DNS label", namespace)
	}
	if !isDNSSubdomain(name) {
		return fmt.Errorf("name %q is not a lowercase DNS name", name)
	}
	return nil
}

// checkPortName accepts an IANA service name, the form of Service port names.
func checkPortName(name string) error {
	letter := false
	for i := range len(name) {
		letter = letter || isLower(name[i])
	}
	if len(name) > maxPortName || !isDNSLabel(name) || !letter || strings.Contains(name, "--") {
		return fmt.Errorf("port name %q is not an IANA service name", name)
	}
	return nil
}

// isDNSSubdomain reports whether s is dot-separated DNS-1123 labels, 253
// bytes at most. As in apimachinery, the labels' own length is not limited.
func isDNSSubdomain(s string) bool {
	if len(s) > maxDNSSubdomain {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if !isDNSLabel(label) {
			return false
		}
	}
	return true
}

// isDNSLabel reports whether s is [a-z0-9] or [a-z0-9][-a-z0-9]*[a-z0-9];
// the caller checks the length.
func isDNSLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !isLower(c) && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
