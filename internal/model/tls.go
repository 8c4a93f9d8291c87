package model

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strings"
	"time"
)

// Certificate is a validated certificate chain and its private key.
type Certificate struct {
	// Secret is the Secret it came from; zero for the certificate archway
	// generated at start.
	Secret Ref
	// Chain is PEM certificates, leaf first, and Key the PEM (PKCS #8)
	// private key: both re-encoded from their parsed values, so they hold
	// nothing else.
	Chain, Key []byte
	// NotAfter is when the leaf certificate expires.
	NotAfter time.Time
}

// ClientAuth is the client certificate authentication of a server (the
// auth-tls-* annotations). Its locations send the verification result to
// their backends in the headers ssl-client-verify, ssl-client-subject-dn
// and ssl-client-issuer-dn.
type ClientAuth struct {
	// CA holds the PEM certificates that verify client certificates; CRL,
	// when set, PEM revocation lists. Both re-encoded from parsed values.
	CA, CRL []byte
	Verify  VerifyClient
	// Depth is the longest chain accepted above a client certificate.
	Depth int
	// ErrorPage, an http(s) URL with no variables, is where a client whose
	// certificate is missing or fails verification is redirected (302);
	// "" answers 400.
	ErrorPage string
	// PassCertificate also sends the certificate, URL-escaped PEM, in the
	// header ssl-client-cert.
	PassCertificate bool
	// MatchCN, when set, is a regex (see CheckMatchCN) matched, unanchored,
	// against the certificate's subject in RFC 2253 form
	// ("CN=client1,O=Example"): HTTPS requests whose subject does not
	// match, or that sent no certificate, get 403, and plain HTTP ones are
	// refused as with VerifyOn.
	MatchCN string
}

// VerifyClient is whether and how a server verifies client certificates,
// as nginx's ssl_verify_client.
type VerifyClient string

// The VerifyClient modes.
const (
	// VerifyOn requires a valid certificate; plain HTTP requests, which
	// cannot carry one, are refused.
	VerifyOn VerifyClient = "on"
	// VerifyOptional verifies a certificate when the client sends one.
	VerifyOptional VerifyClient = "optional"
	// VerifyOptionalNoCA asks for a certificate and leaves the verdict to
	// the backend.
	VerifyOptionalNoCA VerifyClient = "optional_no_ca"
	// VerifyOff asks for none.
	VerifyOff VerifyClient = "off"
)

// Access limits which client addresses may use a location. The address is
// the real client's (see ClientSettings).
type Access struct {
	// Deny is checked first: these clients get 403.
	Deny []netip.Prefix
	// Allow, when not empty, admits only these clients; others get 403.
	Allow []netip.Prefix
}

// TLSSettings are the ConfigMap's settings of HTTPS listeners.
type TLSSettings struct {
	// Protocols are "TLSv1.2" and/or "TLSv1.3".
	Protocols []string
	// Ciphers is an OpenSSL cipher list of known names (TLS 1.2 and
	// below; TLS 1.3 suites are OpenSSL's).
	Ciphers string
	// HSTS sends Strict-Transport-Security on HTTPS responses.
	HSTS                  bool
	HSTSMaxAge            time.Duration
	HSTSIncludeSubdomains bool
	HSTSPreload           bool
}

// ClientSettings say how nginx finds the real client address and what it
// tells backends about the client.
type ClientSettings struct {
	// UseForwardedHeaders trusts X-Forwarded-* headers (and X-Request-ID)
	// from clients in TrustedProxies; ForwardedForHeader names the header
	// with the client address.
	UseForwardedHeaders bool
	ForwardedForHeader  string
	// UseProxyProtocol expects the PROXY protocol on every connection and
	// takes the client address from it when the peer is trusted.
	UseProxyProtocol bool
	// TrustedProxies are the peers whose client address claims are
	// believed (proxy-real-ip-cidr).
	TrustedProxies []netip.Prefix
	// ComputeFullForwardedFor sends backends the whole X-Forwarded-For
	// chain of a trusted peer with the peer appended, instead of the
	// client address alone.
	ComputeFullForwardedFor bool
	// Allow, when not empty, admits only these clients to every server
	// (whitelist-source-range); others get 403.
	Allow []netip.Prefix
}

// maxMatchCNLen bounds ClientAuth.MatchCN.
const maxMatchCNLen = 256

// matchCNChars are the bytes besides ASCII letters and digits that a
// MatchCN may hold: DN text and the regex syntax common to PCRE (nginx)
// and RE2 (Go). No backslash, class, brace, quote, ';', '#' or
// whitespace other than ' '.
const matchCNChars = " =.,_*()|^$?+-"

// CheckMatchCN accepts a ClientAuth.MatchCN: 1 to 256 bytes of letters,
// digits and matchCNChars that compile with Go's regexp package. On this
// subset (literals, '.', groups, alternation, anchors, the quantifiers
// '*', '+', '?' and their lazy forms, and the (?imsU) flags) PCRE and RE2
// read a pattern alike, so Go's compiler answers for nginx's, except that
// PCRE refuses a quantifier after an anchor ("^+", "$*") or after flags
// ("a(?i)+"), which Go takes: anchors may not be quantified here, and
// flags may only begin the pattern. A '$' may only end the pattern, an
// alternative or a group, so that it never looks like an nginx variable.
// A repetition inside a repeated group is refused, as in CheckRegex, and
// render bounds the match as it bounds regex paths'.
// A pattern that matches the empty subject matches every subject,
// unanchored, and would admit clients without a certificate: refused too.
func CheckMatchCN(re string) error {
	if re == "" || len(re) > maxMatchCNLen {
		return fmt.Errorf("want a regex of 1 to %d characters", maxMatchCNLen)
	}
	for i := range len(re) {
		c := re[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && strings.IndexByte(matchCNChars, c) < 0 {
			return fmt.Errorf("character %q is not allowed (letters, digits, space and %q only)", c, matchCNChars[1:])
		}
		next := byte(0)
		if i+1 < len(re) {
			next = re[i+1]
		}
		switch {
		case c == '$' && next != 0 && next != '|' && next != ')':
			return errors.New(`"$" may only end the regex, an alternative or a group`)
		case (c == '^' || c == '$') && strings.IndexByte("*+?", next) >= 0:
			return fmt.Errorf("%q may not follow the anchor %q", next, c)
		case c == '(' && next == '?' && i > 0:
			return errors.New(`flags ("(?i)") may only begin the regex`)
		}
	}
	compiled, err := regexp.Compile(re)
	if err != nil {
		return fmt.Errorf("does not compile: %w", err)
	}
	if tree, err := syntax.Parse(re, syntax.Perl); err != nil || checkTree(tree, false) != nil {
		return errors.New("repeats a group holding a repetition, as in (a+)+, which can backtrack for seconds")
	}
	if compiled.MatchString("") {
		return errors.New("matches an empty subject, so it would match every client")
	}
	return nil
}
