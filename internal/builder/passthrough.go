package builder

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// SSL passthrough (--enable-ssl-passthrough, the ssl-passthrough
// annotation): the TLS connections of an Ingress's hosts go unopened to
// the backend of its path "/", as in ingress-nginx. A passed-through host
// belongs to its Ingress's namespace like any host (owners.go), whole: an
// older Ingress of another namespace with a rule for the host keeps it and
// the passthrough is refused; a younger one's rule for it is refused. Both
// are PassthroughConflicts. Ingresses of the owner namespace may still
// route the host's plain HTTP.

// passthroughClaims are the passed-through hosts, by host.
type passthroughClaims map[string]model.PassthroughHost

// passthroughAnnotation is the annotation's name under the prefix.
const passthroughAnnotation = "ssl-passthrough"

// addPassthrough adds an ssl-passthrough Ingress: the host of each rule
// with a path "/" goes to that path's backend; what passthrough cannot use
// is reported.
func (b *build) addPassthrough(ing *networkingv1.Ingress, ref model.Ref, proxyProtocol bool) {
	owner := ingressOwner(ref)
	ignored := func(field, message string) {
		b.problems.add(KindIngress, ref, field, reason.PassthroughIgnored, message)
	}
	if ing.Spec.DefaultBackend != nil {
		ignored("spec.defaultBackend", "ssl-passthrough routes connections by their server name: spec.defaultBackend is not used")
	}
	b.eachRule(ing, ref, func(host string, rule int, paths []networkingv1.HTTPIngressPath, _ int) {
		field := "spec.rules[" + strconv.Itoa(rule) + "]"
		if host == "" {
			ignored(field, "ssl-passthrough routes connections by their server name: a rule without host is not used")
			return
		}
		root := -1
		for j, p := range paths {
			if p.Path == "/" && root < 0 {
				root = j
				continue
			}
			ignored(pathAt{rule, j}.field(), fmt.Sprintf("ssl-passthrough sends every connection for host %q to the backend of path \"/\": path %q is not used", host, shorten(p.Path)))
		}
		if root < 0 {
			ignored(field+".http.paths", fmt.Sprintf("host %q has no path \"/\", whose backend ssl-passthrough uses: it is not passed through", host))
			return
		}
		if rej := b.passthroughTaken(owner, host); rej != nil {
			b.reject(ref, field+".host", rej)
			return
		}
		c := b.backends.ingressServicePort(ref.Namespace, paths[root].Backend)
		if c.rej != nil {
			b.reject(ref, pathAt{rule, root}.field()+".backend", c.rej)
			return
		}
		b.owners.claim(host, ref.Namespace)
		b.serve(owner)
		b.passthrough[host] = model.PassthroughHost{Host: host, Owner: owner, Service: model.Ref{Namespace: ref.Namespace, Name: c.entry.svc.Name},
			ServicePort: c.written, ProxyProtocol: proxyProtocol,
			Endpoints: b.endpointReads.read(c.entry, c.port, endpointTarget{kind: toPassthrough, name: host}, b.opts.LoopbackEndpoints, &b.problems)}
	})
}

// passthroughTaken says why owner may not pass host through: an older
// Ingress of another namespace routes it, or an older one passes it
// through. It returns nil when the host is free.
func (b *build) passthroughTaken(owner model.Owner, host string) *rejection {
	if winner, ok := b.passthrough[host]; ok {
		return &rejection{reason: reason.PassthroughConflict,
			message: fmt.Sprintf("host %q is already passed through by %s%s; it is not passed through", host, olderOwner(owner, winner.Owner), precedence)}
	}
	if ns, ok := b.owners[host]; ok && ns != owner.Namespace {
		return &rejection{reason: reason.PassthroughConflict,
			message: fmt.Sprintf("host %q is already routed by an Ingress of another namespace%s; it is not passed through", host, precedence)}
	}
	return nil
}

// passedThrough says why a route of namespace may not route host: an
// Ingress of another namespace passes it through (older, or an Ingress
// while the route is another kind's: Ingresses claim first).
func (b *build) passedThrough(host, namespace string) *rejection {
	if claim, ok := b.passthrough[host]; ok && claim.Owner.Namespace != namespace {
		return &rejection{reason: reason.PassthroughConflict,
			message: fmt.Sprintf("host %q is passed through (ssl-passthrough) by an Ingress of another namespace, which claimed it first%s; the rule is not served", host, precedence)}
	}
	return nil
}

// passthroughDisabled reports an ssl-passthrough annotation that
// --enable-ssl-passthrough does not let take effect.
func (b *build) passthroughDisabled(ref model.Ref) {
	b.problems.addAnnotation(ref, b.prefix+"/"+passthroughAnnotation, reason.PassthroughIgnored,
		"--enable-ssl-passthrough is off: the Ingress is served as any other, its TLS terminated by archway")
}

// finishPassthrough puts the passed-through hosts into the config when
// --enable-ssl-passthrough is on.
func (b *build) finishPassthrough() {
	if !b.opts.SSLPassthrough {
		return
	}
	hosts := make([]model.PassthroughHost, 0, len(b.passthrough))
	for _, h := range b.passthrough {
		hosts = append(hosts, h)
	}
	slices.SortFunc(hosts, func(a, c model.PassthroughHost) int { return strings.Compare(a.Host, c.Host) })
	b.cfg.Passthrough = &model.Passthrough{Hosts: hosts}
	c := &b.cfg.Settings.Clients
	for _, k := range []struct {
		key string
		on  *bool
	}{{"use-forwarded-headers", &c.UseForwardedHeaders}, {"enable-real-ip", &c.RealIP}} {
		key, on := k.key, k.on
		if !*on || c.UseProxyProtocol {
			continue
		}
		// nginx takes the client address from one source: the
		// passthrough front's PROXY header.
		*on = false
		var ref model.Ref
		if cm := b.controllerConfigMap(); cm != nil {
			ref = model.Ref{Namespace: cm.Namespace, Name: cm.Name}
		}
		b.problems = append(b.problems, Problem{Kind: KindConfigMap, Object: ref, Field: "data." + key, Key: key, Reason: reason.InvalidSetting,
			Message: "--enable-ssl-passthrough takes the client address of HTTPS connections from its own PROXY header, so X-Forwarded-* headers are not believed; use use-proxy-protocol behind a load balancer"})
	}
}
