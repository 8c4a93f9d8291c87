package model

import (
	"net/netip"
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
	// MatchCN, when set, is a regex (see grammar.CheckMatchCN) matched, unanchored,
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
	// The TLS session cache, shared by the workers, unless
	// NoSessionCache; SessionTimeout is how long a session may be
	// resumed. Zero values are the defaults of their keys.
	NoSessionCache   bool
	SessionCacheSize Size
	SessionTimeout   time.Duration
	SessionTickets   bool
	// ECDHCurves are OpenSSL curve names, or "auto" ("": auto).
	ECDHCurves string
	// BufferSize is ssl_buffer_size; 0 is 4k.
	BufferSize Size
}

// ClientSettings say how nginx finds the real client address and what it
// tells backends about the client.
type ClientSettings struct {
	// UseForwardedHeaders trusts X-Forwarded-* headers (and X-Request-ID)
	// from clients in TrustedProxies; ForwardedForHeader names the header
	// with the client address.
	UseForwardedHeaders bool
	ForwardedForHeader  string
	// RealIP takes the client address from ForwardedForHeader of peers
	// in TrustedProxies without believing the other X-Forwarded-*
	// headers (enable-real-ip).
	RealIP bool
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
