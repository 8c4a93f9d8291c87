package render

import (
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
	"strings"
)

// Servers that differ only in their host and in the backends and access
// log labels of their locations share one server block. Debian's Lua
// module builds an OpenSSL context for every server and location block at
// every parse of nginx.conf, so a reload's time follows the number of
// blocks, not of routes: at one Ingress per host, a thousand hosts become
// one server with one location.
//
// The shared server lists every host in server_name, and each location
// value that differs between them comes from a map on $host with one entry
// per host, so nginx.conf still shows every host's routes. Only servers
// chosen by their exact name alone share: an exact host (nginx tries exact
// names before wildcards and regexes, so moving one to another block
// changes no match) without aliases. nginx chose such a server by the
// lowercased Host without port or trailing dot, which is what $host holds,
// so each map gives each request its own host's values. Every other field
// of the servers, their locations included, must be equal (see writeShape):
// the shared block is byte for byte what each of them would have been.

// sharedMapView is a map from each host of a shared server to one value of
// its locations (a quoted backend or label).
type sharedMapView struct {
	Var     string // the variable it sets, $archway_shared_N
	Entries []sharedEntryView
}

type sharedEntryView struct{ Host, Value string }

// nameSeparator puts each host of a shared server_name on its own line.
const nameSeparator = "\n            "

// shareServers folds the servers that may share (serverView.shareAs) and
// have the same shape into the first of them, keeping the order of the
// first ones, and returns the maps their locations read.
func shareServers(views []serverView) ([]serverView, []sharedMapView) {
	out := make([]serverView, 0, len(views))
	var members [][]serverView // of out's servers, when they share
	// Most servers share with none: a first pass hashes every shape, and
	// only the servers whose hashes are alike have their shapes written
	// and compared whole.
	alike := make([]bool, len(views))
	hashes := make(map[uint64]int, len(views)) // the first server with a shape of that hash
	var hash maphash.Hash
	locations := 0
	for i, v := range views {
		hash.Reset()
		if !writeShape(&hash, v) {
			continue
		}
		first, seen := hashes[hash.Sum64()]
		if !seen {
			hashes[hash.Sum64()] = i
			continue
		}
		for _, j := range [2]int{first, i} {
			if !alike[j] {
				alike[j], locations = true, locations+len(views[j].Locations)
			}
		}
	}
	byShape := make(map[string]int)
	// Every shape is written to one builder and keyed by a slice of its
	// String, which a Builder never changes: no allocation per server.
	// Sized for all at once, it copies no megabytes as it would doubling.
	var shapes strings.Builder
	shapes.Grow(locations * shapeSizePerLocation)
	for i, v := range views {
		start := shapes.Len()
		if !alike[i] || !writeShape(&shapes, v) {
			out, members = append(out, v), append(members, nil)
			continue
		}
		shape := shapes.String()[start:]
		if first, seen := byShape[shape]; seen {
			if members[first] == nil {
				members[first] = []serverView{out[first]}
			}
			members[first] = append(members[first], v)
			continue
		}
		byShape[shape] = len(out)
		out, members = append(out, v), append(members, nil)
	}
	maps := &sharedMaps{byColumn: map[string]string{}}
	for i, group := range members {
		if group != nil {
			out[i] = maps.merge(group)
		}
	}
	return out, maps.views
}

// shapeSizePerLocation is about what writeShape writes for a location
// without a policy, with a path of a few dozen bytes.
const shapeSizePerLocation = 96

// writeShape writes to b what must be equal for two servers to share:
// every field of the view but its name and its locations' backends and
// labels; it returns false, writing nothing, for a server that never
// shares. Servers with parts that the shape leaves out (internal
// locations, client certificates, snippets) never share; locations'
// policies are compared whole;
// TestShapeKnowsEveryField fails when a view gains a field, so that it is
// added here or makes servers unshareable.
func writeShape(b shapeWriter, v serverView) bool {
	if v.shareAs == "" || v.Edge.ClientAuth != nil || len(v.Internal.Errors)+len(v.Internal.Auth) > 0 ||
		len(v.Snippet)+len(v.SnippetLocations) > 0 {
		return false
	}
	for _, l := range v.Edge.Listen {
		b.WriteString(l)
		b.WriteByte(0)
	}
	b.WriteString(v.Edge.Certificate)
	b.WriteString(strconv.FormatBool(v.Edge.Restricted))
	for _, l := range v.Locations {
		for _, f := range [...]string{l.Modifier, l.Path, l.PassDirective, l.ProxyPass, l.MetricsPath} {
			b.WriteByte(0)
			b.WriteString(f)
		}
		b.WriteByte(0)
		for shift := 0; shift < strconv.IntSize; shift += 8 {
			b.WriteByte(byte(l.Status >> shift)) // an array given to b.Write would escape
		}
		if l.Policy != nil {
			// Every field: equal values print equal policies (pointers
			// print as addresses, so only one object is equal to itself),
			// and a policy prints nothing of its host: an HTTPS redirect
			// goes to $host. Hosts with their own certificates differ in
			// nothing else, since certificates are not in nginx.conf.
			b.WriteByte(0)
			fmt.Fprintf(b, "%#v", *l.Policy)
		}
	}
	return true
}

// shapeWriter takes a shape: a strings.Builder, or a maphash.Hash.
type shapeWriter interface {
	io.Writer
	io.ByteWriter
	io.StringWriter
}

// sharedMaps makes the maps of one Render's shared servers; locations
// whose values per host are the same read the same map.
type sharedMaps struct {
	views    []sharedMapView
	byColumn map[string]string // the values per host, joined: the map's variable
}

// merge returns the shared server of group, which all have one shape.
func (m *sharedMaps) merge(group []serverView) serverView {
	shared := group[0]
	hosts := make([]string, len(group))
	for i, v := range group {
		hosts[i] = v.shareAs
	}
	shared.Name = strings.Join(hosts, nameSeparator)
	shared.Locations = make([]locationView, len(group[0].Locations))
	values := make([]string, len(group))
	for k, l := range group[0].Locations {
		pick := func(value func(l *locationView) string) string {
			for i := range group {
				values[i] = value(&group[i].Locations[k])
			}
			return m.variable(hosts, values)
		}
		l.Backend = pick(func(l *locationView) string { return l.Backend })
		l.Log = logVarsView{
			Namespace: pick(func(l *locationView) string { return l.Log.Namespace }),
			Ingress:   pick(func(l *locationView) string { return l.Log.Ingress }),
			Service:   pick(func(l *locationView) string { return l.Log.Service }),
			Host:      "$host", // the server's name, as shareAs requires
		}
		shared.Locations[k] = l
	}
	return shared
}

// variable returns the one value when every host has it, else the
// variable of the map from hosts to values.
func (m *sharedMaps) variable(hosts, values []string) string {
	same := true
	for _, v := range values[1:] {
		same = same && v == values[0]
	}
	if same {
		return values[0]
	}
	key := hosts[0] + "\x01" + strings.Join(values, "\x00") // a host is in one server only
	if name, ok := m.byColumn[key]; ok {
		return name
	}
	view := sharedMapView{Var: "$archway_shared_" + strconv.Itoa(len(m.views)+1), Entries: make([]sharedEntryView, len(hosts))}
	for i, h := range hosts {
		view.Entries[i] = sharedEntryView{Host: h, Value: values[i]}
	}
	m.byColumn[key] = view.Var
	m.views = append(m.views, view)
	return view.Var
}
