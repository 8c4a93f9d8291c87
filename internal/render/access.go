package render

import (
	"strconv"

	"github.com/archway-ingress/archway/internal/model"
)

// accessView adds a location's HTTPS redirect and client address lists.
// nginx checks allow and deny after the realip module replaced the peer
// address with the real client's (see clientsView).
func (p *policies) accessView(v *policyView, l model.Location) error {
	if l.Policy.HTTPSRedirect {
		port := ""
		if p.httpsPort != 443 {
			port = ":" + strconv.Itoa(p.httpsPort)
		}
		v.HTTPSRedirect = "https://$host" + port + "$request_uri"
	}
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
