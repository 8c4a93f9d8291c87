package controller

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"

	"github.com/archway-ingress/archway/internal/status"
	"github.com/archway-ingress/archway/templates"
)

// refusingTemplates writes the embedded templates to a folder for
// --template-dir, with one change an operator could make: locations of
// Ingresses named "bad" get a proxy_cache zone that nginx.conf never
// defines, so `nginx -t` refuses every config that holds one.
//
// This is the seam the test uses on purpose: the build cannot know what
// an operator's templates do with an object, so no validation in build
// makes the refusal go away, unlike the inputs nginx refuses today that
// build will learn to refuse (and that a test depending on them would
// lose).
func refusingTemplates(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, fs.WalkDir(templates.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templates.FS, path)
		if err != nil {
			return err
		}
		if path == "location.tmpl" {
			const open = "location {{.Modifier}}{{.Path}} {"
			require.Contains(t, string(data), open)
			data = []byte(strings.Replace(string(data), open, open+`
{{- if eq .Log.Ingress "\"bad\""}}
            proxy_cache tenant_cache;
{{- end}}`, 1))
		}
		return os.WriteFile(filepath.Join(dir, path), data, 0o644)
	}))
	return dir
}

// watch requests host every 20ms until the test ends and returns what
// answered other than 200.
func (c *cluster) watch(host string) func() []string {
	var mu sync.Mutex
	var failures []string
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if status, body := c.get(host, "/"); status != http.StatusOK {
				mu.Lock()
				failures = append(failures, body)
				mu.Unlock()
			}
		}
	}()
	c.t.Cleanup(func() {
		close(stop)
		<-done
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), failures...)
	}
}

// TestRefusedIngressDoesNotFreezeOthers: tenant X's Ingress, accepted by
// build, makes real nginx -t refuse the config. Tenant Y's new Ingress
// serves all the same, Y's endpoint change is pushed without a reload,
// X's Ingress gets a Warning Event and is counted, the reload metric says
// 0 until it is gone, and Y's traffic never fails.
func TestRefusedIngressDoesNotFreezeOthers(t *testing.T) {
	recorder := record.NewFakeRecorder(100)
	events := status.NewEvents(recorder)
	events.SetLeader(true)
	c := startClusterWith(t, refusingTemplates(t), events)
	blue, green := backend(t, "blue"), backend(t, "green")
	ctx := context.Background()

	c.create(inNamespace(service("web"), "tenant-y"))
	slice := inNamespace(endpointSlice("web", blue), "tenant-y")
	c.create(slice)
	c.create(inNamespace(ingress("old", "y.example.com"), "tenant-y"))
	c.serves("y.example.com", "/", http.StatusOK, "blue")
	failures := c.watch("y.example.com")

	c.create(inNamespace(ingress("bad", "x.example.com"), "tenant-x"))
	c.create(inNamespace(ingress("new", "new.y.example.com"), "tenant-y"))
	c.serves("new.y.example.com", "/", http.StatusOK, "blue")
	c.serves("x.example.com", "/", http.StatusNotFound, "")
	require.Eventually(t, func() bool {
		return rejectedMetric(t, c.registry, "Ingress", "RejectedByNginx") == 1
	}, nginxWait, 10*time.Millisecond)
	require.Equal(t, 0.0, metricValue(t, c.registry, "nginx_ingress_controller_config_last_reload_successful"))
	select {
	case event := <-recorder.Events:
		require.Contains(t, event, "Warning RejectedByNginx")
		require.Contains(t, event, "tenant_cache")
	case <-time.After(10 * time.Second):
		t.Fatal("no Event for the refused Ingress")
	}

	// Y's pods move: nginx follows without a reload.
	reloads := c.reloads()
	slice = inNamespace(endpointSlice("web", green), "tenant-y")
	slice.ResourceVersion = "2"
	_, err := c.client.DiscoveryV1().EndpointSlices("tenant-y").Update(ctx, slice, metav1.UpdateOptions{})
	require.NoError(t, err)
	c.serves("y.example.com", "/", http.StatusOK, "green")
	c.serves("new.y.example.com", "/", http.StatusOK, "green")
	require.Equal(t, reloads, c.reloads(), "endpoints are pushed, not reloaded")

	// X deletes the Ingress: the whole config is live again.
	require.NoError(t, c.client.NetworkingV1().Ingresses("tenant-x").Delete(ctx, "bad", metav1.DeleteOptions{}))
	require.Eventually(t, func() bool {
		return metricValue(t, c.registry, "nginx_ingress_controller_config_last_reload_successful") == 1 &&
			rejectedMetric(t, c.registry, "Ingress", "RejectedByNginx") == 0
	}, nginxWait, 10*time.Millisecond)
	require.Empty(t, failures(), "y.example.com answered other than 200")
}
