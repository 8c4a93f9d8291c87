package builder

import (
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// upstreamVhost fills in the $service_name and $namespace that an
// upstream-vhost may name (package annotations allows no other variable)
// for one path: its backend Service and the Ingress's namespace. A
// resource backend has no Service; its path answers 503 without a Host.
func upstreamVhost(host, namespace string, backend networkingv1.IngressBackend) string {
	if !strings.Contains(host, "$") {
		return host
	}
	if backend.Service == nil {
		return ""
	}
	service := backend.Service.Name
	return strings.NewReplacer("${service_name}", service, "$service_name", service,
		"${namespace}", namespace, "$namespace", namespace).Replace(host)
}
