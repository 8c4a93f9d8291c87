package builder

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// ruleFilters is what a rule's filters ask of each of its locations, as a
// change of the policy they start from; nil for a rule without filters.
type ruleFilters func(*model.Policy)

// routeFilters reads the filters of a rule: the core ones of the Gateway
// API (RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect,
// URLRewrite). A filter archway does not implement, one written twice, or
// an invalid one refuses the rule: serving it without its filter would
// answer what its author did not mean. ports are those of the listeners
// that take the route (sorted, each once), for a redirect that keeps the listener's port. The
// rejection's field is relative to the rule.
func routeFilters(rule gatewayv1.HTTPRouteRule, ports []gatewayv1.PortNumber) (ruleFilters, *rejection) {
	for k, be := range rule.BackendRefs {
		if len(be.Filters) > 0 {
			return nil, &rejection{field: fmt.Sprintf(".backendRefs[%d].filters", k), reason: reason.UnsupportedFeature,
				message: fmt.Sprintf("filters of a backendRef (%s) are not supported yet; the rule is not served", be.Filters[0].Type)}
		}
	}
	if len(rule.Filters) == 0 {
		return nil, nil
	}
	for j, m := range rule.Matches {
		if m.Method != nil || len(m.Headers) > 0 || len(m.QueryParams) > 0 {
			return nil, &rejection{field: fmt.Sprintf(".matches[%d]", j), reason: reason.UnsupportedFeature,
				message: "filters on a rule with method, header or query parameter matches are not supported yet; the rule is not served"}
		}
	}
	var changes []ruleFilters
	seen := map[gatewayv1.HTTPRouteFilterType]bool{}
	for i, f := range rule.Filters {
		field := fmt.Sprintf(".filters[%d]", i)
		if seen[f.Type] {
			return nil, &rejection{field: field, reason: reason.InvalidFilter, message: fmt.Sprintf("filter %s is given twice; the rule is not served", f.Type)}
		}
		seen[f.Type] = true
		change, rej := routeFilter(f, rule.Matches, ports)
		if rej != nil {
			rej.field = field + rej.field
			return nil, rej
		}
		changes = append(changes, change)
	}
	if seen[gatewayv1.HTTPRouteFilterRequestRedirect] && seen[gatewayv1.HTTPRouteFilterURLRewrite] {
		return nil, &rejection{field: ".filters", reason: reason.InvalidFilter,
			message: "filters RequestRedirect and URLRewrite cannot be combined; the rule is not served"}
	}
	return func(p *model.Policy) {
		for _, change := range changes {
			change(p)
		}
	}, nil
}

// routeFilter reads one filter.
func routeFilter(f gatewayv1.HTTPRouteFilter, matches []gatewayv1.HTTPRouteMatch, ports []gatewayv1.PortNumber) (ruleFilters, *rejection) {
	missing := &rejection{reason: reason.InvalidFilter, message: fmt.Sprintf("filter %s without its settings; the rule is not served", f.Type)}
	switch f.Type {
	case gatewayv1.HTTPRouteFilterRequestHeaderModifier:
		if f.RequestHeaderModifier == nil {
			return nil, missing
		}
		headers, rej := headerChanges(f.RequestHeaderModifier)
		return func(p *model.Policy) { p.RequestHeaders = headers }, prefixed(".requestHeaderModifier", rej)
	case gatewayv1.HTTPRouteFilterResponseHeaderModifier:
		if f.ResponseHeaderModifier == nil {
			return nil, missing
		}
		headers, rej := headerChanges(f.ResponseHeaderModifier)
		return func(p *model.Policy) {
			p.ResponseHeaders, p.AddResponseHeaders, p.RemoveResponseHeaders = headers.Set, headers.Add, headers.Remove
		}, prefixed(".responseHeaderModifier", rej)
	case gatewayv1.HTTPRouteFilterRequestRedirect:
		if f.RequestRedirect == nil {
			return nil, missing
		}
		change, rej := redirectFilter(f.RequestRedirect, matches, ports)
		return change, prefixed(".requestRedirect", rej)
	case gatewayv1.HTTPRouteFilterURLRewrite:
		if f.URLRewrite == nil {
			return nil, missing
		}
		change, rej := rewriteFilter(f.URLRewrite, matches)
		return change, prefixed(".urlRewrite", rej)
	}
	return nil, &rejection{reason: reason.UnsupportedFeature, message: fmt.Sprintf("filter %s is not supported yet; the rule is not served", f.Type)}
}

// prefixed puts field before the rejection's field.
func prefixed(field string, rej *rejection) *rejection {
	if rej != nil {
		rej.field = field + rej.field
	}
	return rej
}

// headerChanges reads a header filter. A name is given once, in any case,
// over set, add and remove (the Gateway API makes more than one action
// for a name invalid).
func headerChanges(f *gatewayv1.HTTPHeaderFilter) (model.HeaderChanges, *rejection) {
	var out model.HeaderChanges
	var names []string
	name := func(field, n string) *rejection {
		if _, err := grammar.HeaderName(n); err != nil {
			return &rejection{field: field, reason: reason.InvalidHeader, message: fmt.Sprintf("%q is %v; the rule is not served", n, err)}
		}
		if slices.ContainsFunc(names, func(seen string) bool { return strings.EqualFold(seen, n) }) {
			return &rejection{field: field, reason: reason.InvalidFilter,
				message: fmt.Sprintf("header %s is given more than once (names are compared in any case); the rule is not served", n)}
		}
		names = append(names, n)
		return nil
	}
	for _, list := range []struct {
		field   string
		headers []gatewayv1.HTTPHeader
		out     *[]model.Header
	}{{"set", f.Set, &out.Set}, {"add", f.Add, &out.Add}} {
		for i, h := range list.headers {
			field := fmt.Sprintf(".%s[%d]", list.field, i)
			if rej := name(field+".name", string(h.Name)); rej != nil {
				return out, rej
			}
			if _, err := grammar.HeaderText(h.Value); err != nil {
				return out, &rejection{field: field + ".value", reason: reason.InvalidHeader, message: err.Error() + "; the rule is not served"}
			}
			*list.out = append(*list.out, model.Header{Name: string(h.Name), Value: model.Template{{Text: h.Value}}})
		}
	}
	for i, n := range f.Remove {
		if rej := name(fmt.Sprintf(".remove[%d]", i), n); rej != nil {
			return out, rej
		}
		out.Remove = append(out.Remove, n)
	}
	return out, nil
}

// redirectCodes are the statuses a RequestRedirect may answer with.
var redirectCodes = []int{301, 302, 303, 307, 308}

// redirectFilter reads a RequestRedirect: the Location is the filter's
// scheme, hostname, port and path, or the request's where it gives none.
// The port follows the Gateway API: the filter's, else the scheme's
// well-known port when the filter names a scheme, else the listener's;
// and never ":80" on http nor ":443" on https.
func redirectFilter(f *gatewayv1.HTTPRequestRedirectFilter, matches []gatewayv1.HTTPRouteMatch, ports []gatewayv1.PortNumber) (ruleFilters, *rejection) {
	code := 302
	if f.StatusCode != nil {
		code = *f.StatusCode
	}
	if !slices.Contains(redirectCodes, code) {
		return nil, &rejection{field: ".statusCode", reason: reason.InvalidFilter, message: fmt.Sprintf("status %d is not a redirect code (301, 302, 303, 307, 308); the rule is not served", code)}
	}
	url := model.Template{{Var: "scheme"}, {Text: "://"}, {Var: "host"}}
	scheme := deref(f.Scheme)
	switch scheme {
	case "":
	case "http", "https":
		url[0] = model.TemplatePart{Text: scheme}
	default:
		return nil, &rejection{field: ".scheme", reason: reason.InvalidFilter, message: fmt.Sprintf("scheme %q is not http or https; the rule is not served", scheme)}
	}
	if f.Hostname != nil {
		if err := grammar.CheckDNSName(string(*f.Hostname), false); err != nil {
			return nil, &rejection{field: ".hostname", reason: reason.InvalidHost, message: fmt.Sprintf("hostname %q is %v; the rule is not served", *f.Hostname, err)}
		}
		url[2] = model.TemplatePart{Text: string(*f.Hostname)}
	}
	port := deref(f.Port)
	if port == 0 && scheme == "" {
		if len(ports) != 1 {
			return nil, &rejection{field: ".port", reason: reason.UnsupportedFeature, message: fmt.Sprintf(
				"the route is taken by listeners of ports %v, which archway serves alike: name the redirect's port or scheme; the rule is not served", ports)}
		}
		port = ports[0]
	}
	switch {
	case port == 0 || scheme == "http" && port == 80 || scheme == "https" && port == 443:
	case scheme == "" && (port == 80 || port == 443):
		// The request's scheme decides whether the port is its default.
		url = append(url, model.TemplatePart{Var: "port_" + strconv.Itoa(int(port))})
	default:
		url = append(url, model.TemplatePart{Text: ":" + strconv.Itoa(int(port))})
	}
	path, prefix, rej := pathModifier(f.Path, matches)
	if rej != nil {
		return nil, rej
	}
	switch {
	case path != "":
		url = append(url, model.TemplatePart{Text: path}, model.TemplatePart{Var: "is_args"}, model.TemplatePart{Var: "args"})
	case prefix != nil:
		url = append(url, model.TemplatePart{Var: "escaped_uri"}, model.TemplatePart{Var: "is_args"}, model.TemplatePart{Var: "args"})
	default:
		url = append(url, model.TemplatePart{Var: "request_uri"})
	}
	redirect := &model.Redirect{Code: code, URL: url}
	return func(p *model.Policy) { p.Redirect, p.ReplacePrefix = redirect, prefix }, nil
}

// rewriteFilter reads a URLRewrite: the Host header and the path sent to
// the backend.
func rewriteFilter(f *gatewayv1.HTTPURLRewriteFilter, matches []gatewayv1.HTTPRouteMatch) (ruleFilters, *rejection) {
	var host string
	if f.Hostname != nil {
		host = string(*f.Hostname)
		if err := grammar.CheckDNSName(host, false); err != nil {
			return nil, &rejection{field: ".hostname", reason: reason.InvalidHost, message: fmt.Sprintf("hostname %q is %v; the rule is not served", host, err)}
		}
	}
	path, prefix, rej := pathModifier(f.Path, matches)
	if rej != nil {
		return nil, rej
	}
	return func(p *model.Policy) {
		if host != "" {
			p.Proxy.Host = host
		}
		if path != "" {
			p.RewriteTarget = model.Template{{Text: path}}
		}
		p.ReplacePrefix = prefix
	}, nil
}

// pathModifier reads the path of a redirect or rewrite: a full path, or
// the replacement of the matched prefix, which needs every match of the
// rule to be a PathPrefix; neither when mod is nil.
func pathModifier(mod *gatewayv1.HTTPPathModifier, matches []gatewayv1.HTTPRouteMatch) (string, *string, *rejection) {
	if mod == nil {
		return "", nil, nil
	}
	invalid := func(field, message string) (string, *string, *rejection) {
		return "", nil, &rejection{field: ".path" + field, reason: reason.InvalidFilter, message: message + "; the rule is not served"}
	}
	switch mod.Type {
	case gatewayv1.FullPathHTTPPathModifier:
		if mod.ReplaceFullPath == nil {
			return invalid(".replaceFullPath", "type ReplaceFullPath needs replaceFullPath")
		}
		if _, err := grammar.URLPath(*mod.ReplaceFullPath); err != nil {
			return invalid(".replaceFullPath", fmt.Sprintf("path %q %v", *mod.ReplaceFullPath, err))
		}
		return *mod.ReplaceFullPath, nil, nil
	case gatewayv1.PrefixMatchHTTPPathModifier:
		if mod.ReplacePrefixMatch == nil {
			return invalid(".replacePrefixMatch", "type ReplacePrefixMatch needs replacePrefixMatch")
		}
		prefix := *mod.ReplacePrefixMatch
		if _, err := grammar.URLPath(prefix); prefix != "" && err != nil {
			return invalid(".replacePrefixMatch", fmt.Sprintf("path %q %v", prefix, err))
		}
		for _, m := range matches {
			if kind := cmp.Or(deref(m.Path).Type, ptr.To(gatewayv1.PathMatchPathPrefix)); *kind != gatewayv1.PathMatchPathPrefix {
				return invalid(".type", "ReplacePrefixMatch needs PathPrefix matches, and the rule has a "+string(*kind)+" match")
			}
		}
		return "", &prefix, nil
	}
	return invalid(".type", fmt.Sprintf("path modifier type %q is not ReplaceFullPath or ReplacePrefixMatch", mod.Type))
}
