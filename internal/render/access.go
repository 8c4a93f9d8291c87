package render

import (
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/model"
)

// accessView adds a location's HTTPS redirect and client address lists.
// nginx checks allow and deny after the realip module replaced the peer
// address with the real client's (see clientsView). A server that
// requires client certificates refuses plain HTTP, which cannot carry
// one, unless it redirects it to HTTPS or the location only serves ACME
// HTTP-01 challenges (cert-manager's solver must be reachable over plain
// HTTP; its tokens are public).
func (p *policies) accessView(v *policyView, l model.Location) error {
	if l.Policy.HTTPSRedirect {
		port := ""
		if p.httpsPort != 443 {
			port = ":" + strconv.Itoa(p.httpsPort)
		}
		// $archway_redirect_uri is $request_uri without one trailing "/"
		// (http_clients.tmpl).
		uri := "$archway_redirect_uri"
		if l.Policy.PreserveTrailingSlash {
			uri = "$request_uri"
		}
		v.HTTPSRedirect, v.HTTPSRedirectCode = "https://$host"+port+uri, p.redirectCode
	}
	v.HTTPSOnly = requiresCertificate(p.clientAuth) && !acmeChallenge(l)
	a := l.Policy.Access
	if a == nil {
		return nil
	}
	var err error
	if v.Deny, err = quotePrefixes(a.Deny); err != nil {
		return err
	}
	v.Allow, err = quotePrefixes(a.Allow)
	return err
}

// acmeChallenge reports whether l matches only paths under the ACME
// HTTP-01 challenge folder.
func acmeChallenge(l model.Location) bool {
	return l.Match != model.MatchRegex && strings.HasPrefix(l.Path, "/.well-known/acme-challenge/")
}
