package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/test/harness"
)

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"version"}, &out, io.Discard))
	require.Equal(t, "archway dev\n", out.String())
}

// TestHelp: --help, -h and help list every command with its line and
// the flags, on stdout and as a success; render's --help too.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"render", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errs bytes.Buffer
			require.NoError(t, run(context.Background(), args, &out, &errs))
			require.Empty(t, errs.String())
			for _, want := range []string{
				"archway [flags]                     run the controller",
				"archway render [flags]              print the nginx.conf",
				"archway lint [FILES|DIRS|-] [flags] print what archway refuses",
				"archway version                     print the version",
				"archway help ",
				"--manifests string", "--runtime-dir string", "--sync-hold-off duration",
			} {
				require.Contains(t, out.String(), want)
			}
		})
	}
}

// TestUnknownCommand: a misspelt command fails, naming it, with the list of
// commands on stderr, rather than running the controller.
func TestUnknownCommand(t *testing.T) {
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"rendr", "--manifests", "."}, &out, &errs)
	require.EqualError(t, err, `unknown command "rendr"`)
	require.Empty(t, out.String())
	require.Contains(t, errs.String(), "archway render [flags]")
}

func TestFlagErrors(t *testing.T) {
	tests := map[string]struct {
		args []string
		want string
	}{
		"unknown flag":       {args: []string{"--no-such-flag"}, want: "unknown flag"},
		"bad log format":     {args: []string{"--log-format", "xml"}, want: "--log-format"},
		"decreasing buckets": {args: []string{"--time-buckets", "1,0.5"}, want: "--time-buckets must be increasing"},
		"bad port":           {args: []string{"--http-port", "70000"}, want: "--http-port"},
		"stray argument":     {args: []string{"render", "extra"}, want: "unexpected arguments"},
		"hold-off too big":   {args: []string{"--sync-hold-off", "2s", "--sync-max-delay", "1s"}, want: "--sync-hold-off"},
		"negative limit":     {args: []string{"--max-hosts-per-namespace", "-1"}, want: "--max-hosts-per-namespace"},
		"bad gateway mode":   {args: []string{"--gateway-service", "each"}, want: "--gateway-service must be shared or per-gateway"},
		"bad port range": {args: []string{"--gateway-service", "per-gateway", "--gateway-port-range", "2000-1000"},
			want: "--gateway-port-range"},
		"gateway services without selector": {args: []string{"--gateway-service", "per-gateway"}, want: "needs --gateway-service-selector"},
		"bad gateway service type": {args: []string{"--gateway-service", "per-gateway", "--gateway-service-type", "NodePort",
			"--gateway-service-selector", "app=archway"}, want: "--gateway-service-type"},
		"webhook without certificate": {args: []string{"--webhook-address", ":8443", "--webhook-cert-file", "tls.crt"},
			want: "--webhook-address needs --webhook-cert-file and --webhook-key-file"},
		"webhook on a folder": {args: []string{"--manifests", ".", "--webhook-address", ":8443", "--webhook-cert-file", "c", "--webhook-key-file", "k"},
			want: "--webhook-address needs a cluster"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestRenderExample renders the demo manifests, checks the routes and the
// report, and has the real nginx test the result.
func TestRenderExample(t *testing.T) {
	dir := t.TempDir()
	var out, errs bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"render", "--manifests", "../../deploy/examples/local",
		"--runtime-dir", dir, "--http-port", "8080"}, &out, &errs))
	conf := out.String()
	require.Contains(t, conf, `server_name "hello.localhost";`)
	require.Contains(t, conf, "listen 8080")
	require.Contains(t, errs.String(), "0 problems", errs.String())
	require.Contains(t, errs.String(), "2 Ingresses served")

	path := filepath.Join(dir, "nginx.conf")
	require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
	writeRuntimeSupport(t, dir)
	check := exec.Command(testutil.NginxBinary(t), "-t", "-p", dir, "-c", path, "-e", "stderr")
	output, err := check.CombinedOutput()
	require.NoError(t, err, string(output))
}

// folderInstance is the archway command running in-process on a folder of
// manifests, exactly as `archway --manifests DIR` runs it.
type folderInstance struct {
	t         *testing.T
	dir       string
	httpPort  int
	httpsPort int
	metrics   string
	// runtimeDir tells this instance's nginx apart from others the
	// test process runs.
	runtimeDir string
}

// startFolderInstance runs archway on a new folder, with more flags args.
func startFolderInstance(t *testing.T, args ...string) *folderInstance {
	// A runtime dir that does not exist yet, in /tmp: archway creates it,
	// as it does for users.
	runtimeDir := testutil.RuntimeDir(t)
	f := &folderInstance{t: t, dir: t.TempDir(), httpPort: testutil.FreePort(t), httpsPort: testutil.FreePort(t),
		metrics: "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t)), runtimeDir: runtimeDir}
	f.write("class.yaml", classManifest)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &testutil.SyncBuffer{}
	go func() {
		done <- run(ctx, append([]string{"--manifests", f.dir, "--runtime-dir", runtimeDir,
			"--http-port", strconv.Itoa(f.httpPort), "--https-port", strconv.Itoa(f.httpsPort),
			"--metrics-address", f.metrics, "--nginx-binary", testutil.NginxBinary(t),
			"--sync-hold-off", "50ms", "--sync-max-delay", "300ms"}, args...), io.Discard, logs)
	}()
	t.Cleanup(func() {
		cancel() // what SIGTERM does
		require.NoError(t, <-done, logs.String())
		out, _ := exec.Command("pgrep", "-f", "nginx.*"+runtimeDir).Output()
		require.Empty(t, string(out), "nginx must be stopped with archway")
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + f.metrics + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond)
	return f
}

func (f *folderInstance) write(name, content string) {
	require.NoError(f.t, os.WriteFile(filepath.Join(f.dir, name), []byte(content), 0o644))
}

// waitFor polls host+path through nginx until it answers want (a status
// code, or a status code and body as "200 body"), and returns how long that
// took; then it waits for oneGeneration.
func (f *folderInstance) waitFor(host, path, want string) time.Duration {
	f.t.Helper()
	start := time.Now()
	var got string
	// The durations are logged, not asserted: the bound only ends a test
	// whose change is never served, and a busy 2-core machine needs
	// seconds for a sync's reload.
	for time.Since(start) < 10*time.Second {
		got = f.get(host, path)
		if got == want || strings.HasPrefix(got, want+" ") {
			took := time.Since(start)
			f.oneGeneration()
			return took
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.t.Fatalf("%s%s: want %q within 10s, last got %q", host, path, want, got)
	return 0
}

// oneGeneration waits until this instance's nginx runs workers of one
// config only (harness.OneGenerationOf).
func (f *folderInstance) oneGeneration() {
	f.t.Helper()
	harness.OneGenerationOf(f.t, os.Getpid(), f.runtimeDir)
}

func (f *folderInstance) get(host, path string) string {
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(f.httpPort)+path, nil)
	require.NoError(f.t, err)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, body))
}

func backendManifests(name string, port int) string {
	return serviceManifests(name, "http", 80, port)
}

// serviceManifests are the Service name with one port portName
// (servicePort) and its EndpointSlice on port of 127.0.0.1.
func serviceManifests(name, portName string, servicePort, port int) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Service
metadata: {name: %[1]s}
spec: {ports: [{name: %[2]s, port: %[3]d}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: %[1]s-1, labels: {kubernetes.io/service-name: %[1]s}}
addressType: IPv4
ports: [{name: %[2]s, port: %[4]d}]
endpoints: [{addresses: [127.0.0.1]}]
`, name, portName, servicePort, port)
}

func ingressManifest(name, host, path, service string) string {
	return annotatedIngress(name, host, path, service, "")
}

// annotatedIngress is ingressManifest's Ingress with these annotations (a
// YAML flow mapping's content).
func annotatedIngress(name, host, path, service, annotations string) string {
	metadata := "{name: " + name + "}"
	if annotations != "" {
		metadata = "{name: " + name + ", annotations: {" + annotations + "}}"
	}
	return fmt.Sprintf(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: %s
spec:
  ingressClassName: archway
  rules:
  - host: %s
    http:
      paths:
      - {path: %s, pathType: Prefix, backend: {service: {name: %s, port: {number: 80}}}}
`, metadata, host, path, service)
}

func namedBackend(t *testing.T, name string) int {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, name)
	}))
	t.Cleanup(server.Close)
	return server.Listener.Addr().(*net.TCPAddr).Port
}

// TestFolderSource drives archway through its folder of manifests: adding,
// editing (in place and by rename, as editors save), breaking and deleting
// files changes what nginx serves (the time each takes is logged).
func TestFolderSource(t *testing.T) {
	f := startFolderInstance(t)
	f.write("backends.yaml", backendManifests("one", namedBackend(t, "one"))+"---"+backendManifests("two", namedBackend(t, "two")))

	f.write("a.yaml", ingressManifest("a", "a.example.com", "/", "one"))
	t.Logf("new file served after %v", f.waitFor("a.example.com", "/", "200 one"))

	f.write("a.yaml", ingressManifest("a", "a.example.com", "/", "two"))
	t.Logf("in-place edit served after %v", f.waitFor("a.example.com", "/", "200 two"))

	tmp := filepath.Join(f.dir, ".a.yaml.swp")
	require.NoError(t, os.WriteFile(tmp, []byte(ingressManifest("a", "a.example.com", "/", "one")), 0o644))
	require.NoError(t, os.Rename(tmp, filepath.Join(f.dir, "a.yaml")))
	t.Logf("save-by-rename served after %v", f.waitFor("a.example.com", "/", "200 one"))

	// A malformed file is skipped; the others keep serving and still follow edits.
	f.write("broken.yaml", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: [\n")
	f.write("b.yaml", ingressManifest("b", "b.example.com", "/", "two"))
	f.waitFor("b.example.com", "/", "200 two")
	f.waitFor("a.example.com", "/", "200 one")

	require.NoError(t, os.Remove(filepath.Join(f.dir, "a.yaml")))
	t.Logf("deletion served after %v", f.waitFor("a.example.com", "/", "404"))
	f.waitFor("b.example.com", "/", "200 two")

	resp, err := http.Get("http://" + f.metrics + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), `nginx_ingress_controller_config_last_reload_successful{controller_class="archway"`)
	require.Contains(t, string(body), `archway_rejected_objects{controller_class="archway",controller_namespace="",controller_pod="",kind="File",reason="InvalidManifest"} 1`)
}

// TestCreatedRuntimeDirServesWorkers starts archway on a runtime dir it
// creates itself. As root, nginx's workers run as nobody and must reach
// their temp files (a request body larger than its buffer) and the access
// log socket (the request metrics) through that dir.
func TestCreatedRuntimeDirServesWorkers(t *testing.T) {
	f := startFolderInstance(t)
	f.write("backends.yaml", backendManifests("one", namedBackend(t, "one")))
	f.write("a.yaml", ingressManifest("a", "a.example.com", "/", "one"))
	f.waitFor("a.example.com", "/", "200 one")

	body := strings.Repeat("x", 64<<10) // more than client_body_buffer_size: a temp file
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+strconv.Itoa(f.httpPort)+"/", strings.NewReader(body))
	require.NoError(t, err)
	req.Host = "a.example.com"
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + f.metrics + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		page, err := io.ReadAll(resp.Body)
		return err == nil && strings.Contains(string(page), `ingress="a",method="POST",namespace="default",path="/",service="one",status="200"}`)
	}, 5*time.Second, 50*time.Millisecond, "the POST must reach the request metrics")
}
