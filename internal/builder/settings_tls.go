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

// listenSettings are the ConfigMap keys of the listeners' addresses.
func listenSettings() []SettingSpec {
	const g = "Listeners"
	return []SettingSpec{
		{Key: "disable-ipv6", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "`true` listens on IPv4 only; by default the HTTP and HTTPS ports and the TCP and UDP services listen on every IPv4 and IPv6 address, " +
				"as in ingress-nginx (a host whose kernel has IPv6 off gets IPv4 only by itself). Client addresses, allow-lists and the PROXY protocol work for IPv6 clients.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &s.DisableIPv6 })},
		{Key: "bind-address", Group: g, Scope: ScopeGlobal, Syntax: "comma-separated IPv4 and IPv6 addresses (`10.0.0.5, fd00::5`)",
			Doc: "The HTTP and HTTPS ports and the TCP and UDP services listen on these only, of both families, and `disable-ipv6` does not drop the IPv6 ones named here " +
				"(ingress-nginx kept listening on every address of a family this list does not name).",
			set: parseInto(optionalList(grammar.ListenAddr), func(s *model.Settings) *[]netip.Addr { return &s.BindAddresses })},
	}
}

// tlsSettings are the ConfigMap keys of HTTPS (see model.TLSSettings).
func tlsSettings() []SettingSpec {
	const g = "TLS"
	tls := func(s *model.Settings) *model.TLSSettings { return &s.TLS }
	return []SettingSpec{
		{Key: "ssl-protocols", Group: g, Scope: ScopeGlobal, Syntax: "space-separated: `TLSv1.2`, `TLSv1.3`", Default: "TLSv1.2 TLSv1.3",
			Doc: "TLS versions of the HTTPS listeners (older ones are refused: they are broken, and Debian's OpenSSL refuses them anyway).",
			set: parseInto(sslProtocols, func(s *model.Settings) *[]string { return &tls(s).Protocols })},
		{Key: "ssl-ciphers", Group: g, Scope: ScopeGlobal, Syntax: "colon-separated OpenSSL names such as `ECDHE-RSA-AES128-GCM-SHA256`, the groups `HIGH`, `ECDHE`, `EECDH`, `AESGCM`, `CHACHA20`, " +
			"and exclusions such as `!aNULL`, `!MD5`, `!SHA1`", Default: defaultCiphers,
			Doc: "The cipher suites of TLS 1.2 (the default: ECDHE and DHE AEAD suites).",
			set: parseInto(sslCiphers, func(s *model.Settings) *string { return &tls(s).Ciphers })},
		{Key: "ssl-session-cache", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "true",
			Doc: "Keep TLS sessions in a cache shared by the workers, so that clients resume them without a full handshake (nginx's own default is none).",
			set: parseInto(not(grammar.Bool), func(s *model.Settings) *bool { return &tls(s).NoSessionCache })},
		{Key: "ssl-session-cache-size", Group: g, Scope: ScopeGlobal, Syntax: sizeSyntax + ", from 1m to 512m", Default: "10m",
			Doc: "Size of that cache (about 4000 sessions a megabyte).",
			set: parseInto(sizeBetween(1<<20, 512<<20), func(s *model.Settings) *model.Size { return &tls(s).SessionCacheSize })},
		{Key: "ssl-session-timeout", Group: g, Scope: ScopeGlobal, Syntax: durationSyntax + ", from `1s` to a day", Default: "10m",
			Doc: "How long a client may resume a TLS session (nginx's own default is 5m; archway's was 1h before it read this key).",
			set: parseInto(grammar.Durations(time.Second, 24*time.Hour), func(s *model.Settings) *time.Duration { return &tls(s).SessionTimeout })},
		{Key: "ssl-session-tickets", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "Resume TLS sessions with session tickets (their key is per nginx start and replica, so tickets do not survive a restart nor move between replicas).",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &tls(s).SessionTickets })},
		{Key: "ssl-ecdh-curve", Group: g, Scope: ScopeGlobal, Syntax: "`auto`, or colon-separated curves: " + strings.Join(strings.Split(ecdhCurves, ":"), ", "), Default: "auto",
			Doc: "Key exchange curves, in order of preference; `auto` is OpenSSL's list.",
			set: parseInto(ecdhCurve, func(s *model.Settings) *string { return &tls(s).ECDHCurves })},
		{Key: "ssl-buffer-size", Group: g, Scope: ScopeGlobal, Syntax: sizeSyntax + ", from 1k to 16k", Default: "4k",
			Doc: "Size of TLS records sent: small records let clients start reading sooner (nginx's own default is 16k).",
			set: parseInto(sizeBetween(1<<10, 16<<10), func(s *model.Settings) *model.Size { return &tls(s).BufferSize })},
		{Key: "hsts", Group: g, Scope: ScopeServer, Syntax: boolSyntax, Default: "true",
			Doc: "Send `Strict-Transport-Security` on HTTPS responses (never on plain HTTP).",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &tls(s).HSTS })},
		{Key: "hsts-max-age", Group: g, Scope: ScopeServer, Syntax: secondsSyntax + ", at most ten years", Default: "31536000",
			Doc: "Its `max-age` (a year; ingress-nginx's default was 15724800, half a year).",
			set: parseInto(grammar.Seconds(0, 10*365*24*time.Hour), func(s *model.Settings) *time.Duration { return &tls(s).HSTSMaxAge })},
		{Key: "hsts-include-subdomains", Group: g, Scope: ScopeServer, Syntax: boolSyntax, Default: "true",
			Doc: "Add `includeSubDomains`.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &tls(s).HSTSIncludeSubdomains })},
		{Key: "hsts-preload", Group: g, Scope: ScopeServer, Syntax: boolSyntax, Default: "false",
			Doc: "Add `preload`.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &tls(s).HSTSPreload })},
	}
}

// clientSettings are the ConfigMap keys of client addresses (see
// model.ClientSettings).
func clientSettings() []SettingSpec {
	const g = "Client addresses"
	clients := func(s *model.Settings) *model.ClientSettings { return &s.Clients }
	return []SettingSpec{
		{Key: "use-forwarded-headers", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "Believe `X-Forwarded-For` (the client address), `X-Forwarded-Proto`, `-Host`, `-Port` and `X-Request-ID` from peers in `proxy-real-ip-cidr`: for a load balancer that terminates HTTP.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &clients(s).UseForwardedHeaders })},
		{Key: "enable-real-ip", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "Believe the client address in `forwarded-for-header` from peers in `proxy-real-ip-cidr` (backends' `X-Real-IP`, allow-lists, logs), but not the other `X-Forwarded-*` headers as `use-forwarded-headers` does.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &clients(s).RealIP })},
		{Key: "forwarded-for-header", Group: g, Scope: ScopeGlobal, Syntax: "a header name: letters, digits, `-` and `_`", Default: "X-Forwarded-For",
			Doc: "The header with the client address.",
			set: parseInto(grammar.HeaderName, func(s *model.Settings) *string { return &clients(s).ForwardedForHeader })},
		{Key: "proxy-real-ip-cidr", Group: g, Scope: ScopeGlobal, Syntax: cidrSyntax, Default: "0.0.0.0/0, ::/0",
			Doc: "The peers whose client address claims are believed; narrow it to your load balancers.",
			set: parseInto(cidrList(false), func(s *model.Settings) *[]netip.Prefix { return &clients(s).TrustedProxies })},
		{Key: "use-proxy-protocol", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "Every connection starts with a PROXY protocol header (a TCP load balancer such as an AWS NLB); its client address is believed from peers in `proxy-real-ip-cidr`.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &clients(s).UseProxyProtocol })},
		{Key: "compute-full-forwarded-for", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "Send backends the trusted peer's whole `X-Forwarded-For` chain with the peer appended, instead of the client address alone.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &clients(s).ComputeFullForwardedFor })},
		{Key: "whitelist-source-range", Group: g, Scope: ScopeServer, Syntax: cidrSyntax + "; empty is none",
			Doc: "Every other client gets 403 from every server, for an instance that must only serve internal networks (Ingress annotations cannot widen it).",
			set: parseInto(cidrList(true), func(s *model.Settings) *[]netip.Prefix { return &clients(s).Allow })},
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

// ecdhCurves are the curves ssl-ecdh-curve may name.
const ecdhCurves = "X25519:X448:prime256v1:secp384r1:secp521r1"

// ecdhCurve accepts "auto" or a colon-separated list of ecdhCurves.
func ecdhCurve(s string) (string, error) {
	if s == "auto" {
		return s, nil
	}
	for c := range strings.SplitSeq(s, ":") {
		if !inList(ecdhCurves, c) {
			return "", fmt.Errorf("%q is not auto or one of the curves %s", shorten(c), strings.ReplaceAll(ecdhCurves, ":", ", "))
		}
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

// not negates a parser of booleans, for a field whose zero value is the
// default true.
func not(parse func(string) (bool, error)) func(string) (bool, error) {
	return func(s string) (bool, error) {
		v, err := parse(s)
		return !v, err
	}
}

// optional turns a parser into one of pointers, for a field whose zero
// value is a valid setting too.
func optional[T any](parse func(string) (T, error)) func(string) (*T, error) {
	return func(s string) (*T, error) {
		v, err := parse(s)
		if err != nil {
			return nil, err
		}
		return &v, nil
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
