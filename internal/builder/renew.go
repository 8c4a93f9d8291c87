package builder

import (
	"maps"
	"net"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/archway-ingress/archway/internal/model"
)

// secretReads is what one Build read of the Snapshot's Secrets: the
// certificates of hosts (through certificates.get, with what parsing them
// gave) and every other Secret it looked up (through secretIndex.get:
// basic auth, client CAs, backend TLS), each found or not.
type secretReads struct {
	now          time.Time // Options.Now of the Build
	certificates map[model.Ref]certResult
	other        map[model.Ref]bool
}

// Renew returns what Build would return for a Snapshot that differs from
// the one that gave cfg and report only in the Secrets named by changed
// (added, modified or deleted; every other object the same), at opts.Now,
// without building: when the only Secrets among them that the Build read
// are certificates of hosts renewed in place. A renewed certificate is
// valid before and after, neither is expired, and both name the same DNS
// names and IP addresses, so that every decision of Build (which hosts it
// covers, which problems it reports) stays as it was and only the
// certificates' content changes. Secrets the Build never looked up change
// nothing. ok is false when Renew cannot tell: then only Build can.
func Renew(cfg model.Config, report Report, secrets []*corev1.Secret, changed []model.Ref, opts Options) (_ model.Config, _ Report, ok bool) {
	reads := report.secrets
	// Build reports the certificates expired at Now: each one must stay
	// on its side of Now.
	for _, r := range reads.certificates {
		if r.cert != nil && expiredAt(reads.now, r.cert) != expiredAt(opts.Now, r.cert) {
			return cfg, report, false
		}
	}
	index := secretIndex{all: secrets}
	renewed := map[model.Ref]*parsedCertificate{}
	for _, ref := range changed {
		old, isCertificate := reads.certificates[ref]
		switch {
		case reads.other[ref]:
			return cfg, report, false
		case !isCertificate:
			continue // Build never looked it up
		case old.err != nil, expiredAt(opts.Now, old.cert),
			cfg.DefaultCertificate != nil && cfg.DefaultCertificate.Secret == ref: // a file, not a push
			return cfg, report, false
		}
		sec, err := index.find(ref)
		if err != nil {
			return cfg, report, false
		}
		cert, err := parseTLSSecret(sec)
		if err != nil || expiredAt(opts.Now, cert) || !slices.Equal(old.cert.leaf.DNSNames, cert.leaf.DNSNames) ||
			!slices.EqualFunc(old.cert.leaf.IPAddresses, cert.leaf.IPAddresses, net.IP.Equal) {
			return cfg, report, false
		}
		renewed[ref] = cert
	}
	reads.now = opts.Now
	report.secrets = reads
	if len(renewed) == 0 {
		return cfg, report, true
	}
	if c := cfg.CatchAllCertificate; c != nil && renewed[c.Secret] != nil {
		cfg.CatchAllCertificate = renewed[c.Secret].cert
	}
	cfg.Servers = slices.Clone(cfg.Servers)
	for i, s := range cfg.Servers {
		if s.Certificate == nil {
			continue
		}
		if cert, ok := renewed[s.Certificate.Secret]; ok {
			cfg.Servers[i].Certificate = cert.cert
		}
	}
	reads.certificates = maps.Clone(reads.certificates)
	for ref, cert := range renewed {
		reads.certificates[ref] = certResult{cert: cert}
	}
	report.secrets = reads
	return cfg, report, true
}

// expiredAt is whether Build at now reports cert expired (never when now
// is not set).
func expiredAt(now time.Time, cert *parsedCertificate) bool {
	return !now.IsZero() && now.After(cert.leaf.NotAfter)
}
