package annotations

import (
	"fmt"
	"maps"
	"slices"

	"github.com/archway-ingress/archway/internal/model"
)

// Defaults are what an Ingress's annotations apply over: the table's
// defaults, and the controller's ConfigMap's defaults of the location
// annotations it may set (ConfigMapDefaults). The zero Defaults are the
// table's alone.
type Defaults struct{ parsed *Parsed }

// ConfigMapDefaults are the location annotations whose default the
// controller's ConfigMap sets under the same key, as in ingress-nginx (CORS
// and service-upstream are archway's additions for the same reason).
var ConfigMapDefaults = []string{
	"proxy-body-size", "client-body-buffer-size", "proxy-buffering", "proxy-buffer-size", "proxy-buffers-number",
	"proxy-busy-buffers-size", "proxy-request-buffering", "proxy-connect-timeout", "proxy-read-timeout", "proxy-send-timeout",
	"proxy-next-upstream", "proxy-next-upstream-timeout", "proxy-next-upstream-tries", "proxy-http-version",
	"proxy-cookie-domain", "proxy-cookie-path", "proxy-redirect-from", "proxy-redirect-to",
	"ssl-redirect", "force-ssl-redirect", "custom-http-errors", "load-balance", "service-upstream",
	"cors-allow-origin", "cors-allow-methods", "cors-allow-headers", "cors-expose-headers", "cors-allow-credentials", "cors-max-age",
}

// Lookup returns the spec of an annotation name (without prefix).
func Lookup(name string) (Spec, bool) {
	s, ok := index()[name]
	return s, ok
}

// CheckDefault parses a ConfigMap default of the annotation name alone.
func CheckDefault(name, value string) error {
	s, ok := index()[name]
	if !ok || !slices.Contains(ConfigMapDefaults, name) {
		return fmt.Errorf("%s is not an annotation the ConfigMap sets the default of", name)
	}
	p := *defaults()
	return apply(s, value, &p)
}

// NewDefaults applies values (annotation names of ConfigMapDefaults and
// their values) over the table's defaults. A value that does not parse, or
// that does not go with the others (proxy-busy-buffers-size larger than
// the buffers, say), is left out and returned in invalid.
func NewDefaults(values map[string]string) (d Defaults, invalid map[string]error) {
	invalid = make(map[string]error)
	values = maps.Clone(values)
	for {
		p := *defaults()
		for _, name := range slices.Sorted(maps.Keys(values)) {
			if err := CheckDefault(name, values[name]); err != nil {
				invalid[name] = err
				delete(values, name)
				continue
			}
			_ = apply(index()[name], values[name], &p) // CheckDefault parsed it
		}
		problems := p.check(values, "")
		if len(problems) == 0 {
			return Defaults{parsed: &p}, invalid
		}
		for _, pr := range problems {
			if _, ok := values[pr.Key]; !ok {
				// A conflict with no value of ours: cannot happen while
				// ConfigMapDefaults lists every annotation check compares;
				// drop them all rather than loop.
				for name := range values {
					invalid[name] = fmt.Errorf("%s", pr.Message)
				}
				clear(values)
				continue
			}
			invalid[pr.Key] = fmt.Errorf("%s", pr.Message)
			delete(values, pr.Key)
		}
	}
}

// base returns the Parsed that an Ingress's annotations apply over.
func (d Defaults) base() *Parsed {
	if d.parsed == nil {
		return defaults()
	}
	return d.parsed
}

// ExternalAuthKeys are the auth-* annotations whose grammar the
// controller's ConfigMap uses for its global-auth-* keys.
var ExternalAuthKeys = []string{
	"auth-url", "auth-method", "auth-signin", "auth-signin-redirect-param", "auth-always-set-cookie", "auth-response-headers",
	"auth-request-redirect", "auth-cache-key", "auth-cache-duration",
}

// ApplyExternalAuth parses value as the annotation name (one of
// ExternalAuthKeys) does, into a; a is left alone on error.
func ApplyExternalAuth(name, value string, a *model.ExternalAuth) error {
	s, ok := index()[name]
	if !ok || !slices.Contains(ExternalAuthKeys, name) {
		return fmt.Errorf("%s is not an external auth annotation", name)
	}
	var p Parsed
	p.Location.ExternalAuth = *a
	if err := apply(s, value, &p); err != nil {
		return err
	}
	*a = p.Location.ExternalAuth
	return nil
}
