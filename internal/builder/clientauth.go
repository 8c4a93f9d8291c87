package builder

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// Client certificates (the auth-tls-* annotations) belong to a host, not
// a path: nginx asks for them in the TLS handshake, before any path is
// known. As in ingress-nginx, the oldest Ingress of a host that asks for
// them decides for every path of the host. Since asking for them closes
// the host to clients without one, nothing that was asked for may open it:
//   - when the oldest claim cannot be applied (an invalid auth-tls value,
//     a missing or malformed Secret), every path of the host answers 503;
//   - a younger Ingress that asks for other settings (any auth-tls-*
//     value, auth-tls-match-cn too) answers 503 on its own paths of the
//     host;
//   - an Ingress that asks for them answers 503 on its rules without a
//     host and its default backend, which no SNI name selects.

// clientAuthClaim is what an Ingress asks of its hosts' client
// certificates.
type clientAuthClaim struct {
	asked bool              // an auth-tls-* annotation is set
	auth  *model.ClientAuth // nil when not asked, or asked but not applicable
}

// clientAuth resolves the auth-tls-* values of an Ingress of namespace;
// problems are its annotation problems, already reported.
func (b *build) clientAuth(namespace string, a annotations.ClientAuth, problems []annotations.Problem) (clientAuthClaim, error) {
	for _, p := range problems {
		if name, _ := strings.CutPrefix(p.Key, b.prefix+"/"); strings.HasPrefix(name, "auth-tls-") {
			return clientAuthClaim{asked: true}, nil
		}
	}
	if a.Secret == nil {
		return clientAuthClaim{}, nil
	}
	ca, crl, err := b.secrets.clientCA(namespace, *a.Secret)
	if err != nil {
		return clientAuthClaim{asked: true}, err
	}
	return clientAuthClaim{asked: true, auth: &model.ClientAuth{CA: ca, CRL: crl, Verify: a.Verify, Depth: a.Depth,
		ErrorPage: a.ErrorPage, PassCertificate: a.PassCertificate, MatchCN: a.MatchCN}}, nil
}

// clientCA reads ca.crt and the optional ca.crl of an auth-tls-secret,
// re-encoded from their parsed values so that nothing else reaches a file.
func (s *secretIndex) clientCA(namespace string, ref annotations.SecretRef) (ca, crl []byte, err error) {
	sec, err := s.get(namespace, ref)
	if err != nil {
		return nil, nil, err
	}
	data := secretData(sec)
	name := namespace + "/" + ref.Name
	if _, ok := data["ca.crt"]; !ok {
		return nil, nil, fmt.Errorf("Secret %s has no key \"ca.crt\" (PEM CA certificates)", name)
	}
	err = eachPEM(data["ca.crt"], "CERTIFICATE", "certificate", func(der []byte) error {
		c, err := x509.ParseCertificate(der)
		if err == nil {
			ca = append(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("Secret %s: ca.crt: %w", name, err)
	}
	if raw, ok := data["ca.crl"]; ok {
		err = eachPEM(raw, "X509 CRL", "revocation list", func(der []byte) error {
			l, err := x509.ParseRevocationList(der)
			if err == nil {
				crl = append(crl, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: l.Raw})...)
			}
			return err
		})
		if err != nil {
			return nil, nil, fmt.Errorf("Secret %s: ca.crl: %w", name, err)
		}
	}
	return ca, crl, nil
}

// hostless returns the policy of the Ingress's rules without a host and
// of its default backend: pol, or a blocked copy reported at each of them
// when the Ingress asks for what only a host can give: client
// certificates, or an auth-url on the request's host (without a host rule
// the client would choose where the auth request goes).
func (b *build) hostless(ing *networkingv1.Ingress, ref model.Ref, pol *ingressPolicy) *ingressPolicy {
	var message string
	var auth *model.ExternalAuth
	if pol.policy != nil {
		auth = pol.policy.ExternalAuth
	}
	switch {
	case pol.clientAuth.asked:
		message = "client certificates (auth-tls-*) are asked for by host name, which this %s has not: it answers 503"
	case auth != nil && auth.URL.NamesRequestHost():
		what := "auth-url"
		if pol.globalAuth {
			what = "the ConfigMap's global-auth-url"
		}
		message = what + " names the request's host, which on this %s (it has no host) the client would choose: it answers 503"
	default:
		return pol
	}
	for i, rule := range ing.Spec.Rules {
		if rule.Host == "" && rule.HTTP != nil {
			b.problems.add(KindIngress, ref, "spec.rules["+strconv.Itoa(i)+"].host", reason.InvalidAnnotation, fmt.Sprintf(message, "rule"))
		}
	}
	if ing.Spec.DefaultBackend != nil {
		b.problems.add(KindIngress, ref, "spec.defaultBackend", reason.InvalidAnnotation, fmt.Sprintf(message, "default backend"))
	}
	blocked := *pol
	blocked.blocked = true
	return &blocked
}

// applyClientAuth gives each server of servers (at maps hosts to their
// index) the client certificate settings of its oldest claim.
func (h hostClaims) applyClientAuth(servers []model.Server, at map[string]int, p *problems) {
	var first map[string]hostClaim
	for _, c := range h {
		i, ok := at[c.host]
		if !ok || !c.clientAuth.asked {
			continue
		}
		if first == nil {
			first = map[string]hostClaim{}
		}
		s, key := &servers[i], c.prefix+"/auth-tls-secret"
		old, taken := first[c.host]
		switch {
		case !taken:
			first[c.host] = c
			if s.ClientAuth = c.clientAuth.auth; s.ClientAuth == nil {
				answer503(s, model.Owner{})
				p.addAnnotation(c.ingress, key, reason.InvalidAnnotation,
					fmt.Sprintf("the client certificates of host %q cannot be checked as asked: every path of the host answers 503", c.host))
			}
		case old.clientAuth.auth == nil || c.clientAuth.auth == nil || reflect.DeepEqual(old.clientAuth.auth, c.clientAuth.auth):
			// The host, or the Ingress's own paths, already answer 503; or
			// the claims agree.
		default:
			answer503(s, ingressOwner(c.ingress))
			p.addAnnotation(c.ingress, key, reason.ClientAuthConflict,
				fmt.Sprintf("host %q checks client certificates as %s asks%s; the paths of this Ingress on the host answer 503",
					c.host, olderOwner(ingressOwner(c.ingress), ingressOwner(old.ingress)), precedence))
		}
	}
}

// answer503 makes the locations of s answer 503: those of owner, or all
// when owner is zero.
func answer503(s *model.Server, owner model.Owner) {
	for j := range s.Locations {
		if l := &s.Locations[j]; owner == (model.Owner{}) || l.Owner == owner {
			l.Backend, l.Policy, l.Canaries, l.Candidates = "", nil, nil, nil
		}
	}
}
