package annotations

import (
	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// ClientAuth holds the auth-tls-* values of an Ingress: client certificate
// authentication of its hosts, on when Secret is set. Package build reads
// the Secret and decides which Ingress's values a host takes.
type ClientAuth struct {
	Secret          *SecretRef
	Verify          model.VerifyClient
	Depth           int
	ErrorPage       string
	PassCertificate bool
	MatchCN         string
}

// clientAuthSpecs are server-scoped: nginx asks for a client certificate
// in the TLS handshake, before any path is known.
func clientAuthSpecs() []Spec {
	const g = "Client certificates"
	ca := func(p *Parsed) *ClientAuth { return &p.Server.ClientAuth }
	return []Spec{
		{Key: "auth-tls-secret", Group: g, Scope: ScopeServer, Syntax: secretSyntax,
			Doc:   "Secret with `ca.crt` (PEM CA certificates) and optionally `ca.crl` (PEM revocation lists): HTTPS clients of the Ingress's hosts must show a certificate they verify, on every path of the host.",
			apply: set(secretRef, func(p *Parsed, v SecretRef) { ca(p).Secret = &v })},
		{Key: "auth-tls-verify-client", Group: g, Scope: ScopeServer, Syntax: "`on`, `optional`, `optional_no_ca` or `off`", Default: "on", seed: true,
			Doc: "`on`: a valid certificate is required (else 400, or the auth-tls-error-page; plain HTTP gets the HTTPS redirect or 403); `optional`: a certificate is verified when sent; `optional_no_ca`: asked for, not verified, and the backend decides; `off`: not asked for.",
			apply: set(grammar.OneOf(model.VerifyOn, model.VerifyOptional, model.VerifyOptionalNoCA, model.VerifyOff),
				func(p *Parsed, v model.VerifyClient) { ca(p).Verify = v })},
		{Key: "auth-tls-verify-depth", Group: g, Scope: ScopeServer, Syntax: "a number from 1 to 100", Default: "1", seed: true,
			Doc:   "Longest chain of CAs accepted above a client certificate.",
			apply: set(grammar.IntRange(1, 100), func(p *Parsed, v int) { ca(p).Depth = v })},
		{Key: "auth-tls-error-page", Group: g, Scope: ScopeServer, Syntax: "an `http://` or `https://` URL with no variables",
			Doc:   "Where a client whose certificate is missing or invalid is redirected (302) instead of getting 400.",
			apply: set(grammar.AbsoluteURL, func(p *Parsed, v string) { ca(p).ErrorPage = v })},
		{Key: "auth-tls-pass-certificate-to-upstream", Group: g, Scope: ScopeServer, Syntax: boolSyntax, Default: "false",
			Doc:   "Also sends the client certificate, URL-escaped PEM, to backends in the `ssl-client-cert` header.",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { ca(p).PassCertificate = v })},
		{Key: "auth-tls-match-cn", Group: g, Scope: ScopeServer,
			Syntax: "a regex of at most 256 letters, digits, spaces and `=.,_*()\\|^$?+-`, which must not match an empty subject",
			Doc:    "Only clients whose certificate subject, in RFC 2253 form (`CN=client1,O=Example`), matches the regex anywhere (`CN=client1`, `CN=(client1\\|client2)`, `O=Example`) get through; others, and clients without a certificate, get 403. Plain HTTP requests get the HTTPS redirect or 403, as with `auth-tls-verify-client: on`. Needs `auth-tls-secret`, and `auth-tls-verify-client` other than `off`; with `optional_no_ca` the subject is not verified, so anyone can claim it.",
			apply:  set(matchCN, func(p *Parsed, v string) { ca(p).MatchCN = v })},
	}
}

// matchCN accepts an auth-tls-match-cn regex (grammar.CheckMatchCN).
func matchCN(s string) (string, error) {
	return s, grammar.CheckMatchCN(s)
}

// check reports the auth-tls-match-cn that cannot apply: without a
// Secret nothing asks for a certificate, and with verification off none
// is sent, so the regex would never see a subject.
func (a ClientAuth) check(invalid func(name, format string, args ...any)) {
	switch {
	case a.MatchCN == "":
	case a.Secret == nil:
		invalid("auth-tls-match-cn", "needs an auth-tls-secret")
	case a.Verify == model.VerifyOff:
		invalid("auth-tls-match-cn", `needs auth-tls-verify-client other than "off": no certificate would be asked for`)
	}
}
