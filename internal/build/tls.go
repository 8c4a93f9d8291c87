package build

import (
	"fmt"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
)

// Problems of TLS sections and their Secrets. A bad Secret costs only its
// hosts their certificate: they are served with the default one.
const (
	// KindSecret is the --default-ssl-certificate Secret.
	KindSecret = "Secret"
	// ReasonInvalidTLSSecret: the Secret is missing, or is not a usable
	// certificate and key.
	ReasonInvalidTLSSecret = "InvalidTLSSecret"
	// ReasonCertificateHostMismatch: the certificate does not cover a host
	// of its TLS section.
	ReasonCertificateHostMismatch = "CertificateHostMismatch"
	// ReasonCertificateExpired: the certificate has expired; it is still
	// served.
	ReasonCertificateExpired = "CertificateExpired"
	// ReasonTLSConflict: an older Ingress gave the host another
	// certificate.
	ReasonTLSConflict = "TLSConflict"
)

// tlsState collects what the Ingresses' TLS sections and redirect
// annotations ask for, in the order Ingresses are added (oldest first).
type tlsState struct {
	now   time.Time
	certs certificates
	// hosts maps each host of a TLS section to its first claim.
	hosts map[string]tlsClaim
	// redirects are the ssl-redirect annotations of each Ingress; forced
	// says whether any of them has force-ssl-redirect.
	redirects map[model.Ref]redirectFlags
	forced    bool
}

type tlsClaim struct {
	ingress model.Ref
	secret  string // "" when the section names no Secret
	cert    *model.Certificate
}

type redirectFlags struct{ ssl, force bool }

// newTLSState makes room for the redirect flags of n Ingresses: most
// Ingresses have them, as ssl-redirect is on by default.
func newTLSState(opts Options, secrets *secretIndex, n int) tlsState {
	return tlsState{now: opts.Now, certs: certificates{secrets: secrets, memo: opts.Certificates},
		hosts: map[string]tlsClaim{}, redirects: make(map[model.Ref]redirectFlags, n)}
}

// addIngress records the TLS sections and redirect annotations of one of
// this instance's Ingresses; a TLS section counts even when none of the
// Ingress's rules is served (TLS-only Ingresses are common).
func (t *tlsState) addIngress(ing *networkingv1.Ingress, ref model.Ref, redirect redirectFlags, p *problems) {
	if redirect.ssl || redirect.force {
		t.redirects[ref] = redirect
		t.forced = t.forced || redirect.force
	}
	for i, section := range ing.Spec.TLS {
		field := fmt.Sprintf("spec.tls[%d]", i)
		cert := t.sectionCertificate(ref, section.SecretName, field, p)
		if len(section.Hosts) == 0 {
			// No hosts: the section covers the Ingress's rule hosts that
			// its certificate names.
			for _, rule := range ing.Spec.Rules {
				if rule.Host != "" && checkHost(rule.Host) == nil && (cert == nil || covers(cert.leaf, rule.Host)) {
					t.claim(rule.Host, tlsClaim{ingress: ref, secret: section.SecretName, cert: cert.model()}, field+".hosts", p)
				}
			}
			continue
		}
		for j, host := range section.Hosts {
			hostField := fmt.Sprintf("%s.hosts[%d]", field, j)
			if err := checkHost(host); err != nil {
				p.add(KindIngress, ref, hostField, ReasonInvalidHost, err.Error())
				continue
			}
			claim := tlsClaim{ingress: ref, secret: section.SecretName, cert: cert.model()}
			if cert != nil && !covers(cert.leaf, host) {
				p.add(KindIngress, ref, hostField, ReasonCertificateHostMismatch,
					fmt.Sprintf("the certificate of Secret %s/%s does not cover host %q; the default certificate is served", ref.Namespace, section.SecretName, host))
				claim.cert = nil
			}
			t.claim(host, claim, hostField, p)
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
		p.add(KindIngress, ing, field+".secretName", ReasonInvalidTLSSecret,
			fmt.Sprintf("%q is not a Secret name; its hosts are served with the default certificate", shorten(name)))
		return nil
	}
	cert, err := t.certs.get(model.Ref{Namespace: ing.Namespace, Name: name})
	if err != nil {
		p.add(KindIngress, ing, field+".secretName", ReasonInvalidTLSSecret, err.Error()+"; its hosts are served with the default certificate")
		return nil
	}
	if msg, expired := t.expired(cert); expired {
		p.add(KindIngress, ing, field+".secretName", ReasonCertificateExpired, msg)
	}
	return cert
}

// expired says whether cert has expired at t.now (never when now is not
// set) and how to report it.
func (t *tlsState) expired(cert *parsedCertificate) (string, bool) {
	if t.now.IsZero() || !t.now.After(cert.leaf.NotAfter) {
		return "", false
	}
	return fmt.Sprintf("the certificate of Secret %s expired at %s; it is still served",
		cert.secret, cert.leaf.NotAfter.UTC().Format(time.RFC3339)), true
}

// claim gives host to c unless an older claim holds it; a claim with
// another Secret is reported.
func (t *tlsState) claim(host string, c tlsClaim, field string, p *problems) {
	old, taken := t.hosts[host]
	switch {
	case !taken:
		t.hosts[host] = c
	case old.ingress.Namespace != c.ingress.Namespace || old.secret != c.secret:
		p.add(KindIngress, c.ingress, field, ReasonTLSConflict,
			fmt.Sprintf("host %q is served with the TLS section of Ingress %s (Secret %q)%s", host, old.ingress, old.secret, precedence))
	}
}

// apply gives servers their certificates and the HTTPS redirects their
// locations' Ingresses ask for. Only apply sets HTTPSRedirect, so with no
// TLS host and no force-ssl-redirect there is nothing to do.
func (t *tlsState) apply(servers []model.Server) {
	if len(t.hosts) == 0 && !t.forced {
		return
	}
	for i := range servers {
		s := &servers[i]
		claim, tls := t.hosts[s.Host]
		if tls && s.Host != "" {
			s.Certificate = claim.cert
		}
		for j := range s.Locations {
			f := t.redirects[s.Locations[j].Ingress]
			s.Locations[j].Policy.HTTPSRedirect = f.force || tls && f.ssl
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
		p.add(KindSecret, ref, "", ReasonInvalidTLSSecret, "--default-ssl-certificate: "+err.Error())
		return opts.FallbackCertificate
	}
	cert, err := t.certs.get(ref)
	if err != nil {
		p.add(KindSecret, ref, "", ReasonInvalidTLSSecret,
			"--default-ssl-certificate: "+err.Error()+"; archway's generated certificate is served instead")
		return opts.FallbackCertificate
	}
	if msg, expired := t.expired(cert); expired {
		p.add(KindSecret, ref, "", ReasonCertificateExpired, msg)
	}
	return cert.cert
}
