package builder

import (
	"fmt"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// Problems of TLS sections and their Secrets. A bad Secret costs only its
// hosts their certificate: they are served with the default one.
//
// KindSecret is the --default-ssl-certificate Secret.
const KindSecret = "Secret"

// tlsState collects what the Ingresses' TLS sections and redirect
// annotations ask for, in the order Ingresses are added (oldest first).
type tlsState struct {
	now   time.Time
	certs certificates
	// claims are the hosts of the TLS sections, in the order their
	// Ingresses were added; apply decides which count, once every host's
	// owner is known.
	claims []tlsClaim
	// redirects are the ssl-redirect annotations of the Ingresses whose
	// flags differ from common, those of the first Ingress added: most
	// Ingresses share theirs (the defaults, or what a cluster writes on
	// every Ingress), and need no entry. added says an Ingress was
	// added; forced, that one has force-ssl-redirect.
	redirects     map[model.Owner]redirectFlags
	common        redirectFlags
	added, forced bool
}

// tlsClaim is a host's certificate as an Ingress's TLS section or an
// HTTPRoute's HTTPS listener gives it.
type tlsClaim struct {
	host, field string
	owner       model.Owner
	secret      model.Ref // zero when the section names no Secret
	cert        *model.Certificate
}

// source names what a claim comes from, in reports.
func (c tlsClaim) source() string {
	if c.owner.Kind == KindIngress {
		return "TLS section"
	}
	return "HTTPS listener"
}

type redirectFlags struct{ ssl, force bool }

// newTLSState returns an empty tlsState.
func newTLSState(opts Options, secrets *secretIndex) tlsState {
	return tlsState{now: opts.Now, certs: certificates{secrets: secrets, memo: opts.Certificates}}
}

// addIngress records the TLS sections and redirect annotations of one of
// this instance's Ingresses. A TLS section counts for the hosts that the
// Ingress's namespace owns, even when the Ingress has no rule for them:
// a namespace may keep its TLS sections apart from its rules.
func (t *tlsState) addIngress(ing *networkingv1.Ingress, ref model.Ref, redirect redirectFlags, p *problems) {
	if !t.added {
		t.common, t.added = redirect, true
	} else if redirect != t.common {
		if t.redirects == nil {
			t.redirects = map[model.Owner]redirectFlags{}
		}
		t.redirects[ingressOwner(ref)] = redirect
	}
	t.forced = t.forced || redirect.force
	for i, section := range ing.Spec.TLS {
		field := fmt.Sprintf("spec.tls[%d]", i)
		cert := t.sectionCertificate(ref, section.SecretName, field, p)
		var secret model.Ref
		if section.SecretName != "" {
			secret = model.Ref{Namespace: ref.Namespace, Name: section.SecretName}
		}
		if len(section.Hosts) == 0 {
			// No hosts: the section covers the Ingress's rule hosts that
			// its certificate names.
			for _, rule := range ing.Spec.Rules {
				if rule.Host != "" && checkHost(rule.Host) == nil && (cert == nil || covers(cert.leaf, rule.Host)) {
					t.claims = append(t.claims, tlsClaim{host: rule.Host, field: field + ".hosts", owner: ingressOwner(ref), secret: secret, cert: cert.model()})
				}
			}
			continue
		}
		for j, host := range section.Hosts {
			hostField := fmt.Sprintf("%s.hosts[%d]", field, j)
			if err := checkHost(host); err != nil {
				p.add(KindIngress, ref, hostField, reason.InvalidHost, err.Error())
				continue
			}
			claim := tlsClaim{host: host, field: hostField, owner: ingressOwner(ref), secret: secret, cert: cert.model()}
			if cert != nil && !covers(cert.leaf, host) {
				p.add(KindIngress, ref, hostField, reason.CertificateHostMismatch,
					fmt.Sprintf("the certificate of Secret %s/%s does not cover host %q; the default certificate is served", ref.Namespace, section.SecretName, host))
				claim.cert = nil
			}
			t.claims = append(t.claims, claim)
		}
	}
}

// sectionCertificate returns the certificate of a TLS section's Secret, or
// nil (the default certificate) when it names none or a bad one.
func (t *tlsState) sectionCertificate(ing model.Ref, name, field string, p *problems) *parsedCertificate {
	if name == "" {
		return nil
	}
	if !isDNSSubdomain(name) {
		p.add(KindIngress, ing, field+".secretName", reason.InvalidTLSSecret,
			fmt.Sprintf("%q is not a Secret name; its hosts are served with the default certificate", shorten(name)))
		return nil
	}
	cert, err := t.certs.get(model.Ref{Namespace: ing.Namespace, Name: name})
	if err != nil {
		p.add(KindIngress, ing, field+".secretName", reason.InvalidTLSSecret, err.Error()+"; its hosts are served with the default certificate")
		return nil
	}
	if msg, expired := t.expired(cert); expired {
		p.add(KindIngress, ing, field+".secretName", reason.CertificateExpired, msg)
	}
	return cert
}

// expired says whether cert has expired at t.now (never when now is not
// set) and how to report it.
func (t *tlsState) expired(cert *parsedCertificate) (string, bool) {
	if !expiredAt(t.now, cert) {
		return "", false
	}
	return fmt.Sprintf("the certificate of Secret %s expired at %s; it is still served",
		cert.secret, cert.leaf.NotAfter.UTC().Format(time.RFC3339)), true
}

// hosts gives each host the first claim of its owner namespace (see
// owners.go). Claims of other namespaces are reported, and so are later
// claims with another Secret; hosts that no rule routes have no owner and
// nothing to apply a claim to.
func (t *tlsState) hosts(owners hostOwners, p *problems) map[string]tlsClaim {
	hosts := make(map[string]tlsClaim, len(t.claims))
	for _, c := range t.claims {
		owner, routed := owners[c.host]
		old, taken := hosts[c.host]
		switch {
		case !routed:
		case owner != c.owner.Namespace:
			p.add(c.owner.Kind, c.owner.Ref, c.field, reason.HostNotOwned, notOwned(c.host, "its "+c.source())+"; ignored")
		case !taken:
			hosts[c.host] = c
		case old.secret != c.secret:
			secret := old.secret.Name
			if old.secret.Namespace != c.owner.Namespace && secret != "" {
				secret = old.secret.String()
			}
			p.add(c.owner.Kind, c.owner.Ref, c.field, reason.TLSConflict,
				fmt.Sprintf("host %q is served with the %s (Secret %q) of %s%s", c.host, old.source(), secret, olderOwner(c.owner, old.owner), precedenceOf(c.owner, old.owner)))
		}
	}
	return hosts
}

// apply gives servers their certificates and the HTTPS redirects their
// locations' Ingresses ask for. Only apply sets HTTPSRedirect, so with no
// TLS section and no force-ssl-redirect there is nothing to do.
func (t *tlsState) apply(servers []model.Server, owners hostOwners, p *problems) {
	if len(t.claims) == 0 && !t.forced {
		return
	}
	hosts := t.hosts(owners, p)
	redirects := policyCopies[bool]{}
	for i := range servers {
		s := &servers[i]
		claim, tls := hosts[s.Host]
		if tls && s.Host != "" {
			s.Certificate = claim.cert
		}
		for j := range s.Locations {
			l := &s.Locations[j]
			f, ok := t.redirects[l.Owner]
			if !ok && l.Owner.Kind == KindIngress {
				f = t.common // every Ingress of a Location went through addIngress
			}
			if redirect := f.force || tls && f.ssl; redirect != (l.Policy != nil && l.Policy.HTTPSRedirect) {
				redirects.edit(l, redirect, func(p *model.Policy) { p.HTTPSRedirect = redirect })
			}
		}
	}
}

// defaultCertificate returns the --default-ssl-certificate Secret's
// certificate, or the fallback when it is not set or not usable.
func (t *tlsState) defaultCertificate(opts Options, p *problems) *model.Certificate {
	if opts.DefaultCertificate == "" {
		return opts.FallbackCertificate
	}
	namespace, name, _ := strings.Cut(opts.DefaultCertificate, "/")
	ref := model.Ref{Namespace: namespace, Name: name}
	if err := checkRef(namespace, name); err != nil {
		p.add(KindSecret, ref, "", reason.InvalidTLSSecret, "--default-ssl-certificate: "+err.Error())
		return opts.FallbackCertificate
	}
	cert, err := t.certs.get(ref)
	if err != nil {
		p.add(KindSecret, ref, "", reason.InvalidTLSSecret,
			"--default-ssl-certificate: "+err.Error()+"; archway's generated certificate is served instead")
		return opts.FallbackCertificate
	}
	if msg, expired := t.expired(cert); expired {
		p.add(KindSecret, ref, "", reason.CertificateExpired, msg)
	}
	return cert.cert
}
