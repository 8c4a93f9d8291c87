package builder

import (
	"cmp"
	"reflect"
	"slices"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// Each location's ModSecurity policy is the ConfigMap's, refined by its
// Ingress's annotations (ingress-nginx's semantics, per location). A host's
// WAF belongs to its owner, like its other host-wide settings (owners.go):
// the paths another namespace adds to the host get the WAF of the owner's
// oldest Ingress there, so that no other namespace can turn it off or
// loosen it; asking for anything else is reported.

// wafClaims maps the Ingresses that set ModSecurity annotations to them.
type wafClaims map[model.Ref]annotations.WAF

// add records the ModSecurity annotations of a served Ingress.
func (c *wafClaims) add(ing model.Ref, w annotations.WAF) {
	if !w.IsSet() {
		return
	}
	if *c == nil {
		*c = wafClaims{}
	}
	(*c)[ing] = w
}

// applyWAF sets the WAF of every location.
func (b *build) applyWAF() {
	cfg, served := &b.cfg, b.served
	defaults := cfg.Settings.WAF
	if !defaults.Enable && len(b.wafs) == 0 {
		return // most configs: no WAF anywhere
	}
	age := make(map[model.Owner]int, len(served))
	for i, o := range served {
		age[o] = i
	}
	// Locations of one owner share its WAF; only Ingresses set one.
	wafs := map[model.Owner]*model.WAF{}
	wafOf := func(o model.Owner) *model.WAF {
		w, done := wafs[o]
		if !done {
			w = resolveWAF(defaults, b.wafClaim(o))
			wafs[o] = w
		}
		return w
	}
	withWAF := policyCopies[*model.WAF]{}
	for si := range cfg.Servers {
		srv := &cfg.Servers[si]
		owner := b.owners[srv.Host]
		var host *model.Owner // the owner namespace's oldest route owner on the host
		for _, l := range srv.Locations {
			if l.Owner.Namespace == owner && (host == nil || age[l.Owner] < age[*host]) {
				host = &l.Owner
			}
		}
		for li := range srv.Locations {
			l := &srv.Locations[li]
			waf := wafOf(l.Owner)
			if host != nil && l.Owner.Namespace != owner {
				hostWAF := wafOf(*host)
				if b.wafClaim(l.Owner).IsSet() && !reflect.DeepEqual(waf, hostWAF) {
					// Repeats for other paths are dropped with the Report's.
					b.problems.add(l.Owner.Kind, l.Owner.Ref, annotationsField, reason.HostNotOwned,
						notOwned(srv.Host, "its web application firewall (ModSecurity)")+"; its paths there get the owner's")
				}
				waf = hostWAF
			}
			if waf != nil { // no policy has a WAF before
				withWAF.edit(l, waf, func(p *model.Policy) { p.WAF = waf })
			}
		}
	}
}

// wafClaim returns the ModSecurity annotations of a route owner.
func (b *build) wafClaim(o model.Owner) annotations.WAF {
	if o.Kind != model.KindIngress {
		return annotations.WAF{}
	}
	return b.wafs[o.Ref]
}

// resolveWAF merges a location's annotations into the ConfigMap's
// defaults; nil means ModSecurity is off.
func resolveWAF(s model.WAFSettings, a annotations.WAF) *model.WAF {
	enable := s.Enable
	if a.Enable != nil {
		enable = *a.Enable
	}
	if !enable {
		return nil
	}
	return &model.WAF{
		Mode: cmp.Or(a.Mode, s.Mode, model.WAFDetectionOnly),
		// As in ingress-nginx, the annotation adds the CRS; it cannot
		// take away the ConfigMap's.
		CoreRules:         s.CoreRules || a.CoreRules != nil && *a.CoreRules,
		Paranoia:          cmp.Or(a.Paranoia, s.Paranoia),
		InboundThreshold:  cmp.Or(a.InboundThreshold, s.InboundThreshold),
		OutboundThreshold: cmp.Or(a.OutboundThreshold, s.OutboundThreshold),
		ExcludeIDs:        slices.Concat(s.ExcludeIDs, a.ExcludeIDs),
		ExcludeTags:       slices.Concat(s.ExcludeTags, a.ExcludeTags),
		TransactionID:     a.TransactionID,
	}
}
