package builder

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

const annotationsField = "metadata.annotations"

// AnnotationField is the Problem field of the annotation key.
func AnnotationField(key string) string { return annotationsField + "[" + key + "]" }

// ingressPolicy is what one Ingress's annotations mean for its routes.
type ingressPolicy struct {
	server annotations.Server
	// clientAuth is kept when the Ingress is blocked: its hosts must not
	// be opened by what blocked it.
	clientAuth clientAuthClaim
	// policy is what the Ingress's paths share; nil asks nothing.
	policy *model.Policy
	// blocked: an annotation could not be applied as written, so every
	// route of the Ingress answers 503 (see package annotations).
	blocked bool
	// regex: ImplementationSpecific paths are regexes.
	regex           bool
	serviceUpstream bool
	// redirect holds the ssl-redirect annotations.
	redirect  redirectFlags
	balancing model.Balancing
	// canary: the Ingress's paths are alternatives of other routes.
	canary annotations.Canary
	// serverSnippet is the parsed server-snippet (see snippets.go).
	serverSnippet *model.Snippet
	// passthrough and passthroughProxy are the ssl-passthrough
	// annotations, which no other annotation's problem blocks: passthrough
	// uses none of them.
	passthrough, passthroughProxy bool
	// globalAuth: policy's external auth is the ConfigMap's, which
	// no-auth-locations keeps off some paths.
	globalAuth bool
}

// parseAnnotations returns what the annotations of ing parse to. It
// reads nothing that Build writes, so it may run beside the build (see
// prepareIngresses).
func (b *build) parseAnnotations(ing *networkingv1.Ingress) parsedAnnotations {
	parsed, problems := b.annotationDefaults.Parse(ing.Annotations, b.prefix)
	problems, snippets := b.snippets(ing.Annotations, problems)
	return parsedAnnotations{parsed: parsed, problems: problems, snippets: snippets}
}

// ingressPolicy resolves the parsed annotations a of the Ingress ref,
// reporting every problem.
func (b *build) ingressPolicy(ref model.Ref, a *parsedAnnotations) ingressPolicy {
	parsed, problems, snippets := &a.parsed, a.problems, a.snippets
	var pol ingressPolicy
	for _, p := range problems {
		b.problems.addAnnotation(ref, p.Key, p.Reason, p.Message)
		pol.blocked = pol.blocked || p.Effect == annotations.Blocked
	}
	loc := &parsed.Location
	pol.server = parsed.Server
	pol.passthrough, pol.passthroughProxy = parsed.Server.SSLPassthrough, parsed.Server.PassthroughProxyProtocol
	policy := loc.Policy()
	if policy.ExternalAuth == nil && loc.GlobalAuth && b.globalAuth != nil {
		policy.ExternalAuth, pol.globalAuth = b.globalAuth, true
	}
	policy.Trace = loc.Tracing.Trace(b.cfg.Settings.Tracing)
	policy.Snippet, pol.serverSnippet = snippets.location, snippets.server
	pol.regex = loc.UseRegex || loc.RewriteTarget != nil
	pol.serviceUpstream = loc.ServiceUpstream
	pol.redirect = redirectFlags{ssl: loc.SSLRedirect, force: loc.ForceSSLRedirect}
	pol.balancing = loc.Balancing()
	pol.canary = loc.Canary
	fail := func(name string, err error) {
		b.problems.addAnnotation(ref, b.prefix+"/"+name, reason.InvalidAnnotation, err.Error())
		pol.blocked = true
	}
	if err := pol.balancing.Validate(); err != nil {
		fail("load-balance", err) // the grammars of package annotations should prevent this
	}
	if loc.AuthType != "" && loc.AuthSecret != nil {
		auth, err := b.secrets.basicAuth(ref.Namespace, *loc.AuthSecret, loc.AuthSecretType)
		if err != nil {
			fail("auth-secret", err)
		}
		auth.Realm = loc.AuthRealm
		policy.BasicAuth = &auth
	}
	var err error
	if pol.clientAuth, err = b.clientAuth(ref.Namespace, parsed.Server.ClientAuth, problems); err != nil {
		fail("auth-tls-secret", err)
	}
	if loc.ProxySSLSecret != nil {
		if err := b.secrets.backendTLS(ref.Namespace, *loc.ProxySSLSecret, policy.BackendTLS); err != nil {
			fail("proxy-ssl-secret", err)
		}
	}
	if loc.CustomHeaders != nil {
		if policy.ResponseHeaders, err = b.customHeaders(ref.Namespace, *loc.CustomHeaders); err != nil {
			fail("custom-headers", err)
		}
	}
	if loc.CustomHTTPErrors != nil || loc.DefaultBackend != "" {
		policy.Errors = &model.ErrorPages{Codes: loc.CustomHTTPErrors}
		if loc.DefaultBackend != "" {
			policy.Errors.Backend = b.annotationBackend(ref, b.prefix+"/default-backend", loc.DefaultBackend)
		}
	}
	if pol.blocked {
		pol.server, pol.serverSnippet = annotations.Server{}, nil
		return pol
	}
	b.wafs.add(ref, loc.WAF)
	if !policy.IsZero() {
		shared := policy // only a policy that asks something is copied to the heap
		pol.policy = &shared
	}
	return pol
}

// annotationBackend resolves a Service named by an annotation, on its
// first port; problems are reported under the annotation key and give "".
func (b *build) annotationBackend(ing model.Ref, key, service string) string {
	ref := model.Ref{Namespace: ing.Namespace, Name: service}
	e, rej := b.backends.lookup(ref)
	if rej == nil && len(e.svc.Spec.Ports) == 0 {
		rej = &rejection{reason: reason.ServicePortNotFound, message: fmt.Sprintf("Service %s has no ports", ref)}
	}
	if rej != nil {
		b.problems.addAnnotation(ing, key, rej.reason, rej.message)
		return ""
	}
	return b.backends.backend(e, e.svc.Spec.Ports[0].Name, fmt.Sprint(e.svc.Spec.Ports[0].Port))
}
