package builder

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// withSafeSnippets turns the safe snippet subset on in snap.
func withSafeSnippets(snap source.Snapshot) source.Snapshot {
	snap.ConfigMap = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "archway", Name: "archway"},
		Data: map[string]string{SafeSnippetsKey: "true"}}
	return snap
}

func TestSnippets(t *testing.T) {
	config := func(s string) map[string]string { return map[string]string{"configuration-snippet": s} }
	server := func(s string) map[string]string { return map[string]string{"server-snippet": s} }
	t.Run("off, the problem names the key that turns them on", func(t *testing.T) {
		cfg, report := Build(tenantSnapshot(t, pathIngress("owner", 0, sharedHost, "/", config("deny all;"))), defaultOpts())
		require.Equal(t, []string{"web/owner " + annotation("configuration-snippet") + " SnippetRefused"}, problemsOf(report))
		require.Contains(t, report.Problems[0].Message, `safe-snippet-annotations: "true"`)
		require.Nil(t, policyOf(serverOf(t, cfg, sharedHost).Locations[0]).Snippet)
	})
	t.Run("a value other than true or false keeps them off", func(t *testing.T) {
		snap := withSafeSnippets(tenantSnapshot(t, pathIngress("owner", 0, sharedHost, "/", config("deny all;"))))
		snap.ConfigMap.Data[SafeSnippetsKey] = "yes"
		_, report := Build(snap, defaultOpts())
		require.Equal(t, []string{"archway/archway data.safe-snippet-annotations InvalidSetting",
			"web/owner " + annotation("configuration-snippet") + " SnippetRefused"}, problemsOf(report))
	})
	t.Run("on, both apply", func(t *testing.T) {
		ing := pathIngress("owner", 0, sharedHost, "/", map[string]string{"configuration-snippet": "deny all;",
			"server-snippet": "location /metrics { return 404; }"})
		cfg, report := Build(withSafeSnippets(tenantSnapshot(t, ing)), defaultOpts())
		require.Empty(t, report.Problems)
		s := serverOf(t, cfg, sharedHost)
		require.Len(t, policyOf(s.Locations[0]).Snippet.Directives, 1)
		require.Equal(t, "/metrics", s.Snippet.Locations[0].Path)
	})
	t.Run("on, a snippet outside the subset names its token", func(t *testing.T) {
		cfg, report := Build(withSafeSnippets(tenantSnapshot(t, pathIngress("owner", 0, sharedHost, "/", server("more_set_headers \"A: b\";\nlua_code_cache off;")))), defaultOpts())
		require.Equal(t, []string{"web/owner " + annotation("server-snippet") + " SnippetRefused"}, problemsOf(report))
		require.Contains(t, report.Problems[0].Message, `"lua_code_cache" (line 2) is refused`)
		require.Nil(t, serverOf(t, cfg, sharedHost).Snippet)
	})
	t.Run("a location that duplicates a path's", func(t *testing.T) {
		owner := pathIngress("owner", 0, sharedHost, "/api", server("location = /api { return 404; }"))
		cfg, report := Build(withSafeSnippets(tenantSnapshot(t, owner)), defaultOpts())
		require.Equal(t, []string{"web/owner " + annotation("server-snippet") + " " + string(reason.PathConflict)}, problemsOf(report))
		require.Contains(t, report.Problems[0].Message, `location = "/api" duplicates the location of path "/api"`)
		require.Nil(t, serverOf(t, cfg, sharedHost).Snippet)
	})
	t.Run("one server-snippet per host, the oldest Ingress's", func(t *testing.T) {
		first := pathIngress("first", 0, sharedHost, "/", server("location /a { return 404; }"))
		second := pathIngress("second", 1, sharedHost, "/b", server("location /c { return 404; }"))
		cfg, report := Build(withSafeSnippets(tenantSnapshot(t, first, second)), defaultOpts())
		require.Equal(t, []string{"web/second " + annotation("server-snippet") + " SnippetRefused"}, problemsOf(report))
		require.Equal(t, "/a", serverOf(t, cfg, sharedHost).Snippet.Locations[0].Path)
	})
	t.Run("a blocked Ingress applies no snippet", func(t *testing.T) {
		ing := pathIngress("owner", 0, sharedHost, "/", map[string]string{"server-snippet": "location /a { return 404; }", "proxy-body-size": "huge"})
		cfg, report := Build(withSafeSnippets(tenantSnapshot(t, ing)), defaultOpts())
		require.Equal(t, []string{"web/owner " + annotation("proxy-body-size") + " InvalidAnnotation"}, problemsOf(report))
		require.Nil(t, serverOf(t, cfg, sharedHost).Snippet)
	})
}
