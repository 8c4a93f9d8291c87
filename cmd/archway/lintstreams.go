package main

import (
	"strings"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/source"
)

// guessStreamConfigMaps names, when lint reads files and neither
// --tcp-services-configmap nor --udp-services-configmap says which, the
// first ConfigMaps named as ingress-nginx's docs and chart name them
// ("tcp-services", "<release>-tcp", and the same for UDP) as the TCP and
// UDP services ConfigMaps, so that their entries are linted as services,
// not as unknown settings of the controller's ConfigMap.
func guessStreamConfigMaps(opts *builder.Options, snap source.Snapshot) {
	if opts.TCPServices != "" || opts.UDPServices != "" {
		return
	}
	for _, cm := range snap.ConfigMaps {
		name := cm.Namespace + "/" + cm.Name
		switch {
		case opts.TCPServices == "" && (cm.Name == "tcp-services" || strings.HasSuffix(cm.Name, "-tcp")):
			opts.TCPServices = name
		case opts.UDPServices == "" && (cm.Name == "udp-services" || strings.HasSuffix(cm.Name, "-udp")):
			opts.UDPServices = name
		}
	}
}
