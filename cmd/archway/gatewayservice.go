package main

import (
	"cmp"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/status"
)

// gatewayServiceConfig is how Gateways get their addresses: on the
// Ingresses' Service and ports (shared), or on a Service and nginx ports
// of their own (per-gateway).
type gatewayServiceConfig struct {
	mode        string
	portRange   string
	serviceType string
	selector    map[string]string
	namespace   string
}

func addGatewayServiceFlags(fs *pflag.FlagSet, c *gatewayServiceConfig) {
	fs.StringVar(&c.mode, "gateway-service", "shared", "How Gateways are exposed: shared (on the HTTP and HTTPS ports, with the Ingresses' addresses) or per-gateway (each Gateway on nginx ports of its own from --gateway-port-range, behind a Service of its own that the leader keeps in --gateway-service-namespace).")
	fs.StringVar(&c.portRange, "gateway-port-range", "10000-10999", "With --gateway-service=per-gateway, the nginx ports (first-last) that Gateways' listener ports are given.")
	fs.StringVar(&c.serviceType, "gateway-service-type", string(corev1.ServiceTypeLoadBalancer), "With --gateway-service=per-gateway, the type of the Gateways' Services: LoadBalancer or ClusterIP.")
	fs.StringToStringVar(&c.selector, "gateway-service-selector", nil, "With --gateway-service=per-gateway, the labels of archway's pods (key=value,...), which the Gateways' Services select.")
	fs.StringVar(&c.namespace, "gateway-service-namespace", cmp.Or(os.Getenv("POD_NAMESPACE"), "default"), "With --gateway-service=per-gateway, archway's namespace, where the Gateways' Services are; $POD_NAMESPACE when set.")
}

// validate checks the flags and sets the build's GatewayPorts and
// Namespace.
func (c *gatewayServiceConfig) validate(opts *builder.Options) error {
	switch c.mode {
	case "shared":
		return nil
	case "per-gateway":
	default:
		return fmt.Errorf("--gateway-service must be shared or per-gateway, not %q", c.mode)
	}
	first, last, ok := strings.Cut(c.portRange, "-")
	f, err1 := strconv.ParseInt(first, 10, 32)
	l, err2 := strconv.ParseInt(last, 10, 32)
	if !ok || err1 != nil || err2 != nil || f < 1 || l > 65535 || f > l {
		return fmt.Errorf("--gateway-port-range must be first-last within 1-65535, not %q", c.portRange)
	}
	if t := corev1.ServiceType(c.serviceType); t != corev1.ServiceTypeLoadBalancer && t != corev1.ServiceTypeClusterIP {
		return fmt.Errorf("--gateway-service-type must be LoadBalancer or ClusterIP, not %q", c.serviceType)
	}
	if len(c.selector) == 0 {
		return fmt.Errorf("--gateway-service=per-gateway needs --gateway-service-selector")
	}
	if errs := validation.IsDNS1123Label(c.namespace); len(errs) > 0 {
		return fmt.Errorf("--gateway-service-namespace %q: %s", c.namespace, strings.Join(errs, "; "))
	}
	opts.GatewayPorts, opts.Namespace = builder.PortRange{First: int32(f), Last: int32(l)}, c.namespace
	return nil
}

// services returns the status side of per-gateway, nil when shared.
func (c *gatewayServiceConfig) services(client kubernetes.Interface) *status.GatewayServices {
	if c.mode != "per-gateway" {
		return nil
	}
	return &status.GatewayServices{Client: client, Namespace: c.namespace, Selector: c.selector, Type: corev1.ServiceType(c.serviceType)}
}
