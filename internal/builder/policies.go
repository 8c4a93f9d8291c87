package builder

import "github.com/archway-ingress/archway/internal/model"

// Locations share their policies (model.Location.Policy): the paths of
// an Ingress hold its one policy, the HTTPRoutes' locations one policy of
// the build. A processor that changes a location's policy never writes
// it, since the change would reach every location that shares it: it
// gives the location a changed copy, through policyCopies.

// sharePolicy gives loc the policy p, which other locations share.
func (b *build) sharePolicy(loc *model.Location, p *model.Policy) {
	if b.ownPolicies != nil && p != nil {
		p = b.ownPolicies(p)
	}
	loc.Policy = p
}

// policyChange is the change K of the shared policy from.
type policyChange[K comparable] struct {
	from   *model.Policy
	change K
}

// policyCopies holds the changed copies of shared policies, one per
// policy and change, so that the locations that shared a policy and get
// one change share its copy.
type policyCopies[K comparable] map[policyChange[K]]*model.Policy

// edit gives loc its policy changed by set, which makes the change.
func (c policyCopies[K]) edit(loc *model.Location, change K, set func(*model.Policy)) {
	key := policyChange[K]{loc.Policy, change}
	p, made := c[key]
	if !made {
		p = changedPolicy(loc.Policy, set)
		c[key] = p
	}
	loc.Policy = p
}

// changedPolicy returns a copy of from changed by set; nil when the copy
// asks nothing.
func changedPolicy(from *model.Policy, set func(*model.Policy)) *model.Policy {
	var p model.Policy
	if from != nil {
		p = *from
	}
	set(&p)
	if p.IsZero() {
		return nil
	}
	return &p
}
