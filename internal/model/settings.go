package model

import "time"

// Settings are the instance-wide nginx settings from the controller's
// ConfigMap. Zero values leave nginx's own defaults.
type Settings struct {
	// WorkerShutdownTimeout bounds how long the workers of a replaced
	// configuration may keep serving their requests after a reload; zero
	// means no bound.
	WorkerShutdownTimeout time.Duration
	// SafeSnippets applies the configuration- and server-snippets that
	// the safe subset covers (docs/snippets.md).
	SafeSnippets bool
	TLS          TLSSettings
	Clients      ClientSettings
	AccessLog    AccessLog
	WAF          WAFSettings
}
