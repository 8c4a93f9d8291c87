package build

import (
	"fmt"
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// checkHost accepts a rule host that may name a server: a lowercase DNS-1123
// subdomain, or "*." and one. The empty host (the catch-all server) is the
// caller's business. IP addresses are refused, as the Ingress API does.
func checkHost(host string) error {
	name, _ := strings.CutPrefix(host, "*.")
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return fmt.Errorf("host %q is not a lowercase DNS name, optionally after \"*.\"", host)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return fmt.Errorf("host %q is an IP address, not a DNS name", host)
	}
	return nil
}

// checkRef accepts a namespace and object name that are safe to carry into
// the model: a DNS-1123 label and a DNS-1123 subdomain. The API server
// enforces this, a folder of manifests does not.
func checkRef(namespace, name string) error {
	if len(validation.IsDNS1123Label(namespace)) > 0 {
		return fmt.Errorf("namespace %q is not a lowercase DNS label", namespace)
	}
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return fmt.Errorf("name %q is not a lowercase DNS name", name)
	}
	return nil
}

// checkPortName accepts an IANA service name, the form of Service port names.
func checkPortName(name string) error {
	if len(validation.IsValidPortName(name)) > 0 {
		return fmt.Errorf("port name %q is not an IANA service name", name)
	}
	return nil
}
