package builder

import (
	"fmt"
	"slices"
	"time"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// Options configure one archway instance's view of the Snapshot.
type Options struct {
	// IngressClass and ControllerClass select this instance's Ingresses;
	// see package ingressclass.
	IngressClass      string
	ControllerClass   string
	WatchWithoutClass bool
	AnnotationsPrefix string
	// GatewayController is the spec.controllerName of the GatewayClasses
	// whose Gateways this instance serves (gateway.go).
	GatewayController string
	// GatewayPorts, when set, serves each Gateway on nginx ports of its
	// own from this range (--gateway-service=per-gateway,
	// gateway_ports.go); the zero value serves every Gateway on the HTTP
	// and HTTPS ports, beside the Ingresses.
	GatewayPorts PortRange
	// Namespace is archway's own namespace, where the Services of the
	// Gateways are.
	Namespace string
	// DefaultBackendService ("namespace/name", on the Service's first
	// port) serves unmatched requests when no Ingress has a
	// spec.defaultBackend.
	DefaultBackendService string
	// DefaultCertificate ("namespace/name", a TLS Secret) answers HTTPS
	// requests for hosts without a certificate of their own; when it is
	// empty or unusable, FallbackCertificate does (nil: no HTTPS).
	DefaultCertificate  string
	FallbackCertificate *model.Certificate
	// Now is when certificates are checked for expiry; zero skips the
	// check. Build never reads the clock.
	Now time.Time
	// Certificates, when set, remembers parsed TLS Secrets across Builds.
	Certificates *CertificateCache
	// Annotations, when set, remembers parsed Ingress annotations across
	// Builds.
	Annotations *AnnotationCache
	// Limits bound what one tenant may add (see Limits).
	Limits Limits
	// LoopbackEndpoints accepts EndpointSlice addresses in 127.0.0.0/8 and
	// ::1: only for manifests the operator writes (--manifests, whose demo
	// backends listen on loopback). In a cluster a tenant's EndpointSlice
	// must not point the proxy at its own host.
	LoopbackEndpoints bool
	// TCPServices and UDPServices ("namespace/name", "" for none) name the
	// ConfigMaps of Snapshot.ConfigMaps that list the TCP and UDP services
	// (streams.go).
	TCPServices, UDPServices string
	// ConfigMap ("namespace/name", --configmap with --manifests) names
	// the controller's ConfigMap among a folder's. "" takes the Snapshot's
	// ConfigMap (a cluster source's is the named one already), or a
	// folder's last ConfigMap that lists no TCP or UDP services.
	ConfigMap string
	// SSLPassthrough (--enable-ssl-passthrough) serves the HTTPS port
	// with Config.Passthrough, which passes the hosts of ssl-passthrough
	// Ingresses through (passthrough.go).
	SSLPassthrough bool
	// ReservedPorts are the TCP ports archway serves itself (HTTP, HTTPS,
	// metrics), which no TCP service may take.
	ReservedPorts []ReservedPort
}

// ReservedPort is a TCP port archway serves itself, and what for.
type ReservedPort struct {
	Port int
	Use  string // "the HTTP port", ...
}

// Report says what Build served and what it rejected.
type Report struct {
	// Served lists the Ingresses of this instance that contributed at least
	// one route or the default backend, sorted.
	Served []model.Ref
	// Problems are sorted by Object, Field, Reason.
	Problems []Problem
	// Gateway is what the Gateway API objects of this instance get as
	// status.
	Gateway GatewayReport
	// secrets is what Build read of the Snapshot's Secrets, for Renew.
	secrets secretReads
	// endpoints are the Service ports whose endpoints Build read, for
	// Reendpoint.
	endpoints endpointReads
}

// Problem kinds: the Kubernetes kinds Build reads, and manifest files.
const (
	KindIngress       = model.KindIngress
	KindIngressClass  = "IngressClass"
	KindService       = "Service"
	KindEndpointSlice = "EndpointSlice"
	// KindFile is a manifest file that could not be read.
	KindFile = "File"
)

// Problem is one rejected object or part of an object.
type Problem struct {
	Kind   string    // "Ingress", "Service", "File", ...
	Object model.Ref // for a file: Namespace "" and Name the file path
	// Field is the JSON path of the offending part, e.g.
	// "spec.rules[0].http.paths[1].path"; empty for the whole object.
	Field string
	// Key is the annotation or ConfigMap key that Field names, e.g.
	// "nginx.ingress.kubernetes.io/proxy-body-size"; empty when Field
	// names none.
	Key string
	// Reason is stable enough for metric labels and Kubernetes Event
	// reasons; package reason declares them all (docs/reasons.md).
	Reason  reason.Reason
	Message string
}

func (p Problem) String() string {
	field := ""
	if p.Field != "" {
		field = " " + p.Field
	}
	return fmt.Sprintf("%s %s%s: %s: %s", p.Kind, p.Object, field, p.Reason, p.Message)
}

// WithProblems returns r with extra problems found after Build (the
// controller's, about objects nginx refused), in Report order.
func (r Report) WithProblems(extra []Problem) Report {
	if len(extra) == 0 {
		return r
	}
	all := append(slices.Clone(r.Problems), extra...)
	r.Problems = problems(all).sorted()
	return r
}
