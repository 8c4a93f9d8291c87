package main

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/archway-ingress/archway/internal/builder"
)

// addStreamFlags adds the flags of the TCP and UDP services and of SSL
// passthrough.
func addStreamFlags(fs *pflag.FlagSet, opts *builder.Options) {
	fs.StringVar(&opts.TCPServices, "tcp-services-configmap", "", `ConfigMap (namespace/name) of TCP services, as ingress-nginx's: "<port>": "<namespace>/<service>:<port>[:PROXY][:PROXY]" (the first PROXY decodes a PROXY protocol header from the load balancer, the second sends one to the backend). With --manifests, the ConfigMap of that name in the folder.`)
	fs.StringVar(&opts.UDPServices, "udp-services-configmap", "", `ConfigMap (namespace/name) of UDP services: "<port>": "<namespace>/<service>:<port>". With --manifests, the ConfigMap of that name in the folder.`)
	fs.BoolVar(&opts.SSLPassthrough, "enable-ssl-passthrough", false, `Serve the HTTPS port with nginx's stream module, which reads the server name of each TLS connection: the hosts of Ingresses with the ssl-passthrough annotation go unopened to their backends, every other connection to the HTTP servers (which still see the client's address). Adds a local hop to every HTTPS connection.`)
}

// validateStreams checks the two flags and reserves archway's own TCP
// ports, which no TCP service may take.
func (c *config) validateStreams() error {
	for flag, value := range map[string]string{"--tcp-services-configmap": c.build.TCPServices, "--udp-services-configmap": c.build.UDPServices} {
		if ns, name, ok := strings.Cut(value, "/"); value != "" && (!ok || ns == "" || name == "" || strings.Contains(name, "/")) {
			return fmt.Errorf("%s must be namespace/name, not %q", flag, value)
		}
	}
	c.build.ReservedPorts = []builder.ReservedPort{{Port: c.httpPort, Use: "the HTTP port"}, {Port: c.httpsPort, Use: "the HTTPS port"}}
	for use, address := range map[string]string{"the metrics port": c.metricsAddress, "the webhook port": c.webhook.address} {
		if _, port, err := net.SplitHostPort(address); err == nil {
			if n, err := strconv.Atoi(port); err == nil {
				c.build.ReservedPorts = append(c.build.ReservedPorts, builder.ReservedPort{Port: n, Use: use})
			}
		}
	}
	slices.SortFunc(c.build.ReservedPorts, func(a, b builder.ReservedPort) int { return cmp.Compare(a.Use, b.Use) })
	return nil
}

// streamConfigMaps are the names of the ConfigMaps of the TCP and UDP
// services, for the cluster source to watch.
func (c *config) streamConfigMaps() []string {
	var names []string
	for _, name := range []string{c.build.TCPServices, c.build.UDPServices} {
		if name != "" {
			names = append(names, name)
		}
	}
	return names
}
