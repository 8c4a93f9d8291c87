package lint

import (
	"fmt"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// hostPath is one path of one host, in any Ingress.
type hostPath struct {
	ing   *networkingv1.Ingress
	field string
	path  networkingv1.HTTPIngressPath
	// regex: archway matches it as a regex (an ImplementationSpecific
	// path of an Ingress with use-regex or rewrite-target).
	regex bool
	// target is the Ingress's rewrite-target.
	target model.Template
}

func (p hostPath) pathType() networkingv1.PathType {
	if p.path.PathType == nil {
		return networkingv1.PathTypeImplementationSpecific
	}
	return *p.path.PathType
}

// differences returns the findings of the ingress-nginx behaviours that
// archway does not share, for ings sorted by namespace and name.
func differences(ings []*networkingv1.Ingress, prefix string) []Finding {
	hosts := map[string][]hostPath{}
	var order []string
	regexBy := map[string]string{} // host -> why ingress-nginx made it regex
	for _, ing := range ings {
		why := ingressNginxRegex(ing, prefix)
		parsed, _ := annotations.Parse(ing.Annotations, prefix)
		regex := parsed.Location.UseRegex || parsed.Location.RewriteTarget != nil
		eachPath(ing, func(host, field string, p networkingv1.HTTPIngressPath) {
			if _, seen := hosts[host]; !seen {
				order = append(order, host)
			}
			hp := hostPath{ing: ing, field: field, path: p, target: parsed.Location.RewriteTarget}
			hp.regex = regex && hp.pathType() == networkingv1.PathTypeImplementationSpecific
			hosts[host] = append(hosts[host], hp)
			if _, set := regexBy[host]; why != "" && !set {
				regexBy[host] = why
			}
		})
	}
	var out []Finding
	for _, host := range order {
		for _, p := range hosts[host] {
			var f Finding
			var ok bool
			switch why := regexBy[host]; {
			case p.regex:
				f, ok = regexPrecedence(p, hosts[host])
			case hasRegexSyntax(p.path.Path):
				// build refuses it
			case why != "":
				f, ok = regexHost(p, host, why)
			case strings.HasSuffix(p.path.Path, "/"):
				f, ok = trailingSlash(p, hosts[host])
			default:
				f, ok = stringPrefix(p)
			}
			if ok {
				out = append(out, f)
			}
			if f, ok := missingGroups(p); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// missingGroups is the finding of a path that lacks a capture group its
// Ingress's rewrite-target uses: nginx puts nothing in its place, in
// archway as in ingress-nginx, which is rarely what was meant.
func missingGroups(p hostPath) (Finding, bool) {
	used, have := 0, 0
	for _, part := range p.target {
		if len(part.Var) == 1 {
			used = max(used, int(part.Var[0]-'0'))
		}
	}
	if p.regex {
		have = grammar.RegexGroups(p.path.Path)
	}
	if used <= have || (!p.regex && hasRegexSyntax(p.path.Path)) { // build refuses the latter
		return Finding{}, false
	}
	return Finding{Severity: Info, Kind: builder.KindIngress, Namespace: p.ing.Namespace, Name: p.ing.Name,
		Field: p.field + ".path", Reason: reason.MissingCaptureGroup,
		Message: fmt.Sprintf("rewrite-target uses capture group $%d, but path %q has %d groups: archway, as ingress-nginx did, "+
			"puts nothing in place of a missing group", used, p.path.Path, have),
		Fix: "give the path the capture groups rewrite-target uses, as a regex: pathType ImplementationSpecific, " +
			"e.g. path /api(/|$)(.*) with rewrite-target /$2",
	}, true
}

// ingressNginxRegex says why ingress-nginx made the hosts of ing regex
// hosts ("" when it did not): its use-regex (read as ingress-nginx reads
// a boolean) or rewrite-target.
func ingressNginxRegex(ing *networkingv1.Ingress, prefix string) string {
	name := ing.Namespace + "/" + ing.Name
	if v, err := strconv.ParseBool(ing.Annotations[prefix+"/use-regex"]); err == nil && v {
		return "Ingress " + name + " sets use-regex"
	}
	if ing.Annotations[prefix+"/rewrite-target"] != "" {
		return "Ingress " + name + " sets rewrite-target"
	}
	return ""
}

// hasRegexSyntax reports whether ingress-nginx would find regex syntax in
// a path beyond ".", which archway's Exact and Prefix paths refuse.
func hasRegexSyntax(path string) bool { return strings.ContainsAny(path, `()[]{}|?*+^$\`) }

// regexHost is the finding of a path that ingress-nginx matched as a
// regex only because of its host, and that archway does not.
func regexHost(p hostPath, host, why string) (Finding, bool) {
	typ := p.pathType()
	path := p.path.Path
	if path == "" || path == "/" {
		return Finding{}, false // matches every request in both
	}
	match := "as a Prefix path: whole path elements"
	if typ == networkingv1.PathTypeExact {
		match = "exactly"
	}
	var also []string
	if upper := strings.ToUpper(path); upper != path {
		also = append(also, upper)
	}
	if !strings.HasSuffix(path, "/") {
		also = append(also, path+"x")
	}
	if len(also) == 0 {
		return Finding{}, false
	}
	return Finding{Severity: Warning, Kind: builder.KindIngress, Namespace: p.ing.Namespace, Name: p.ing.Name,
		Field: p.field + ".path", Reason: reason.RegexHost,
		Message: fmt.Sprintf("ingress-nginx matched every path of %s as a case-insensitive regex because %s, "+
			"so this one as ~* \"^%s\" (which also matches %s); archway matches it %s, case-sensitively",
			hostName(host), why, path, quoted(also), match),
		Fix: "nothing, unless clients rely on that match; then make it a regex path of its Ingress " +
			"(pathType: ImplementationSpecific and use-regex: \"true\")",
	}, true
}

// regexPrecedence is the finding of a regex path whose requests a
// shorter Prefix path of the host takes in archway, which tries Exact and
// Prefix paths (but "/") before regexes, where ingress-nginx tried every
// path of such a host as a regex, longest first. A Prefix path takes them
// when the regex's literal start lies within it ("/api/v[0-9]+" under
// "/api").
func regexPrecedence(p hostPath, paths []hostPath) (Finding, bool) {
	re := p.path.Path
	if grammar.CheckRegex(re) != nil {
		return Finding{}, false // build refuses it
	}
	literal := literalStart(re)
	var shadow hostPath
	for _, q := range paths {
		bare := strings.TrimSuffix(q.path.Path, "/")
		if q.regex || q.pathType() == networkingv1.PathTypeExact || bare == "" || len(q.path.Path) >= len(re) ||
			hasRegexSyntax(bare) || (literal != bare && !strings.HasPrefix(literal, bare+"/")) {
			continue
		}
		if len(bare) > len(strings.TrimSuffix(shadow.path.Path, "/")) {
			shadow = q // archway's longest Prefix wins
		}
	}
	if shadow.ing == nil {
		return Finding{}, false
	}
	return Finding{Severity: Warning, Kind: builder.KindIngress, Namespace: p.ing.Namespace, Name: p.ing.Name,
		Field: p.field + ".path", Reason: reason.RegexPrecedence,
		Message: fmt.Sprintf("archway tries the Prefix path %q of Ingress %s/%s before any regex, so requests to %s... that both match go there; "+
			"ingress-nginx tried every path of the host as a regex, longest first, and sent them here",
			shadow.path.Path, shadow.ing.Namespace, shadow.ing.Name, strconv.Quote(literal)),
		Fix: fmt.Sprintf("to keep ingress-nginx's order, make %q a regex path too (pathType: ImplementationSpecific on an Ingress with "+
			"use-regex: \"true\"): archway tries regexes longest first", shadow.path.Path),
	}, true
}

// literalStart is the start of a regex that matches only itself: up to
// the first metacharacter, without the character a quantifier applies to.
func literalStart(re string) string {
	i := strings.IndexAny(re, `()[]{}|?*+^$\.`)
	switch {
	case i < 0:
		return re
	case strings.IndexByte("?*{", re[i]) >= 0:
		return re[:i-1] // the character before may be absent
	}
	return re[:i]
}

// stringPrefix is the finding of an ImplementationSpecific path that
// ingress-nginx (on a host without regexes) matched as a string prefix,
// as nginx does, where archway takes it as Prefix: whole path elements.
func stringPrefix(p hostPath) (Finding, bool) {
	path := p.path.Path
	if p.pathType() != networkingv1.PathTypeImplementationSpecific || path == "" || path == "/" {
		return Finding{}, false
	}
	return Finding{Severity: Warning, Kind: builder.KindIngress, Namespace: p.ing.Namespace, Name: p.ing.Name,
		Field: p.field + ".path", Reason: reason.StringPrefix,
		Message: fmt.Sprintf("ingress-nginx matched this ImplementationSpecific path as a string prefix, so also %q and %q; "+
			"archway takes it as Prefix, whole path elements (%q, %q), and routes the others elsewhere", path+"x", path+".json", path, path+"/x"),
		Fix: "nothing, unless clients use such paths; then route them with paths of their own (or a regex with use-regex)",
	}, true
}

// trailingSlash is the finding of a Prefix path "/api/" that archway also
// matches for "/api": a warning when ingress-nginx sent "/api" to another
// backend of the host, info when it answered it from the default backend.
func trailingSlash(p hostPath, paths []hostPath) (Finding, bool) {
	path := p.path.Path
	if p.pathType() == networkingv1.PathTypeExact || path == "/" {
		return Finding{}, false
	}
	bare := strings.TrimSuffix(path, "/")
	f := Finding{Severity: Info, Kind: builder.KindIngress, Namespace: p.ing.Namespace, Name: p.ing.Name,
		Field: p.field + ".path", Reason: reason.PrefixTrailingSlash,
		Message: fmt.Sprintf("archway also routes %q here, as the Ingress spec says (a trailing / is ignored); "+
			"ingress-nginx answered it from the default backend", bare)}
	other, ok := ingressNginxRoute(paths, bare)
	switch {
	case ok && sameBackend(other, p):
		return Finding{}, false
	case ok:
		f.Severity = Warning
		f.Message = fmt.Sprintf("archway also routes %q here, as the Ingress spec says (a trailing / is ignored); "+
			"ingress-nginx sent it to path %q of Ingress %s/%s (%s)", bare, other.path.Path, other.ing.Namespace, other.ing.Name, backendName(other))
		f.Fix = fmt.Sprintf("to keep ingress-nginx's routing, add the path %q with pathType: Exact and the backend %s", bare, backendName(other))
	}
	return f, true
}

// ingressNginxRoute returns the path of paths that ingress-nginx routed
// uri to on a host without regexes: an Exact path (or a Prefix path
// without a trailing /, for which it added an exact location) equal to
// uri, else the longest location uri starts with, where a Prefix path
// ends in "/" and an ImplementationSpecific one is taken as written.
func ingressNginxRoute(paths []hostPath, uri string) (hostPath, bool) {
	var best hostPath
	longest := -1
	for _, p := range paths {
		location := p.path.Path
		if location == "" {
			location = "/"
		}
		switch p.pathType() {
		case networkingv1.PathTypeExact:
			if location == uri {
				return p, true
			}
			continue
		case networkingv1.PathTypePrefix:
			if location == uri {
				return p, true
			}
			if !strings.HasSuffix(location, "/") {
				location += "/"
			}
		}
		if strings.HasPrefix(uri, location) && len(location) > longest {
			best, longest = p, len(location)
		}
	}
	return best, longest >= 0
}

func sameBackend(a, b hostPath) bool {
	return a.ing.Namespace == b.ing.Namespace && a.path.Backend.Service != nil && b.path.Backend.Service != nil &&
		*a.path.Backend.Service == *b.path.Backend.Service
}

// backendName names a path's backend as a manifest would.
func backendName(p hostPath) string {
	s := p.path.Backend.Service
	if s == nil {
		return "a resource backend"
	}
	port := s.Port.Name
	if port == "" {
		port = strconv.Itoa(int(s.Port.Number))
	}
	return "Service " + s.Name + " port " + port
}

// quoted joins quoted strings with "and".
func quoted(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, " and ")
}

func hostName(host string) string {
	if host == "" {
		return "the rules without a host"
	}
	return "host " + strconv.Quote(host)
}
