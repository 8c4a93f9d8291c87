package render

import (
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// TestSharedServers is the routing table of servers that share a block:
// every host still answers from its own backends with its own access log
// labels, and servers that differ in anything else keep blocks of their
// own.
func TestSharedServers(t *testing.T) {
	live := liveBackends(t, "a", "a-api", "b", "b-api", "c", "default", "wild")
	owner := func(name string) model.Owner {
		return model.Owner{Kind: model.KindIngress, Ref: model.Ref{Namespace: "team", Name: name}}
	}
	owned := func(l model.Location, name string) model.Location { l.Owner = owner(name); return l }
	twoPaths := func(host, root, api string) model.Server {
		return model.Server{Host: host, Locations: []model.Location{owned(prefix("/", root), host), owned(prefix("/api", api), host)}}
	}
	cfg := model.Config{DefaultBackend: "default", Backends: live, Servers: []model.Server{
		{Host: "*.example.test", Locations: []model.Location{prefix("/", "wild")}},
		twoPaths("a.example.test", "a", "a-api"),
		{Host: "b.example.test", Locations: []model.Location{owned(prefix("/", "b"), "b")}},
		twoPaths("c.example.test", "c", "c"),
		{Host: "d.example.test", Locations: []model.Location{owned(prefix("/", "a"), "d")}},
		// Same locations, but another name in server_name: not shared.
		{Host: "e.example.test", Aliases: []string{"alias.example.test"}, Locations: []model.Location{owned(prefix("/", "c"), "e")}},
		twoPaths("f.example.test", "b", "b-api"),
		// A name without a dot could be a keyword of map.
		{Host: "include", Locations: []model.Location{owned(prefix("/", "c"), "include")}},
	}}
	r, err := New("")
	require.NoError(t, err)
	dir := t.TempDir()
	opts := Options{HTTPPort: freePort(t), RuntimeDir: dir}
	opts.User, opts.Group = workerUser(t)
	out, err := r.Render(cfg, opts)
	require.NoError(t, err)
	conf := string(out.Files[0].Data)

	names := regexp.MustCompile(`(?s)server_name ([^;]*);`).FindAllStringSubmatch(conf, -1)
	var got []string
	for _, n := range names {
		got = append(got, strings.Join(strings.Fields(n[1]), " "))
	}
	require.Equal(t, []string{`"_"`, `"~^[^.]+\.example\.test$"`, `"a.example.test" "c.example.test" "f.example.test"`,
		`"b.example.test" "d.example.test"`, `"e.example.test" "alias.example.test"`, `"include"`}, got)
	// Each host's backends and labels are in nginx.conf.
	for _, entry := range []string{`"a.example.test" "a";`, `"c.example.test" "c";`, `"f.example.test" "b-api";`, `"d.example.test" "a";`, `"d.example.test" "d";`} {
		require.Contains(t, conf, entry)
	}

	records := listenAccessLog(t, dir)
	startNginx(t, dir, out)
	client := tcpClient(t, opts.HTTPPort)
	for _, rq := range []struct{ host, path, backend, labels string }{
		{"a.example.test", "/", "a", "team a.example.test a a.example.test"},
		{"a.example.test", "/api/x", "a-api", "team a.example.test a-api a.example.test"},
		{"A.Example.TEST:8080", "/api", "a-api", "team a.example.test a-api a.example.test"},
		{"a.example.test.", "/", "a", "team a.example.test a a.example.test"},
		{"c.example.test", "/api", "c", "team c.example.test c c.example.test"},
		{"f.example.test", "/", "b", "team f.example.test b f.example.test"},
		{"f.example.test", "/api/", "b-api", "team f.example.test b-api f.example.test"},
		{"b.example.test", "/api", "b", "team b b b.example.test"},
		{"d.example.test", "/x", "a", "team d a d.example.test"},
		{"e.example.test", "/", "c", "team e c e.example.test"},
		{"alias.example.test", "/", "c", "team e c e.example.test"},
		{"include", "/", "c", "team include c include"},
		{"x.example.test", "/api", "wild", "  wild *.example.test"},
		{"unknown.test", "/", "default", "  default _"},
	} {
		code, body, err := get(client, rq.host, rq.path)
		require.NoError(t, err)
		require.Equal(t, 200, code, "%s%s", rq.host, rq.path)
		require.Equal(t, rq.backend, body, "%s%s", rq.host, rq.path)
		select {
		case labels := <-records:
			require.Equal(t, rq.labels, labels, "%s%s", rq.host, rq.path)
		case <-time.After(5 * time.Second):
			log, _ := os.ReadFile(filepath.Join(dir, "nginx.stderr"))
			t.Fatalf("no access log record for %s%s\n%s", rq.host, rq.path, log)
		}
	}
}

// listenAccessLog listens on the access log socket of runtime dir dir and
// returns the labels of each record (namespace, Ingress, Service, host).
func listenAccessLog(t *testing.T, dir string) <-chan string {
	t.Helper()
	path := filepath.Join(dir, AccessLogSocket)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, os.Chmod(path, 0o666)) // the workers may run as nobody
	records := make(chan string, 64)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			_, record, _ := strings.Cut(string(buf[:n]), AccessLogTag+": ")
			records <- strings.Join(slices.Clone(strings.Split(record, "\t"))[:4], " ")
		}
	}()
	t.Cleanup(func() {
		select {
		case extra := <-records:
			t.Errorf("unexpected access log record %q", extra)
		case <-time.After(0):
		}
	})
	return records
}

// TestShapeKnowsEveryField lists the fields that writeShape compares or
// refuses: a new field of a server's view must be added to writeShape, or
// two servers that differ in it could share a block.
func TestShapeKnowsEveryField(t *testing.T) {
	fields := func(v any) []string {
		var names []string
		for f := range reflect.TypeOf(v).Fields() {
			names = append(names, f.Name)
		}
		return names
	}
	require.Equal(t, []string{"Name", "Locations", "Internal", "Edge", "Snippet", "SnippetLocations", "shareAs"}, fields(serverView{}))
	require.Equal(t, []string{"Listen", "Certificate", "ClientAuth", "Restricted"}, fields(serverEdgeView{}))
	require.Equal(t, []string{"Errors", "Auth"}, fields(serverPolicyView{}))
	require.Equal(t, []string{"Modifier", "Path", "PassDirective", "ProxyPass", "Backend", "Status", "Log", "MetricsPath", "Policy"},
		fields(locationView{}))
}

// TestSharedServersWithPolicies shares the servers of hosts whose
// locations have equal policies, as hosts with certificates of their own
// have (an HTTPS redirect, the certificate in shared memory): each host
// redirects to itself and presents its own certificate, and a host with
// another policy keeps its own block.
func TestSharedServersWithPolicies(t *testing.T) {
	redirect := model.Policy{HTTPSRedirect: true}
	withPolicy := func(host string, pol model.Policy, cert *model.Certificate) model.Server {
		l := prefix("/", "app")
		l.Policy = &pol
		return model.Server{Host: host, Certificate: cert, Locations: []model.Location{l}}
	}
	a, b := testCertificate(t, "site"), testCertificate(t, "wild")
	cfg := model.Config{Backends: liveBackends(t, "app"), DefaultCertificate: testCertificate(t, "default"), Settings: edgeSettings(),
		Servers: []model.Server{
			withPolicy("a.example.test", redirect, a),
			withPolicy("b.example.test", redirect, b),
			withPolicy("c.example.test", model.Policy{HTTPSRedirect: true, PreserveTrailingSlash: true}, a),
		}}
	r, err := New("")
	require.NoError(t, err)
	out, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	names := regexp.MustCompile(`(?s)server_name ([^;]*);`).FindAllStringSubmatch(string(out.Files[0].Data), -1)
	require.Len(t, names, 3, "the catch-all, a and b together, c")
	require.Equal(t, `"a.example.test" "b.example.test"`, strings.Join(strings.Fields(names[1][1]), " "))

	e := newEdgeEnv(t, cfg)
	for host, cert := range map[string]*model.Certificate{"a.example.test": a, "b.example.test": b, "c.example.test": a} {
		got := e.request(t, "", host, "/x/", "", nil)
		require.Equal(t, http.StatusPermanentRedirect, got.status, host)
		require.True(t, strings.HasPrefix(got.header.Get("Location"), "https://"+host+":"), got.header.Get("Location"))
		got = e.request(t, host, host, "/", "", nil)
		require.Equal(t, http.StatusOK, got.status, host)
		leaf, _ := pem.Decode(cert.Chain)
		require.Equal(t, leaf.Bytes, got.leaf.Raw, host)
	}
}
