package main

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFolderHeaderConfigMaps: in a --manifests folder, --configmap picks
// the controller's ConfigMap among the header ConfigMaps, whose headers
// are served (add-headers for every server, an Ingress's custom-headers),
// and an edit of a header ConfigMap applies without a restart.
func TestFolderHeaderConfigMaps(t *testing.T) {
	f := startFolderInstance(t, "--configmap", "default/archway")
	ingress := annotatedIngress("app", "app.example", "/", "app", "nginx.ingress.kubernetes.io/custom-headers: team")
	f.write("app.yaml", backendManifests("app", namedBackend(t, "app"))+"---"+ingress)
	configMaps := func(team string) string {
		return `
apiVersion: v1
kind: ConfigMap
metadata: {name: archway, namespace: default}
data: {add-headers: default/response, global-allowed-response-headers: X-Team}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: response, namespace: default}
data: {X-Frame-Options: DENY}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: team, namespace: default}
data: {X-Team: ` + team + `}
`
	}
	f.write("configmaps.yaml", configMaps("blue"))
	headers := func(frameOptions, team string) {
		t.Helper()
		want := [3]string{"200 OK", frameOptions, team}
		var got [3]string
		for deadline := time.Now().Add(10 * time.Second); got != want && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(f.httpPort)+"/", nil)
			require.NoError(t, err)
			req.Host = "app.example"
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				got[0] = err.Error()
				continue
			}
			resp.Body.Close()
			got = [3]string{resp.Status, resp.Header.Get("X-Frame-Options"), resp.Header.Get("X-Team")}
		}
		require.Equal(t, want, got)
	}
	headers("DENY", "blue")
	f.write("configmaps.yaml", configMaps("green"))
	headers("DENY", "green")
}
