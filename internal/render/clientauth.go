package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// clientCADir holds the CA and revocation list files of client
// certificates, named by their content like the certificates: a rotated
// Secret gives new names, so nginx reloads. nginx reads them when it loads
// the config; they hold nothing secret.
const clientCADir = "client-ca"

// clientAuthView is what server.tmpl prints for a server that asks for
// client certificates (model.ClientAuth). nginx checks the certificate
// before it picks a location, so every location of the server is covered.
type clientAuthView struct {
	CA, CRL string // quoted paths; CRL "" when there is none
	Verify  string // an ssl_verify_client mode
	Depth   string
	// ErrorPage is the quoted URL that a missing (496) or invalid (495)
	// certificate redirects to; "" answers 400.
	ErrorPage string
	// MatchCN is the quoted regex that the subject of the certificate of
	// an HTTPS request must match, else 403; "" checks none. Plain HTTP
	// requests are left to the locations (see requiresCertificate), so
	// that they get the HTTPS redirect, and ACME challenges get through.
	MatchCN string
}

// clientAuth writes the files of a server's client certificates and
// returns their view.
func (e *edge) clientAuth(a *model.ClientAuth) (*clientAuthView, error) {
	switch a.Verify {
	case model.VerifyOn, model.VerifyOptional, model.VerifyOptionalNoCA, model.VerifyOff:
	default:
		return nil, fmt.Errorf("client certificates: verify mode %q", a.Verify)
	}
	if len(a.CA) == 0 || a.Depth < 1 {
		return nil, fmt.Errorf("client certificates: no CA, or depth %d", a.Depth)
	}
	var q quoter
	v := &clientAuthView{Verify: string(a.Verify), Depth: strconv.Itoa(a.Depth),
		CA: q.quote(e.pol.file(clientCADir, ".crt", a.CA, 0o644))}
	if len(a.CRL) > 0 {
		v.CRL = q.quote(e.pol.file(clientCADir, ".crl", a.CRL, 0o644))
	}
	if a.ErrorPage != "" {
		if _, err := httpURL(a.ErrorPage); err != nil {
			return nil, fmt.Errorf("client certificates: error page: %w", err)
		}
		v.ErrorPage = q.quote(a.ErrorPage)
	}
	if a.MatchCN != "" {
		var err error
		if v.MatchCN, err = matchCNToken(a.MatchCN); err != nil {
			return nil, fmt.Errorf("client certificates: auth-tls-match-cn: %w", err)
		}
	}
	return v, q.err
}

// matchCNToken returns a MatchCN as the quoted regex of an if condition.
// quote refuses '$', which starts a variable in most strings; nginx reads
// no variable in the regex of a condition, and grammar.CheckMatchCN lets
// '$' only end the regex, an alternative or a group, so the parts between
// them go through quote, and '$' is put back between them. The match is
// bounded as regexToken bounds regex paths'.
func matchCNToken(re string) (string, error) {
	if err := grammar.CheckMatchCN(re); err != nil {
		return "", err
	}
	parts := strings.Split(re, "$")
	for i, p := range parts {
		q, err := quote(p)
		if err != nil {
			return "", err
		}
		parts[i] = q[1 : len(q)-1]
	}
	return `"` + regexLimit + strings.Join(parts, "$") + `"`, nil
}

// requiresCertificate reports whether a server refuses plain HTTP
// requests, which cannot carry a client certificate (see accessView): it
// requires a valid one, or matches its subject, which a request without
// one never matches.
func requiresCertificate(a *model.ClientAuth) bool {
	return a != nil && (a.Verify == model.VerifyOn || a.MatchCN != "")
}

// clientCertificateHeaders are the request headers that tell the backends
// of a server with client certificates what nginx found, as ingress-nginx
// sends them; none without client certificates. nginx sends no header
// whose value is empty (the certificate unless PassCertificate, every one
// over plain HTTP), and a client's own headers of these names never pass.
func clientCertificateHeaders(a *model.ClientAuth) []headerView {
	if a == nil {
		return nil
	}
	cert := `""`
	if a.PassCertificate {
		cert = "$ssl_client_escaped_cert"
	}
	return []headerView{
		{"ssl-client-verify", "$ssl_client_verify"},
		{"ssl-client-subject-dn", "$ssl_client_s_dn"},
		{"ssl-client-issuer-dn", "$ssl_client_i_dn"},
		{"ssl-client-cert", cert},
	}
}
