package model

import "time"

// Settings are the instance-wide nginx settings from the controller's
// ConfigMap. Zero values leave nginx's own defaults.
type Settings struct {
	// WorkerShutdownTimeout bounds how long the workers of a replaced
	// configuration may keep serving their requests after a reload; zero
	// means no bound.
	WorkerShutdownTimeout time.Duration
	TLS                   TLSSettings
	Clients               ClientSettings
}
