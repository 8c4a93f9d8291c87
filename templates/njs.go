package templates

import "embed"

// NJS holds the njs (nginx JavaScript) module of the stream {} block, under
// njs/: it chooses each TCP connection's and UDP session's endpoint. Like
// the Lua modules it is part of the binary, never an operator's template
// dir.
//
//go:embed njs
var NJS embed.FS
