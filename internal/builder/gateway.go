package builder

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// The Gateway API: this file selects the Gateways of this instance's
// GatewayClasses and their listeners; httproute.go attaches HTTPRoutes to
// them and claims their routes after the Ingresses' (processors.go), so an
// Ingress keeps every route it has.

// Problem kinds of the Gateway API.
const (
	KindGateway   = "Gateway"
	KindHTTPRoute = "HTTPRoute"
)

// gatewayGroup is the API group of the Gateway API kinds.
const gatewayGroup = gatewayv1.GroupName

// listener is an HTTP or HTTPS listener of a Gateway of this instance.
type listener struct {
	name string
	port gatewayv1.PortNumber
	// hostname is "" for any host.
	hostname string
	// admits says whether routes of a namespace may attach
	// (allowedRoutes.namespaces).
	admits func(namespace string) bool
	// cert is the certificate of an HTTPS listener, nil for HTTP.
	cert *parsedCertificate
	// unserved is a listener whose references cannot be resolved (its
	// certificate, or its allowedRoutes.kinds): the routes it takes count
	// as attached, but it serves none of them.
	unserved bool
}

// gatewayListeners are the HTTP listeners of this instance's Gateways, by
// Gateway.
type gatewayListeners map[model.Ref][]listener

// gateways returns the listeners of the Gateways whose GatewayClass has
// this instance's controller name. What a listener asks that archway does
// not do is reported on the Gateway, and the listener left out.
func (b *build) gateways() gatewayListeners {
	if b.opts.GatewayController == "" {
		return nil
	}
	classes := map[string]bool{}
	for _, c := range b.snap.GatewayClasses {
		if string(c.Spec.ControllerName) == b.opts.GatewayController {
			classes[c.Name] = true
			b.gatewayReport.Classes = append(b.gatewayReport.Classes, c.Name)
		}
	}
	out := gatewayListeners{}
	gateways := slices.Clone(b.snap.Gateways)
	slices.SortFunc(gateways, func(a, b *gatewayv1.Gateway) int {
		return cmp.Or(a.CreationTimestamp.Time.Compare(b.CreationTimestamp.Time),
			compareRefs(model.Ref{Namespace: a.Namespace, Name: a.Name}, model.Ref{Namespace: b.Namespace, Name: b.Name}))
	})
	for _, gw := range gateways {
		if !classes[string(gw.Spec.GatewayClassName)] {
			continue
		}
		ref := model.Ref{Namespace: gw.Namespace, Name: gw.Name}
		if err := checkRef(ref.Namespace, ref.Name); err != nil {
			b.problems.add(KindGateway, ref, "", reason.InvalidName, err.Error())
			continue
		}
		listeners := []listener{}
		result := GatewayResult{Ref: ref}
		conflicts := b.protocolConflicts(gw.Spec.Listeners)
		for i, spec := range gw.Spec.Listeners {
			field := fmt.Sprintf("spec.listeners[%d]", i)
			l, err := b.listener(gw.Namespace, spec)
			if err == nil {
				err = conflicts[spec.Port]
			}
			if err != nil {
				b.problems.add(KindGateway, ref, field+err.field, err.reason, err.message)
				result.Listeners = append(result.Listeners, ListenerResult{Name: string(spec.Name), Reason: err.reason, Message: err.message})
				continue
			}
			res := ListenerResult{Name: l.name, Served: true}
			unresolved := func(err *rejection) {
				b.problems.add(KindGateway, ref, field+err.field, err.reason, err.message)
				res.Served, res.RefsReason, res.Message = false, err.reason, err.message
			}
			if err := routeKinds(spec); err != nil {
				unresolved(err)
				res.Served = slices.ContainsFunc(spec.AllowedRoutes.Kinds, isHTTPRouteKind)
				if res.NoRouteKinds = !res.Served; res.NoRouteKinds {
					l.admits = func(string) bool { return false }
				}
			}
			if spec.Protocol == gatewayv1.HTTPSProtocolType && res.Served {
				if l.cert, err = b.listenerCertificate(ref, spec); err != nil {
					unresolved(err)
				} else if l.hostname == "" {
					b.hostlessHTTPS = append(b.hostlessHTTPS, hostlessListener{gateway: ref, field: field, name: l.name, cert: l.cert})
				}
			}
			l.unserved = !res.Served
			listeners = append(listeners, l)
			result.Listeners = append(result.Listeners, res)
		}
		out[ref] = listeners
		b.gatewayReport.Gateways = append(b.gatewayReport.Gateways, result)
	}
	return out
}

// listener reads one listener of a Gateway of namespace, or says why
// archway does not serve it.
func (b *build) listener(namespace string, l gatewayv1.Listener) (listener, *rejection) {
	out := listener{name: string(l.Name), port: l.Port, admits: func(ns string) bool { return ns == namespace }}
	unsupported := func(what string) (listener, *rejection) {
		return listener{}, &rejection{reason: reason.UnsupportedFeature,
			message: fmt.Sprintf("listener %q: %s; the listener is not served", l.Name, what)}
	}
	switch {
	case l.Protocol != gatewayv1.HTTPProtocolType && l.Protocol != gatewayv1.HTTPSProtocolType:
		return unsupported(fmt.Sprintf("protocol %s is not supported yet (only HTTP and HTTPS)", l.Protocol))
	case l.Protocol == gatewayv1.HTTPSProtocolType && l.TLS != nil && deref(l.TLS.Mode) == gatewayv1.TLSModePassthrough:
		return unsupported("tls.mode Passthrough is not supported (only Terminate)")
	}
	if l.Hostname != nil {
		out.hostname = string(*l.Hostname)
		if err := checkHost(out.hostname); err != nil {
			return listener{}, &rejection{reason: reason.InvalidHost, message: err.Error()}
		}
	}
	if a := l.AllowedRoutes; a != nil {
		if a.Namespaces != nil && a.Namespaces.From != nil {
			switch *a.Namespaces.From {
			case gatewayv1.NamespacesFromAll:
				out.admits = func(string) bool { return true }
			case gatewayv1.NamespacesFromSame:
			case gatewayv1.NamespacesFromSelector:
				selector, err := metav1.LabelSelectorAsSelector(a.Namespaces.Selector)
				if err != nil || a.Namespaces.Selector == nil {
					return listener{}, &rejection{field: ".allowedRoutes.namespaces.selector", reason: reason.InvalidSelector,
						message: fmt.Sprintf("listener %q: allowedRoutes.namespaces.selector is missing or invalid (%v); the listener is not served", l.Name, err)}
				}
				out.admits = func(ns string) bool { return selector.Matches(b.namespaceLabels(ns)) }
			default:
				return unsupported(fmt.Sprintf("allowedRoutes.namespaces.from %s is not supported (All, Same or Selector)", *a.Namespaces.From))
			}
		}
	}
	return out, nil
}

// routeKinds says which kinds of a listener's allowedRoutes.kinds archway
// does not take (only HTTPRoute), nil when it takes them all. The
// rejection's field is relative to the listener.
func routeKinds(l gatewayv1.Listener) *rejection {
	if l.AllowedRoutes == nil {
		return nil
	}
	var invalid []string
	for _, k := range l.AllowedRoutes.Kinds {
		if !isHTTPRouteKind(k) {
			invalid = append(invalid, strings.TrimPrefix(fmt.Sprintf("%s/%s", deref(k.Group), k.Kind), "/"))
		}
	}
	if len(invalid) == 0 {
		return nil
	}
	return &rejection{field: ".allowedRoutes.kinds", reason: reason.InvalidRouteKind, message: fmt.Sprintf(
		"listener %q: allowedRoutes.kinds names %s, which archway does not take (only HTTPRoute)", l.Name, strings.Join(invalid, ", "))}
}

// listenerCertificate returns the certificate of an HTTPS listener of
// Gateway gw: its first certificateRef, a TLS Secret of the Gateway's
// namespace or of another whose ReferenceGrant allows it. Every
// certificateRef must be usable, as the listener's ResolvedRefs says; a
// listener with one that is not is not served. The rejection's field is
// relative to the listener.
func (b *build) listenerCertificate(gw model.Ref, l gatewayv1.Listener) (*parsedCertificate, *rejection) {
	var refs []gatewayv1.SecretObjectReference
	if l.TLS != nil {
		refs = l.TLS.CertificateRefs
	}
	if len(refs) == 0 {
		return nil, &rejection{field: ".tls.certificateRefs", reason: reason.InvalidTLSSecret,
			message: fmt.Sprintf("listener %q: an HTTPS listener needs a certificateRef; the listener is not served", l.Name)}
	}
	var first *parsedCertificate
	for i, ref := range refs {
		field := fmt.Sprintf(".tls.certificateRefs[%d]", i)
		invalid := func(why string) (*parsedCertificate, *rejection) {
			return nil, &rejection{field: field, reason: reason.InvalidTLSSecret,
				message: fmt.Sprintf("listener %q: %s; the listener is not served", l.Name, why)}
		}
		if deref(ref.Group) != "" || deref(ref.Kind) != "" && deref(ref.Kind) != KindSecret {
			return invalid(fmt.Sprintf("certificateRef of group %q kind %q: only Secrets are supported", deref(ref.Group), deref(ref.Kind)))
		}
		secret := model.Ref{Namespace: gw.Namespace, Name: string(ref.Name)}
		if ref.Namespace != nil && string(*ref.Namespace) != gw.Namespace {
			secret.Namespace = string(*ref.Namespace)
			if !b.granted(KindGateway, gw.Namespace, KindSecret, secret) {
				return nil, &rejection{field: field + ".namespace", reason: reason.RefNotPermitted, message: fmt.Sprintf(
					"listener %q: no ReferenceGrant of namespace %s allows Gateways of %s to use Secret %s; the listener is not served",
					l.Name, secret.Namespace, gw.Namespace, secret.Name)}
			}
		}
		if err := checkRef(secret.Namespace, secret.Name); err != nil {
			return invalid(err.Error())
		}
		cert, err := b.tls.certs.get(secret)
		if err != nil {
			return invalid(err.Error())
		}
		if msg, expired := b.tls.expired(cert); expired {
			b.problems.add(KindGateway, gw, field, reason.CertificateExpired, msg)
		}
		first = cmp.Or(first, cert)
	}
	return first, nil
}

// hostlessListener is a served HTTPS listener without hostname, whose
// certificate may answer the server names no host has.
type hostlessListener struct {
	gateway     model.Ref
	field, name string
	cert        *parsedCertificate
}

// catchAllCertificate returns the certificate of the server names that no
// host has: a listener without hostname takes every name, so the first
// hostless HTTPS listener of the oldest Gateway (b.hostlessHTTPS is in
// that order) gives them its certificate; later ones with another Secret
// are reported. It runs before the HTTPRoutes claim hosts: when an
// Ingress of another namespace than that Gateway's has a rule without
// host, those names are that Ingress's, which keeps them on the default
// certificate as an Ingress's TLS section wins over a listener's, and
// the Gateway is reported.
func (b *build) catchAllCertificate() *model.Certificate {
	if len(b.hostlessHTTPS) == 0 {
		return nil
	}
	first := b.hostlessHTTPS[0]
	if owner, taken := b.owners[""]; taken && owner != first.gateway.Namespace {
		b.problems.add(KindGateway, first.gateway, first.field, reason.HostNotOwned, fmt.Sprintf(
			"listener %q: an Ingress rule without host of another namespace serves the names no host has; they keep the default certificate", first.name))
		return nil
	}
	for _, l := range b.hostlessHTTPS[1:] {
		if l.cert.secret != first.cert.secret {
			b.problems.add(KindGateway, l.gateway, l.field, reason.TLSConflict, fmt.Sprintf(
				"listener %q: the names no host has are served with the certificate of listener %q of Gateway %s (the oldest Gateway's hostless HTTPS listener wins)",
				l.name, first.name, first.gateway))
		}
	}
	return first.cert.cert
}

// namespaceLabels returns the labels of the Namespace ns, with the
// kubernetes.io/metadata.name label the API server gives every Namespace,
// also for namespaces a folder of manifests does not declare.
func (b *build) namespaceLabels(ns string) labels.Set {
	if b.namespaces == nil {
		b.namespaces = make(map[string]labels.Set, len(b.snap.Namespaces))
		for _, n := range b.snap.Namespaces {
			b.namespaces[n.Name] = n.Labels
		}
	}
	set := maps.Clone(b.namespaces[ns])
	if set == nil {
		set = labels.Set{}
	}
	set[corev1.LabelMetadataName] = ns
	return set
}

// markAnyDepth lets the wildcard hosts that HTTPRoutes alone have match
// one or more labels, as the Gateway API's wildcards do; a wildcard host
// that an Ingress has keeps the Ingress's one label, for every route on it.
func (b *build) markAnyDepth() {
	if len(b.anyDepth) == 0 {
		return
	}
	for i := range b.cfg.Servers {
		b.cfg.Servers[i].AnyDepth = b.anyDepth[b.cfg.Servers[i].Host]
	}
}

func isHTTPRouteKind(k gatewayv1.RouteGroupKind) bool {
	return k.Kind == KindHTTPRoute && (k.Group == nil || *k.Group == gatewayGroup)
}

// routeHost is a host an HTTPRoute is served on ("" for any host) and the
// certificate that its most specific HTTPS listener gives it, nil when
// only HTTP listeners take it.
type routeHost struct {
	name string
	// gateway is the Gateway whose own ports serve the host, the zero
	// Ref for the HTTP and HTTPS ports.
	gateway model.Ref
	cert    *parsedCertificate
	// rank is how specific that listener's hostname is (listenerRank).
	rank int
}

// addRouteHost adds h to hosts, or gives the host already there h's
// certificate when h's listener is more specific.
func addRouteHost(hosts []routeHost, h routeHost) []routeHost {
	i := slices.IndexFunc(hosts, func(o routeHost) bool { return o.name == h.name && o.gateway == h.gateway })
	switch {
	case i < 0:
		return append(hosts, h)
	case h.cert != nil && (hosts[i].cert == nil || h.rank > hosts[i].rank):
		hosts[i] = h
	}
	return hosts
}

// listenerRank orders listener hostnames by how specific they are: an
// exact name, then wildcards by length, then none.
func listenerRank(hostname string) int {
	if hostname == "" || strings.HasPrefix(hostname, "*.") {
		return 2 * len(hostname)
	}
	return 2*len(hostname) + 1
}

// attachment is what the listeners of a parentRef's Gateway make of an
// HTTPRoute: the hosts it is served on ("" for any host) and the ports of
// the listeners that serve it, the names of the listeners that take it
// (served or not), and why none does ("" when one does).
type attachment struct {
	gw      model.Ref
	hosts   []routeHost
	ports   []gatewayv1.PortNumber
	taken   []string
	refused gatewayv1.RouteConditionReason
}

// attach returns what the listeners of parent take of an HTTPRoute of
// namespace with the hostnames routes ("" for none): the intersection of
// its hostnames with each listener's that takes it, "" for any host. No
// listener takes it when none matches the parentRef's sectionName and
// port (NoMatchingParent), none of those allows its namespace
// (NotAllowedByListeners), or none of those shares a hostname with it
// (NoMatchingListenerHostname). ours says whether parent is a Gateway of
// this instance.
func (gls gatewayListeners) attach(namespace string, parent gatewayv1.ParentReference, routes []string) (a attachment, ours bool) {
	if parent.Group != nil && *parent.Group != gatewayGroup || parent.Kind != nil && *parent.Kind != KindGateway {
		return a, false
	}
	a.gw = model.Ref{Namespace: namespace, Name: string(parent.Name)}
	if parent.Namespace != nil {
		a.gw.Namespace = string(*parent.Namespace)
	}
	listeners, ours := gls[a.gw]
	matched, allowed := false, false
	for _, l := range listeners {
		if parent.SectionName != nil && string(*parent.SectionName) != l.name || parent.Port != nil && *parent.Port != l.port {
			continue
		}
		matched = true
		if !l.admits(namespace) {
			continue
		}
		allowed = true
		took := false
		for _, r := range routes {
			host, ok := intersect(l.hostname, r)
			took = took || ok
			if ok && !l.unserved {
				a.hosts = addRouteHost(a.hosts, routeHost{name: host, cert: l.cert, rank: listenerRank(l.hostname)})
			}
		}
		if took {
			a.taken = append(a.taken, l.name)
		}
		if took && !l.unserved {
			a.ports = append(a.ports, l.port)
		}
	}
	switch {
	case !matched:
		a.refused = gatewayv1.RouteReasonNoMatchingParent
	case !allowed:
		a.refused = gatewayv1.RouteReasonNotAllowedByListeners
	case len(a.taken) == 0:
		a.refused = gatewayv1.RouteReasonNoMatchingListenerHostname
	}
	return a, ours
}

// intersect returns the host that a listener's hostname and a route's
// hostname have in common ("" for any), the more specific of the two.
func intersect(listener, route string) (string, bool) {
	switch {
	case listener == "" || listener == route || wildcardCovers(listener, route):
		return route, true
	case route == "" || wildcardCovers(route, listener):
		return listener, true
	}
	return "", false
}

// wildcardCovers reports whether the wildcard "*.suffix" w covers host, which has
// at least one more label than the suffix.
func wildcardCovers(wildcard, host string) bool {
	suffix, ok := strings.CutPrefix(wildcard, "*")
	return ok && len(host) > len(suffix) && strings.HasSuffix(host, suffix)
}
