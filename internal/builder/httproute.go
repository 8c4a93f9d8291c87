package builder

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// addHTTPRoutes adds the HTTPRoutes attached to this instance's Gateways
// (gateway.go), oldest first, after the Ingresses: a route (host, path,
// match) an Ingress has stays the Ingress's, and of two HTTPRoutes the
// older wins, as among Ingresses. Each HTTPRoute's routes name it as their
// Owner.
func (b *build) addHTTPRoutes() {
	listeners := b.gateways()
	if len(listeners) == 0 {
		return
	}
	b.cfg.CatchAllCertificate = b.catchAllCertificate()
	b.cfg.GatewayPorts = b.gatewayPorts(listeners)
	b.gatewayReport.Ports = b.cfg.GatewayPorts
	b.ownPorts = map[model.Ref]bool{}
	for _, g := range b.cfg.GatewayPorts {
		b.ownPorts[g.Gateway] = true
	}
	b.anyDepth = map[string]bool{}
	routes := slices.Clone(b.snap.HTTPRoutes)
	slices.SortFunc(routes, func(a, b *gatewayv1.HTTPRoute) int {
		return cmp.Or(a.CreationTimestamp.Time.Compare(b.CreationTimestamp.Time),
			compareRefs(model.Ref{Namespace: a.Namespace, Name: a.Name}, model.Ref{Namespace: b.Namespace, Name: b.Name}))
	})
	parsed, _ := annotations.Parse(nil, annotations.DefaultPrefix)
	policy := parsed.Location.Policy() // what an Ingress without annotations gets
	shared := &policy
	if policy.IsZero() {
		shared = nil
	}
	b.reserve(0, len(routes))
	var matches []httpMatch
	for rank, route := range routes {
		switch hosts, ports, result := b.routeHosts(listeners, route); {
		case len(hosts) > 0:
			matches = b.httpRouteMatches(matches, rank, route, hosts, ports, result)
		case result != nil && slices.ContainsFunc(result.Parents, func(p ParentResult) bool { return p.Refused == "" }):
			b.checkBackends(model.Ref{Namespace: route.Namespace, Name: route.Name}, route.Spec.Rules, result)
		}
	}
	b.claimMatches(matches, shared)
}

// routeHosts returns the hosts an HTTPRoute is served on ("" for any host),
// nil when it is not attached to a Gateway of this instance or no listener
// takes it (reported), the ports of the listeners that take it (sorted),
// and its result in the GatewayReport, nil when it names no Gateway of
// this instance.
func (b *build) routeHosts(listeners gatewayListeners, route *gatewayv1.HTTPRoute) ([]routeHost, []gatewayv1.PortNumber, *RouteResult) {
	ref := model.Ref{Namespace: route.Namespace, Name: route.Name}
	names := []string{""}
	if len(route.Spec.Hostnames) > 0 {
		names = names[:0]
	}
	for i, h := range route.Spec.Hostnames {
		if err := checkHost(string(h)); err != nil {
			b.problems.add(KindHTTPRoute, ref, fmt.Sprintf("spec.hostnames[%d]", i), reason.InvalidHost, err.Error())
			continue
		}
		names = append(names, string(h))
	}
	var hosts []routeHost
	var ports []gatewayv1.PortNumber
	var result *RouteResult
	for i, parent := range route.Spec.ParentRefs {
		a, ours := listeners.attach(route.Namespace, parent, names)
		if !ours {
			continue // another controller's, or no Gateway of ours
		}
		if err := checkRef(ref.Namespace, ref.Name); err != nil {
			b.problems.add(KindHTTPRoute, ref, "", reason.InvalidName, err.Error())
			return nil, nil, nil
		}
		if result == nil {
			b.gatewayReport.Routes = append(b.gatewayReport.Routes, RouteResult{Ref: ref})
			result = &b.gatewayReport.Routes[len(b.gatewayReport.Routes)-1]
		}
		result.Parents = append(result.Parents, ParentResult{Ref: parent, Refused: a.refused})
		for _, name := range a.taken {
			b.gatewayReport.attach(a.gw, name)
		}
		ports = append(ports, a.ports...)
		if a.refused != "" {
			b.problems.add(KindHTTPRoute, ref, fmt.Sprintf("spec.parentRefs[%d]", i), reason.RouteNotAllowed,
				fmt.Sprintf("no listener of Gateway %s takes this route (%s)", parent.Name, result.Parents[len(result.Parents)-1].Why()))
		}
		for _, h := range a.hosts {
			if b.ownPorts[a.gw] {
				h.gateway = a.gw
			}
			hosts = addRouteHost(hosts, h)
		}
	}
	slices.SortFunc(hosts, func(a, b routeHost) int {
		return cmp.Or(compareRefs(a.gateway, b.gateway), strings.Compare(a.name, b.name))
	})
	slices.Sort(ports)
	return hosts, slices.Compact(ports), result
}

// httpRouteMatches appends the matches of each rule of route, the
// rank-th oldest, on every host, and claims the certificate of its HTTPS
// listener for each host, as an Ingress's TLS section does (tls.go). A
// rule with a filter or match archway cannot serve as written is reported
// and dropped (result's Dropped) alone: serving it without its condition
// or filter would send requests where the author did not mean them to go.
func (b *build) httpRouteMatches(matches []httpMatch, rank int, route *gatewayv1.HTTPRoute, hosts []routeHost, ports []gatewayv1.PortNumber, result *RouteResult) []httpMatch {
	ref := model.Ref{Namespace: route.Namespace, Name: route.Name}
	owner := model.Owner{Kind: KindHTTPRoute, Ref: ref}
	for _, h := range hosts {
		if h.cert != nil && h.name != "" {
			b.tls.claims = append(b.tls.claims, tlsClaim{host: h.name, field: "spec.parentRefs", owner: owner, secret: h.cert.secret, cert: h.cert.cert})
		}
	}
	for i, rule := range route.Spec.Rules {
		field := fmt.Sprintf("spec.rules[%d]", i)
		result.Rules++
		filters, rej := routeFilters(rule, ports)
		var parsed []parsedMatch
		if rej == nil {
			parsed, rej = ruleMatches(rule.Matches)
		}
		if rej != nil {
			p := Problem{Kind: KindHTTPRoute, Object: ref, Field: field + rej.field, Reason: rej.reason, Message: rej.message}
			b.problems = append(b.problems, p)
			result.Dropped = append(result.Dropped, p)
			continue
		}
		var found []httpMatch
		for _, m := range parsed {
			for _, host := range hosts {
				if rej := b.passedThrough(host.name, ref.Namespace); rej != nil {
					b.problems.add(KindHTTPRoute, ref, field, rej.reason, rej.message)
					continue
				}
				if _, taken := b.owners[host.name]; !taken && strings.HasPrefix(host.name, "*.") {
					b.anyDepth[host.name] = true // no Ingress has this wildcard
				}
				b.owners.claim(host.name, ref.Namespace)
				found = append(found, httpMatch{key: routeKey{gateway: host.gateway, host: host.name, path: m.path, match: m.match}, owner: owner,
					field: field, rank: rank, rule: i, cand: m.cand, filters: filters})
			}
		}
		if len(found) == 0 {
			continue
		}
		backend, canaries := b.routeBackends(ref, field, rule.BackendRefs, result)
		for k := range found {
			found[k].cand.Backend, found[k].cand.Canaries = backend, canaries
		}
		matches = append(matches, found...)
	}
	return matches
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
