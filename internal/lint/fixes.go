package lint

import (
	"slices"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// fixes say how to fix the Problems of each build reason. A reason not
// listed gets no fix; every Problem but those of unsupportedSeverity and
// CertificateExpired is an error.
var fixes = map[reason.Reason]string{
	reason.InvalidManifest:         "fix the document's YAML or JSON, or its fields' types",
	reason.InvalidName:             "give the object a valid Kubernetes name",
	reason.DuplicateObject:         "keep one object of that namespace and name",
	reason.InvalidHost:             "use a lowercase DNS name, or \"*.\" and a DNS name",
	reason.InvalidPath:             "use only A-Z a-z 0-9 / . _ ~ - in Exact and Prefix paths, with no empty, \".\" or \"..\" segment",
	reason.PathConflict:            "route each host, path and pathType from one Ingress only",
	reason.DefaultBackendConflict:  "set spec.defaultBackend in one Ingress only",
	reason.UnsupportedBackend:      "use a Service backend",
	reason.ServiceNotFound:         "create the Service in the Ingress's namespace, or name an existing one",
	reason.ServicePortNotFound:     "name a port the Service has, by number or by name",
	reason.InvalidEndpoint:         "EndpointSlices must hold the addresses of pods",
	reason.InvalidSetting:          "write the value in the syntax docs/configmap.md gives for the key",
	reason.InvalidHeader:           "fix or remove the header ConfigMap's entry (docs/configmap.md, Headers)",
	reason.UnsupportedSetting:      "remove it; docs/configmap.md lists the keys archway reads",
	reason.LimitExceeded:           "split the paths over fewer hosts or Ingresses, or raise the --max-* limit",
	reason.HostNotOwned:            "set what applies to the whole host in an Ingress of the namespace that owns it (its oldest Ingress)",
	reason.AliasConflict:           "remove the alias: the name is already served",
	reason.ClientAuthConflict:      "give the host's auth-tls-* annotations the same values in every Ingress",
	reason.InvalidTLSSecret:        "name a kubernetes.io/tls Secret of the Ingress's namespace with a valid certificate and key",
	reason.CertificateHostMismatch: "use a certificate whose names cover the host",
	reason.CertificateExpired:      "renew the certificate",
	reason.TLSConflict:             "give the host one certificate, in one TLS section",
	reason.CanaryWithoutMain:       "add the main Ingress of the same host, path and pathType in the canary's namespace",
	reason.InvalidAnnotation:       "write the value in the syntax docs/annotations.md gives for the key",
	reason.SnippetRefused:          "use the annotations of docs/annotations.md for what the snippet did, or do it in the backend",
	reason.UnsupportedAnnotation:   "remove it, or do in the backend what it did; docs/annotations.md lists what archway supports",
	reason.RouteNotAllowed:         "attach the HTTPRoute to a listener that allows its namespace and shares a hostname with it",
	reason.RefNotPermitted:         "create a ReferenceGrant in the Service's namespace from HTTPRoutes of the route's namespace",
	reason.UnsupportedFeature:      "do without it; docs/gateway-api.md lists what archway supports",
	reason.PassthroughConflict:     "serve the host from one namespace: pass it through, or route it, not both",
	reason.PassthroughIgnored:      "remove what ssl-passthrough does not use, or run archway with --enable-ssl-passthrough (chart value sslPassthrough)",
}

// effects complete the messages of reasons whose message does not say what
// archway does instead.
var effects = map[reason.Reason]string{
	reason.SnippetRefused:      "the Ingress is served without it",
	reason.ServiceNotFound:     "its requests answer 503",
	reason.ServicePortNotFound: "its requests answer 503",
}

// Fixes of problems that differ by where they are.
const (
	modsecuritySnippetFix = "use the typed keys archway.dev/modsecurity-mode (for SecRuleEngine), -paranoia-level, " +
		"-inbound-anomaly-threshold, -outbound-anomaly-threshold, -exclude-rule-ids and -exclude-rule-tags " +
		"(for SecRuleRemoveById/ByTag), or the ConfigMap keys of the same names; docs/annotations.md"
	regexPathFix = "for a regex, set pathType: ImplementationSpecific and use-regex: \"true\" on the Ingress " +
		"(ingress-nginx read it as a regex only because its host had use-regex or rewrite-target)"
)

// secretAnnotations are the annotations that name a Secret.
var secretAnnotations = []string{"auth-secret", "auth-tls-secret", "proxy-ssl-secret"}

// references knows the objects linted, to tell a reference to an object
// that the files lack from one to an object that is missing.
type references struct {
	partial bool
	// safeSnippets: the ConfigMap linted turns the safe snippet subset on.
	safeSnippets bool
	ingresses    map[model.Ref]*networkingv1.Ingress
	services     map[model.Ref]bool
	secrets      map[model.Ref]bool
}

func newReferences(snap source.Snapshot, partial bool) references {
	r := references{partial: partial, ingresses: map[model.Ref]*networkingv1.Ingress{},
		services: map[model.Ref]bool{}, secrets: map[model.Ref]bool{}}
	r.safeSnippets = snap.ConfigMap != nil && snap.ConfigMap.Data[builder.SafeSnippetsKey] == "true"
	for _, ing := range snap.Ingresses {
		r.ingresses[model.Ref{Namespace: ing.Namespace, Name: ing.Name}] = ing
	}
	for _, s := range snap.Services {
		r.services[model.Ref{Namespace: s.Namespace, Name: s.Name}] = true
	}
	for _, s := range snap.Secrets {
		r.secrets[model.Ref{Namespace: s.Namespace, Name: s.Name}] = true
	}
	return r
}

// finding turns one of builder's Problems into a Finding with its severity
// and fix; unchecked names the object it is about when that is only
// missing from the files linted (see absent), and then there is no
// finding.
func (r references) finding(p builder.Problem, prefix string) (f Finding, unchecked string) {
	f = Finding{Severity: Error, Kind: p.Kind, Namespace: p.Object.Namespace, Name: p.Object.Name,
		Field: p.Field, Reason: p.Reason, Message: p.Message, Fix: fixes[p.Reason]}
	if effect := effects[p.Reason]; effect != "" && p.Kind == builder.KindIngress {
		f.Message += "; " + effect
	}
	switch p.Reason {
	case reason.CertificateExpired, reason.PassthroughIgnored:
		f.Severity = Warning // still served
	case reason.UnsupportedSetting:
		f.Severity = Warning
		if p.Key == builder.AllowSnippetsKey {
			f.Fix = "remove it, or set safe-snippet-annotations instead (docs/snippets.md)"
		} else if slices.ContainsFunc(annotations.Specs(), func(s annotations.Spec) bool { return s.Key == p.Key }) {
			f.Fix = "set the annotation " + p.Key + " on the Ingresses that need it (docs/annotations.md)"
		}
	case reason.UnsupportedAnnotation:
		f.Severity = Warning
		if annotations.MetricLabel(p.Key) == annotations.UnknownLabel {
			f.Severity = Info
			f.Message = "ingress-nginx has no annotation of that name either: both ignore it"
			f.Fix = "check its spelling, or remove it"
		}
	case reason.InvalidAnnotation:
		if p.Key != "" {
			f.Message += "; every path of the Ingress answers 503 until it is fixed"
		}
	}
	ing := r.ingresses[p.Object]
	if p.Kind != builder.KindIngress || ing == nil {
		return f, ""
	}
	if p.Reason == reason.SnippetRefused {
		snippetCoverage(&f, ing, p.Key, prefix, r.safeSnippets)
		if p.Key == prefix+"/modsecurity-snippet" {
			f.Fix = modsecuritySnippetFix
		}
	}
	if path, ok := pathAt(ing, p.Field); ok {
		if p.Reason == reason.InvalidPath && hasRegexSyntax(path) && grammar.CheckRegex(path) == nil {
			f.Fix = regexPathFix
		}
	}
	return f, r.absent(ing, p, prefix)
}

// absent names the object that p is about when the files linted do not
// hold it; "" when they do, or when the Snapshot is a cluster's.
func (r references) absent(ing *networkingv1.Ingress, p builder.Problem, prefix string) string {
	if !r.partial {
		return ""
	}
	var kind, name string
	switch p.Reason {
	case reason.ServiceNotFound:
		kind, name = "Service", serviceAt(ing, p.Field, prefix)
	case reason.InvalidTLSSecret:
		for i, section := range ing.Spec.TLS {
			if strings.HasPrefix(p.Field, "spec.tls["+strconv.Itoa(i)+"]") {
				kind, name = "Secret", section.SecretName
			}
		}
	case reason.InvalidAnnotation:
		for _, a := range secretAnnotations {
			if p.Key == prefix+"/"+a {
				kind, name = "Secret", ownSecret(ing, ing.Annotations[prefix+"/"+a])
			}
		}
	}
	ref := model.Ref{Namespace: ing.Namespace, Name: name}
	if name == "" || (kind == "Service" && r.services[ref]) || (kind == "Secret" && r.secrets[ref]) {
		return ""
	}
	return kind + " " + ref.String()
}

// ownSecret returns the name of a Secret annotation's value ("name" or
// "namespace/name"), or "" when it names another namespace's Secret,
// which archway refuses wherever it is.
func ownSecret(ing *networkingv1.Ingress, value string) string {
	ns, name, found := strings.Cut(strings.TrimSpace(value), "/")
	if !found {
		return ns
	}
	if ns != ing.Namespace {
		return ""
	}
	return name
}

// serviceAt returns the Service that the backend under field names: a
// path's, spec.defaultBackend, or the default-backend annotation.
func serviceAt(ing *networkingv1.Ingress, field, prefix string) string {
	if field == builder.AnnotationField(prefix+"/default-backend") {
		return strings.TrimSpace(ing.Annotations[prefix+"/default-backend"])
	}
	if be := ing.Spec.DefaultBackend; strings.HasPrefix(field, "spec.defaultBackend") && be != nil && be.Service != nil {
		return be.Service.Name
	}
	var name string
	eachPath(ing, func(_, at string, p networkingv1.HTTPIngressPath) {
		if strings.HasPrefix(field, at+".backend") && p.Backend.Service != nil {
			name = p.Backend.Service.Name
		}
	})
	return name
}

// pathAt returns the path whose field is field.
func pathAt(ing *networkingv1.Ingress, field string) (string, bool) {
	var path string
	var found bool
	eachPath(ing, func(_, at string, p networkingv1.HTTPIngressPath) {
		if field == at+".path" {
			path, found = p.Path, true
		}
	})
	return path, found
}

// eachPath calls visit with every path of ing, its rule's host and its
// field ("spec.rules[0].http.paths[1]").
func eachPath(ing *networkingv1.Ingress, visit func(host, field string, p networkingv1.HTTPIngressPath)) {
	for i, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for j, p := range rule.HTTP.Paths {
			visit(rule.Host, "spec.rules["+strconv.Itoa(i)+"].http.paths["+strconv.Itoa(j)+"]", p)
		}
	}
}
