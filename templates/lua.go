package templates

import "embed"

// Lua holds the Lua modules of nginx's balancer and endpoints socket, under
// lua/ (lua/archway/balancer.lua is the module "archway.balancer"). They
// are part of the binary, never an operator's template dir: nginx.conf
// and the endpoints payload depend on them.
//
//go:embed lua
var Lua embed.FS
