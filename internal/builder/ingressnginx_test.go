package builder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// TestIngressNginxManifests builds manifests written for ingress-nginx,
// unchanged but for their ingressClassName: every one must be served with
// no problem, and the annotations must reach the model.
func TestIngressNginxManifests(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "ingress-nginx", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	snap := load(t, "classes.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		snap.AddManifests(f, data)
	}
	cfg, report := Build(snap, defaultOpts())
	require.Empty(t, report.Problems)
	require.Len(t, report.Served, len(snap.Ingresses))

	locations := map[string]model.Location{}
	var hosts []string
	for _, s := range cfg.Servers {
		hosts = append(hosts, s.Host)
		for _, l := range s.Locations {
			locations[s.Host+" "+string(l.Match)+" "+l.Path] = l
		}
	}
	require.Equal(t, []string{"api.partners.example.com", "argocd.example.com", "grafana.example.com", "grpc.shop.example.com",
		"old-tools.example.com", "registry.example.com", "shop.example.com", "tools.example.com", "www.shop.example.com"}, hosts)
	partners := cfg.Servers[0].ClientAuth
	require.NotNil(t, partners, "client certificates of api.partners.example.com")
	require.Equal(t, model.ClientAuth{CA: partners.CA, Verify: model.VerifyOn, Depth: 1,
		ErrorPage: "https://www.example.com/partners/certificates", PassCertificate: true}, *partners)
	require.Contains(t, string(partners.CA), "BEGIN CERTIFICATE")
	tests := map[string]func(t *testing.T, p model.Policy){
		"shop.example.com Regex /api(/|$)(.*)": func(t *testing.T, p model.Policy) {
			require.Equal(t, model.Template{{Text: "/"}, {Var: "2"}}, p.RewriteTarget)
			require.Len(t, p.CORS.AllowOrigins, 2)
			require.Equal(t, 20, p.RateLimit.RPS)
		},
		"shop.example.com Prefix /": func(t *testing.T, p model.Policy) {
			require.Equal(t, "/home", p.AppRoot)
			require.Equal(t, &model.ErrorPages{Codes: []int{404, 503}, Backend: "shop_custom-errors_80"}, p.Errors)
		},
		"grpc.shop.example.com Prefix /": func(t *testing.T, p model.Policy) {
			require.Equal(t, model.ProtocolGRPC, p.Protocol)
		},
		"argocd.example.com Prefix /": func(t *testing.T, p model.Policy) {
			require.Equal(t, &model.BackendTLS{ServerName: "argocd-server.argocd.svc", SNI: true}, p.BackendTLS)
		},
		"grafana.example.com Prefix /": func(t *testing.T, p model.Policy) {
			require.Equal(t, model.Template{{Text: "http://oauth2-proxy.monitoring.svc.cluster.local:4180/oauth2/auth"}}, p.ExternalAuth.URL)
			require.Equal(t, []string{"X-Auth-Request-User", "X-Auth-Request-Email", "Authorization"}, p.ExternalAuth.ResponseHeaders)
		},
		"grafana.example.com Prefix /oauth2": func(t *testing.T, p model.Policy) {
			require.Nil(t, p.ExternalAuth, "the sign-in paths of another Ingress stay open")
		},
		"registry.example.com Prefix /": func(t *testing.T, p model.Policy) {
			require.Equal(t, model.Size(0), *p.Proxy.BodySize)
		},
		"tools.example.com Prefix /private": func(t *testing.T, p model.Policy) {
			require.Equal(t, []model.Credential{{User: "foo", Hash: "{SHA}Ys23Ag/5IOWqZCw9QGaVDdHwH00="}}, p.BasicAuth.Credentials)
		},
		"old-tools.example.com Prefix /": func(t *testing.T, p model.Policy) {
			require.Equal(t, 308, p.Redirect.Code)
		},
		"www.shop.example.com Prefix /": func(t *testing.T, p model.Policy) {
			require.Equal(t, 308, p.Redirect.Code)
		},
	}
	for key, check := range tests {
		t.Run(key, func(t *testing.T) {
			l, ok := locations[key]
			require.True(t, ok, "no location %s", key)
			check(t, policyOf(l))
		})
	}
}
