package builder

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// tlsSettings are the ConfigMap keys of the listeners and their addresses,
// of HTTPS and of client addresses (see model.TLSSettings and
// model.ClientSettings).
func tlsSettings() []setting {
	tls := func(s *model.Settings) *model.TLSSettings { return &s.TLS }
	clients := func(s *model.Settings) *model.ClientSettings { return &s.Clients }
	return []setting{
		{key: "disable-ipv6", def: "false", set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &s.DisableIPv6 })},
		{key: "bind-address", def: "", set: parseInto(optionalList(grammar.ListenAddr), func(s *model.Settings) *[]netip.Addr { return &s.BindAddresses })},
		{key: "ssl-protocols", def: "TLSv1.2 TLSv1.3", set: parseInto(sslProtocols, func(s *model.Settings) *[]string { return &tls(s).Protocols })},
		{key: "ssl-ciphers", def: defaultCiphers, set: parseInto(sslCiphers, func(s *model.Settings) *string { return &tls(s).Ciphers })},
		{key: "hsts", def: "true", set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &tls(s).HSTS })},
		{key: "hsts-max-age", def: "31536000", set: parseInto(grammar.Seconds(0, 10*365*24*time.Hour), func(s *model.Settings) *time.Duration { return &tls(s).HSTSMaxAge })},
		{key: "hsts-include-subdomains", def: "true", set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &tls(s).HSTSIncludeSubdomains })},
		{key: "hsts-preload", def: "false", set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &tls(s).HSTSPreload })},
		{key: "use-forwarded-headers", def: "false", set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &clients(s).UseForwardedHeaders })},
		{key: "forwarded-for-header", def: "X-Forwarded-For", set: parseInto(grammar.HeaderName, func(s *model.Settings) *string { return &clients(s).ForwardedForHeader })},
		{key: "proxy-real-ip-cidr", def: "0.0.0.0/0, ::/0", set: parseInto(cidrList(false), func(s *model.Settings) *[]netip.Prefix { return &clients(s).TrustedProxies })},
		{key: "use-proxy-protocol", def: "false", set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &clients(s).UseProxyProtocol })},
		{key: "compute-full-forwarded-for", def: "false", set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &clients(s).ComputeFullForwardedFor })},
		{key: "whitelist-source-range", def: "", set: parseInto(cidrList(true), func(s *model.Settings) *[]netip.Prefix { return &clients(s).Allow })},
	}
}

// parseInto returns a setter that parses a value and stores it in the
// field that field points to.
func parseInto[T any](parse func(string) (T, error), field func(*model.Settings) *T) func(string, *model.Settings) error {
	return func(value string, s *model.Settings) error {
		v, err := parse(value)
		if err != nil {
			return err
		}
		*field(s) = v
		return nil
	}
}

// sslProtocols accepts space-separated TLS versions. Versions below 1.2
// are refused: they are broken, and the system OpenSSL refuses them anyway.
func sslProtocols(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Fields(s) {
		if p != "TLSv1.2" && p != "TLSv1.3" {
			return nil, fmt.Errorf("protocol %q: want TLSv1.2 or TLSv1.3", shorten(p))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("want TLSv1.2, TLSv1.3 or both")
	}
	slices.Sort(out)
	return out, nil
}

// defaultCiphers are the TLS 1.2 suites with forward secrecy and AEAD.
const defaultCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" +
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" +
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" +
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"

// cipherSelectors are the OpenSSL cipher names and groups an ssl-ciphers
// list may select; every one of them selects at least one suite that no
// cipherExclusions removes, so a list that passes sslCiphers is never
// empty for OpenSSL (which would make nginx refuse the whole config).
const cipherSelectors = defaultCiphers + ":DHE-RSA-CHACHA20-POLY1305:" +
	"ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:" +
	"AES128-GCM-SHA256:AES256-GCM-SHA384:HIGH:ECDHE:EECDH:AESGCM:CHACHA20"

// cipherExclusions may follow "!" or "-" in an ssl-ciphers list.
const cipherExclusions = "aNULL:eNULL:NULL:EXPORT:DES:3DES:RC4:MD5:PSK:SRP:CAMELLIA:ARIA:SEED:IDEA:DSS:SHA1:LOW:MEDIUM:ADH:AECDH"

// inList reports whether word is one of the colon-separated words of list.
func inList(list, word string) bool {
	return word != "" && !strings.Contains(word, ":") && strings.Contains(":"+list+":", ":"+word+":")
}

// sslCiphers accepts a colon-separated OpenSSL cipher list made of known
// names and groups, and exclusions of known groups; at least one name or
// group must be kept. The names matter: OpenSSL ignores unknown ones, but
// nginx refuses the config when nothing is left.
func sslCiphers(s string) (string, error) {
	kept := false
	for item := range strings.SplitSeq(s, ":") {
		if word, ok := strings.CutPrefix(item, "!"); ok || strings.HasPrefix(item, "-") {
			if word = strings.TrimPrefix(word, "-"); !inList(cipherExclusions, word) {
				return "", fmt.Errorf("%q: only these may be excluded: %s", shorten(item), strings.ReplaceAll(cipherExclusions, ":", ", "))
			}
			continue
		}
		if !inList(cipherSelectors, item) {
			return "", fmt.Errorf("%q is not a cipher archway knows: use names such as ECDHE-RSA-AES128-GCM-SHA256, or HIGH", shorten(item))
		}
		kept = true
	}
	if !kept {
		return "", errors.New("the list selects no cipher")
	}
	return s, nil
}

// cidrList returns a parser of comma-separated IP addresses and CIDRs;
// empty means none when allowed.
func cidrList(emptyOK bool) func(string) ([]netip.Prefix, error) {
	if emptyOK {
		return optionalList(grammar.CIDR)
	}
	return grammar.List(grammar.CIDR)
}

// optionalList is grammar.List where an empty value means none.
func optionalList[T any](item func(string) (T, error)) func(string) ([]T, error) {
	list := grammar.List(item)
	return func(s string) ([]T, error) {
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		return list(s)
	}
}

// shorten cuts a value for a message.
func shorten(s string) string {
	const maxLen = 64
	if len(s) > maxLen {
		return s[:maxLen] + "..."
	}
	return s
}
