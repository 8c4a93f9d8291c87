package render

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strconv"

	"github.com/archway-ingress/archway/internal/model"
)

// The endpoints payload is one JSON object, backend name -> backend, that
// package nginx POSTs to EndpointsPath on EndpointsSocket; the Lua module
// archway.push (templates/lua) stores it in nginx's shared memory and
// archway.balancer routes by it. Endpoints are "ip:port" with IPv6 in
// brackets; empty fields are left out:
//
//	{"default_web_http": {"endpoints": ["10.0.0.1:8080", "[fd00::1]:8080"],
//	  "algorithm": "ewma", "hash_by": "http_x_user",
//	  "cookie": {"name": "route", "path": "/", "max_age": 3600,
//	             "same_site": "Lax", "secure": true}}}
//
// A whole payload (Payload) holds every backend, with or without
// endpoints. A merge payload (Changes, sent with "merge=1") holds only the
// backends that changed, and null for each backend to delete.

// Endpoints are the members of the endpoints payload, one per backend,
// sorted by Name without repeats.
type Endpoints []BackendEndpoints

// BackendEndpoints is one backend's member of the payload.
type BackendEndpoints struct {
	Name string // made of [a-z0-9_.-]
	JSON []byte // the member's value, a JSON object
}

// Payload returns the whole payload: every backend.
func (e Endpoints) Payload() []byte {
	size := 2
	for _, b := range e {
		size += len(b.Name) + len(b.JSON) + 4
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	for i, b := range e {
		out = appendMember(out, i > 0, b.Name, b.JSON)
	}
	return append(out, '}')
}

// Equal reports whether e and o hold the same members.
func (e Endpoints) Equal(o Endpoints) bool {
	return slices.EqualFunc(e, o, func(a, b BackendEndpoints) bool {
		return a.Name == b.Name && bytes.Equal(a.JSON, b.JSON)
	})
}

// Changes returns the merge payload that turns nginx holding from into
// nginx holding e: the backends that are new or differ, and, with deletes,
// null for each backend of from that e lacks. It is nil when there is
// nothing to send. One pass over both, which are sorted.
func (e Endpoints) Changes(from Endpoints, deletes bool) []byte {
	var out []byte
	add := func(name string, value []byte) {
		if out == nil {
			out = append(out, '{')
		}
		out = appendMember(out, len(out) > 1, name, value)
	}
	i, j := 0, 0
	for i < len(e) || j < len(from) {
		c := -1 // e[i] comes first
		switch {
		case i == len(e):
			c = 1
		case j < len(from):
			c = cmp.Compare(e[i].Name, from[j].Name)
		}
		switch {
		case c < 0:
			add(e[i].Name, e[i].JSON)
			i++
		case c > 0:
			if deletes {
				add(from[j].Name, []byte("null"))
			}
			j++
		default:
			if !bytes.Equal(e[i].JSON, from[j].JSON) {
				add(e[i].Name, e[i].JSON)
			}
			i, j = i+1, j+1
		}
	}
	if out == nil {
		return nil
	}
	return append(out, '}')
}

// Merge returns what nginx holds after taking e.Changes(older, false):
// the members of e, and those of older that e lacks.
func (e Endpoints) Merge(older Endpoints) Endpoints {
	out := make(Endpoints, 0, max(len(e), len(older)))
	i, j := 0, 0
	for i < len(e) || j < len(older) {
		switch {
		case j == len(older) || i < len(e) && e[i].Name < older[j].Name:
			out = append(out, e[i])
			i++
		case i == len(e) || older[j].Name < e[i].Name:
			out = append(out, older[j])
			j++
		default:
			out = append(out, e[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// appendMember appends `"name":value`; names need no escaping.
func appendMember(out []byte, comma bool, name string, value []byte) []byte {
	if comma {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, name...)
	out = append(out, '"', ':')
	return append(out, value...)
}

// endpointEntries returns the members of backends, sorted by name. It
// refuses what the balancer would.
func endpointEntries(backends []model.Backend) (Endpoints, error) {
	entries := make(Endpoints, 0, len(backends))
	size := 0
	for _, b := range backends {
		size += 64 + 48*len(b.Endpoints)
	}
	buf := make([]byte, 0, size) // one array for (nearly) every member's JSON
	for _, b := range backends {
		if !validBackendName(b.Name) {
			return nil, fmt.Errorf("backend %q: name must be made of [a-z0-9_.-]", b.Name)
		}
		if err := b.Balancing.Validate(); err != nil {
			return nil, fmt.Errorf("backend %q: %w", b.Name, err)
		}
		start := len(buf)
		var err error
		if buf, err = appendBackend(buf, b); err != nil {
			return nil, fmt.Errorf("backend %q: %w", b.Name, err)
		}
		entries = append(entries, BackendEndpoints{Name: b.Name, JSON: buf[start:len(buf):len(buf)]})
	}
	slices.SortFunc(entries, func(a, b BackendEndpoints) int { return cmp.Compare(a.Name, b.Name) })
	for i := 1; i < len(entries); i++ {
		if entries[i].Name == entries[i-1].Name {
			return nil, fmt.Errorf("backend %q: duplicate name", entries[i].Name)
		}
	}
	return entries, nil
}

// appendBackend appends the JSON value of one backend. Every string in it
// is an address or matched a grammar of Balancing.Validate, none of which
// allows '"', '\' or control bytes; jsonString checks that again.
func appendBackend(out []byte, b model.Backend) ([]byte, error) {
	out = append(out, `{"endpoints":[`...)
	for i, ep := range b.Endpoints {
		addr, err := netip.ParseAddr(ep.Address)
		if err != nil || addr.Zone() != "" || ep.Port < 1 || ep.Port > 65535 {
			return nil, fmt.Errorf("invalid endpoint %q port %d", ep.Address, ep.Port)
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = netip.AddrPortFrom(addr, uint16(ep.Port)).AppendTo(out)
		out = append(out, '"')
	}
	out = append(out, ']')
	var err error
	field := func(name, value string) {
		if value != "" && err == nil {
			out = append(out, `,"`+name+`":`...)
			out, err = jsonString(out, value)
		}
	}
	field("algorithm", string(b.Balancing.Algorithm))
	field("hash_by", b.Balancing.HashBy)
	if c := b.Balancing.Cookie; c != nil {
		out = append(out, `,"cookie":{"name":`...)
		if out, err = jsonString(out, c.Name); err != nil {
			return nil, err
		}
		field("path", c.Path)
		if c.MaxAge != 0 {
			out = strconv.AppendInt(append(out, `,"max_age":`...), int64(c.MaxAge), 10)
		}
		field("same_site", c.SameSite)
		if c.Secure {
			out = append(out, `,"secure":true`...)
		}
		out = append(out, '}')
	}
	if err != nil {
		return nil, err
	}
	return append(out, '}'), nil
}

// jsonString appends s quoted; it refuses what would need escaping.
func jsonString(out []byte, s string) ([]byte, error) {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return nil, fmt.Errorf("value %q holds a byte the payload does not carry", s)
		}
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"'), nil
}

// WithEndpoints returns out, rendered from the model from, with the
// endpoints of cfg in place of from's: what Render gives for cfg when it
// differs from from only in the endpoints of backends, TCP and UDP services
// and passthrough hosts (builder.Reendpoint), which reach neither the files
// nor Version. Only the members of the backends whose endpoints changed
// are made anew.
func (out Output) WithEndpoints(cfg, from model.Config) (Output, error) {
	if len(cfg.Backends) != len(from.Backends) {
		return Output{}, fmt.Errorf("render: %d backends, rendered with %d", len(cfg.Backends), len(from.Backends))
	}
	var changed []model.Backend
	for i, b := range cfg.Backends {
		if b.Name != from.Backends[i].Name {
			return Output{}, fmt.Errorf("render: backend %q, rendered with %q", b.Name, from.Backends[i].Name)
		}
		if !slices.Equal(b.Endpoints, from.Backends[i].Endpoints) {
			changed = append(changed, b)
		}
	}
	members, err := endpointEntries(changed)
	if err != nil {
		return Output{}, fmt.Errorf("render: %w", err)
	}
	var hosts []model.PassthroughHost
	if cfg.Passthrough != nil {
		hosts = cfg.Passthrough.Hosts
	}
	// Render writes the stream servers' files, then the passthrough
	// hosts', in the model's order.
	if len(out.StreamEndpoints) != len(cfg.Streams)+len(hosts) {
		return Output{}, fmt.Errorf("render: %d stream endpoint files for %d streams and %d passthrough hosts",
			len(out.StreamEndpoints), len(cfg.Streams), len(hosts))
	}
	files := slices.Clone(out.StreamEndpoints)
	lists := make([][]model.Endpoint, 0, len(files))
	for _, s := range cfg.Streams {
		lists = append(lists, s.Endpoints)
	}
	for _, h := range hosts {
		lists = append(lists, h.Endpoints)
	}
	for i, list := range lists {
		if files[i].Data, err = endpointLines(path.Base(files[i].Name), list); err != nil {
			return Output{}, fmt.Errorf("render: %w", err)
		}
	}
	out.Endpoints, out.StreamEndpoints = members.Merge(out.Endpoints), files
	return out, nil
}
