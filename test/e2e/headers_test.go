package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// TestHeaderConfigMaps follows the header ConfigMaps through the API
// server: the controller's ConfigMap names the response headers of every
// server (add-headers) and the request headers of every backend
// (proxy-set-headers), an Ingress its own response headers
// (custom-headers, as global-allowed-response-headers allows); a change to
// any of those ConfigMaps applies without a restart.
func TestHeaderConfigMaps(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	configMaps := s.Cluster.Admin.CoreV1().ConfigMaps(ns)
	put := func(name string, data map[string]string) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
		_, err := configMaps.Update(t.Context(), cm, metav1.UpdateOptions{})
		if err != nil {
			_, err = configMaps.Create(t.Context(), cm, metav1.CreateOptions{})
		}
		require.NoError(t, err)
	}
	put("archway", map[string]string{"add-headers": ns + "/response", "proxy-set-headers": ns + "/request",
		"global-allowed-response-headers": "X-Team"})
	put("response", map[string]string{"X-Frame-Options": "DENY"})
	put("request", map[string]string{"X-Env": "prod"})
	put("team", map[string]string{"X-Team": "blue", "X-Frame-Options": "ALLOWALL"})
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns, Args: []string{"--configmap=" + ns + "/archway"}})
	ing := harness.WithClass(harness.NewIngress(ns, "app",
		harness.Route{Host: "headers.example", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "app"}), ns)
	ing.Annotations = map[string]string{"nginx.ingress.kubernetes.io/custom-headers": "team"}
	s.CreateIngress(t, ing)

	// seen is what the client got, and the X-Env header the backend got.
	type seen struct{ frameOptions, team, env string }
	get := func() (seen, error) {
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(a.HTTPPort)+"/", nil)
		if err != nil {
			return seen{}, err
		}
		req.Host = "headers.example"
		resp, err := a.Client.Do(req)
		if err != nil {
			return seen{}, err
		}
		defer resp.Body.Close()
		var echo struct{ Headers http.Header }
		if err := json.NewDecoder(resp.Body).Decode(&echo); err != nil {
			return seen{}, fmt.Errorf("%s: %w", resp.Status, err)
		}
		return seen{resp.Header.Get("X-Frame-Options"), resp.Header.Get("X-Team"), echo.Headers.Get("X-Env")}, nil
	}
	waitSeen := func(want seen) {
		t.Helper()
		var got seen
		require.NoError(t, harness.Eventually(20*time.Second, 100*time.Millisecond, func() error {
			var err error
			if got, err = get(); err == nil && got != want {
				err = fmt.Errorf("seen %+v, want %+v", got, want)
			}
			return err
		}))
	}
	// X-Frame-Options of custom-headers is not allowed: add-headers' stays.
	waitSeen(seen{frameOptions: "DENY", team: "blue", env: "prod"})

	put("team", map[string]string{"X-Team": "green"})
	waitSeen(seen{frameOptions: "DENY", team: "green", env: "prod"})
	put("request", map[string]string{"X-Env": "staging"})
	put("response", map[string]string{"X-Frame-Options": "SAMEORIGIN"})
	waitSeen(seen{frameOptions: "SAMEORIGIN", team: "green", env: "staging"})
}
