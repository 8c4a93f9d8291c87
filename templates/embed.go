// Package templates holds archway's nginx templates, one per nginx context,
// embedded into the binary. Package render parses them (or an operator's
// copies from --template-dir) and executes nginx.conf.tmpl.
//
// Templates only range and if over view values that render has already
// validated and quoted; they never build nginx tokens from model strings.
package templates

import "embed"

// FS holds every *.tmpl file of this directory; each template is named by
// its file name ("server.tmpl").
//
//go:embed *.tmpl
var FS embed.FS
