// Package reason declares every reason archway gives for what it rejects
// or reports: the Reason of builder's Problems (log lines, Kubernetes Event
// reasons, the archway_rejected_objects metric's label) and of archway
// lint's findings. They are stable: users alert and filter on them. Each
// has a line in Docs, from which docs/reasons.md is generated.
//
// The package imports nothing of archway's, so that annotations, build,
// the controller and lint can all use it.
package reason

// Reason is a short CamelCase word, stable enough for metric labels and
// Event reasons. It is a string so that both stay byte-identical.
type Reason string

// Reasons of builder's Problems.
const (
	InvalidManifest         Reason = "InvalidManifest"
	ObsoleteAPIVersion      Reason = "ObsoleteAPIVersion"
	InvalidName             Reason = "InvalidName"
	DuplicateObject         Reason = "DuplicateObject"
	InvalidHost             Reason = "InvalidHost"
	InvalidPath             Reason = "InvalidPath"
	PathConflict            Reason = "PathConflict"
	DefaultBackendConflict  Reason = "DefaultBackendConflict"
	UnsupportedBackend      Reason = "UnsupportedBackend"
	ServiceNotFound         Reason = "ServiceNotFound"
	ServicePortNotFound     Reason = "ServicePortNotFound"
	InvalidEndpoint         Reason = "InvalidEndpoint"
	InvalidSetting          Reason = "InvalidSetting"
	UnsupportedSetting      Reason = "UnsupportedSetting"
	LimitExceeded           Reason = "LimitExceeded"
	InvalidAnnotation       Reason = "InvalidAnnotation"
	SnippetRefused          Reason = "SnippetRefused"
	UnsupportedAnnotation   Reason = "UnsupportedAnnotation"
	AliasConflict           Reason = "AliasConflict"
	HostNotOwned            Reason = "HostNotOwned"
	ClientAuthConflict      Reason = "ClientAuthConflict"
	InvalidTLSSecret        Reason = "InvalidTLSSecret"
	CertificateHostMismatch Reason = "CertificateHostMismatch"
	CertificateExpired      Reason = "CertificateExpired"
	TLSConflict             Reason = "TLSConflict"
	CanaryWithoutMain       Reason = "CanaryWithoutMain"
	InvalidStreamService    Reason = "InvalidStreamService"
	StreamPortConflict      Reason = "StreamPortConflict"
	RouteNotAllowed         Reason = "RouteNotAllowed"
	RefNotPermitted         Reason = "RefNotPermitted"
	UnsupportedFeature      Reason = "UnsupportedFeature"
	PassthroughConflict     Reason = "PassthroughConflict"
	PassthroughIgnored      Reason = "PassthroughIgnored"
	InvalidHeader           Reason = "InvalidHeader"
	InvalidFilter           Reason = "InvalidFilter"
	InvalidSelector         Reason = "InvalidSelector"
	InvalidRouteKind        Reason = "InvalidRouteKind"
	ProtocolConflict        Reason = "ProtocolConflict"
)

// Reasons of the Problems the controller adds for objects it holds back
// because the config built with them was refused although build accepted
// them.
const (
	RejectedByNginx    Reason = "RejectedByNginx"
	RejectedByRenderer Reason = "RejectedByRenderer"
)

// Reasons of archway lint's findings about differences from ingress-nginx
// that build cannot see (README.md's "Migrating from ingress-nginx").
const (
	PrefixTrailingSlash Reason = "PrefixTrailingSlash"
	RegexHost           Reason = "RegexHost"
	StringPrefix        Reason = "StringPrefix"
	RegexPrecedence     Reason = "RegexPrecedence"
	MissingCaptureGroup Reason = "MissingCaptureGroup"
)

// Doc describes one Reason: what happened and what the user should do.
type Doc struct {
	Reason      Reason
	Description string
	// LintOnly reasons come from archway lint, never from a running
	// archway.
	LintOnly bool
}

// Docs lists every Reason in the order docs/reasons.md shows them.
var Docs = []Doc{
	{InvalidManifest, "A manifest file (--manifests) does not parse; its objects of the last good version keep serving. Fix the document's YAML or JSON, or its fields' types.", false},
	{ObsoleteAPIVersion, "A manifest file (--manifests) holds an Ingress of extensions/v1beta1 or networking.k8s.io/v1beta1, API versions Kubernetes removed in 1.22; it is not served. Convert it to networking.k8s.io/v1.", false},
	{InvalidName, "The object's name is not a valid Kubernetes name; it is skipped. Give it a valid name.", false},
	{DuplicateObject, "Two objects of one kind have the same namespace and name (manifest files, or two IngressClasses of this class); none of them is used. Keep one.", false},
	{InvalidHost, "A host is not a lowercase DNS name or a \"*.\" wildcard; its rule (or TLS host) is skipped. Correct the host.", false},
	{InvalidPath, "A path or pathType is refused (characters, segments, or a regex nginx would refuse); the path is skipped. Correct the path.", false},
	{PathConflict, "Another Ingress already routes the same host, path and pathType (the oldest wins); this path is skipped. Route it from one Ingress only.", false},
	{DefaultBackendConflict, "Another Ingress already sets spec.defaultBackend (the oldest wins); this one is ignored. Set it in one Ingress only.", false},
	{UnsupportedBackend, "A backend is a resource or an ExternalName Service; its requests answer 503 (500 for an HTTPRoute backendRef, its share of the rule's requests). Use a Service backend with endpoints.", false},
	{ServiceNotFound, "The backend Service does not exist; its requests answer 503 (500 for an HTTPRoute backendRef, its share of the rule's requests). Create the Service in the Ingress's namespace, or name an existing one.", false},
	{ServicePortNotFound, "The backend Service has no such port; its requests answer 503 (500 for an HTTPRoute backendRef, its share of the rule's requests). Name a port the Service has, by number or by name.", false},
	{InvalidEndpoint, "An EndpointSlice address is refused (e.g. loopback or the proxy's own host); it is not used. EndpointSlices must hold the addresses of pods.", false},
	{UnsupportedSetting, "A key of the controller's ConfigMap that archway does not read, or reads and refuses (ingress-nginx's Lua keys, and allow-snippet-annotations unless \"false\"); it is ignored, the other keys apply. Remove it, or see README.md's ConfigMap table.", false},
	{InvalidSetting, "A ConfigMap value is invalid; its default is used. Write the value in the syntax README.md's ConfigMap table gives.", false},
	{InvalidHeader, "An entry of a header ConfigMap (named by the ConfigMap keys add-headers and proxy-set-headers, or an Ingress's custom-headers annotation) is refused: a name outside the header-name grammar, a value with a line break, a quote, a brace or a `$` that names no allowed variable, or a custom-headers name that global-allowed-response-headers does not list. It is skipped; the other entries apply. Fix the entry as docs/configmap.md's Headers section gives.", false},
	{LimitExceeded, "An Ingress would take its namespace over a --max-* limit; none of the Ingress is served. Split the paths over fewer hosts or Ingresses, or raise the limit.", false},
	{InvalidAnnotation, "An annotation value is outside its grammar, or annotations contradict each other; the Ingress's paths answer 503 until it is fixed. Write the value as docs/annotations.md gives.", false},
	{SnippetRefused, "A *-snippet annotation, or a *-snippet key of the controller's ConfigMap: archway never copies configuration text into nginx.conf; the Ingress is served without it (the ConfigMap key is ignored). Use the annotations of docs/annotations.md instead, or, for a configuration- or server-snippet, keep to the safe subset of docs/snippets.md with the ConfigMap key safe-snippet-annotations (the message names the token refused).", false},
	{UnsupportedAnnotation, "An annotation under the prefix that archway does not implement; it is ignored. Remove it, or do in the backend what it did.", false},
	{AliasConflict, "A server-alias or from-to-www-redirect name is already served by another host; the alias is ignored. Remove it.", false},
	{HostNotOwned, "This namespace set what applies to a whole host that another namespace owns (its oldest Ingress); it is ignored. For a Gateway: an Ingress rule without host of another namespace serves the names no host has, so they keep the default certificate rather than the hostless HTTPS listener's. Set it in the owner's Ingress.", false},
	{ClientAuthConflict, "Ingresses of one host ask for different client certificates (auth-tls-*); the owner's are used. Give them the same values.", false},
	{InvalidTLSSecret, "A TLS Secret is missing or is not a usable certificate and key; its hosts get the default certificate (a Gateway's HTTPS listener that names it is not served). Name a valid kubernetes.io/tls Secret.", false},
	{CertificateHostMismatch, "A certificate does not cover a host of its TLS section; that host gets the default certificate. Use a certificate whose names cover the host.", false},
	{CertificateExpired, "A certificate has expired; it is still served. Renew it.", false},
	{TLSConflict, "A host has two different certificates (the oldest Ingress's wins, and an Ingress's wins over a Gateway listener's), or Gateways' hostless HTTPS listeners give the names no host has two (the oldest Gateway's wins); the other is ignored. Give the host one certificate.", false},
	{CanaryWithoutMain, "A canary Ingress has no main Ingress of the same host, path and pathType in its namespace; it is not served. Add the main Ingress.", false},
	{InvalidStreamService, "An entry of the TCP or UDP services ConfigMap (--tcp-services-configmap, --udp-services-configmap) is malformed, or names a Service or Service port that does not exist; the entry is not served, the others are. Write \"<port>\": \"<namespace>/<service>:<port>[:PROXY][:PROXY]\" with a port from 1 to 65535 and an existing Service port of the protocol (PROXY for TCP only).", false},
	{StreamPortConflict, "An entry of the TCP or UDP services ConfigMap claims a port that archway serves HTTP, HTTPS, metrics or the webhook on; the entry is not served. Choose another port.", false},
	{InvalidRouteKind, "A Gateway listener's allowedRoutes.kinds names a route kind other than HTTPRoute; the listener's ResolvedRefs condition says InvalidRouteKinds, and it takes no route unless the kinds also name HTTPRoute. List only HTTPRoute (or no kinds).", false},
	{ProtocolConflict, "With --gateway-service=per-gateway, HTTP and HTTPS listeners of one Gateway share a port: an nginx port serves one protocol, so none of them is served (their Conflicted condition says ProtocolConflict), the Gateway's other listeners are. Give HTTP and HTTPS listeners different ports.", false},
	{InvalidSelector, "A Gateway listener's allowedRoutes.namespaces has from Selector without a selector, or with one that is not a valid label selector; the listener is not served. Give it a valid selector.", false},
	{RouteNotAllowed, "An HTTPRoute names a Gateway of this instance, but no listener of it takes the route (its allowedRoutes, the parentRef's sectionName or port, or no hostname in common); the route is not served through that Gateway. Attach it to a listener that allows its namespace and shares a hostname.", false},
	{RefNotPermitted, "An HTTPRoute's backendRef names a Service, or a Gateway's certificateRef a Secret, of another namespace, and no ReferenceGrant of that namespace allows it; the backend is not used (its share of the rule's requests answers 500), the listener not served. Create a ReferenceGrant in that namespace, from HTTPRoutes (or Gateways) of the referring namespace to that Service (or Secret).", false},
	{InvalidFilter, "A filter of an HTTPRoute rule is invalid: given twice, RequestRedirect with URLRewrite, a header named twice (in any case) over set, add and remove, a redirect status or scheme the Gateway API does not define, a path that is not an absolute path of letters, digits and -._~/, or ReplacePrefixMatch on a rule with other matches than PathPrefix. The rule is not served (the route's status says PartiallyInvalid, or Accepted False when no rule is left). Fix the filter as docs/gateway-api.md describes.", false},
	{UnsupportedFeature, "A Gateway API field or value that archway does not implement yet (docs/gateway-api.md lists them); the listener, rule or match that uses it is not served, the rest is. Do without it, or see docs/gateway-api.md for what works.", false},
	{PassthroughConflict, "A host is passed through (ssl-passthrough) by one Ingress and routed by an Ingress of another namespace; the oldest Ingress wins the host, the other's rule for it is not served. Serve the host from one namespace.", false},
	{PassthroughIgnored, "Part of an ssl-passthrough Ingress that passthrough cannot use: a path other than \"/\" (the connection goes whole to the backend of path \"/\"), a rule without host, spec.defaultBackend; or the annotation without --enable-ssl-passthrough, which serves the Ingress as any other. Remove the part, or start archway with the flag.", false},
	{RejectedByNginx, "nginx refused the config built with this object although build accepted it; the object is held back, the others are served. Read nginx's complaint in the message, and report the bug.", false},
	{RejectedByRenderer, "The renderer refused the config built with this object although build accepted it; the object is held back, the others are served. Report the bug.", false},
	{PrefixTrailingSlash, "A Prefix path \"/api/\" also matches \"/api\" in archway, where ingress-nginx sent \"/api\" elsewhere. Check that \"/api\" may reach this backend.", true},
	{RegexHost, "use-regex or rewrite-target made ingress-nginx match every path of the host as a regex; archway keeps the other paths as the spec defines them. Check those paths.", true},
	{StringPrefix, "An ImplementationSpecific path that ingress-nginx matched as a string prefix (\"/app\" took \"/appx\"); archway takes it as Prefix. Check no request relied on it.", true},
	{RegexPrecedence, "A regex path whose requests a shorter Prefix path takes in archway, which tries Exact and Prefix paths first. Reorder the paths or make them Exact.", true},
	{MissingCaptureGroup, "rewrite-target uses a capture group (\"/$1\") that the path lacks; archway, as ingress-nginx did, puts nothing in its place, so a path \"/\" sends every request to \"/\". Check that this was meant.", true},
}
