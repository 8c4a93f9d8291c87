package render

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
)

// balancingOf returns the balancing that package annotations makes of the
// annotations, given without their prefix.
func balancingOf(t *testing.T, values map[string]string) model.Balancing {
	t.Helper()
	full := make(map[string]string, len(values))
	for k, v := range values {
		full[annotations.DefaultPrefix+"/"+k] = v
	}
	p, problems := annotations.Parse(full, annotations.DefaultPrefix)
	require.Empty(t, problems)
	return p.Location.Balancing()
}

// TestAnnotationBalancing sends requests through nginx's balancer to a
// backend of four endpoints, balanced as the annotations say.
func TestAnnotationBalancing(t *testing.T) {
	endpoints := namedServers(t, nil, "a", "b", "c", "d")
	pooled := func(name string, b model.Balancing) model.Backend {
		be := model.Backend{Name: name, Balancing: b}
		for _, ep := range endpoints {
			be.Endpoints = append(be.Endpoints, ep)
		}
		return be
	}
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{
			pooled("sticky", balancingOf(t, map[string]string{"affinity": "cookie", "session-cookie-name": "route",
				"session-cookie-max-age": "60", "session-cookie-samesite": "Lax"})),
			pooled("hashed", balancingOf(t, map[string]string{"upstream-hash-by": "$arg_user"})),
			pooled("spread", balancingOf(t, map[string]string{"load-balance": "round_robin"})),
		},
		Servers: []model.Server{{Host: "lb.test", Locations: []model.Location{
			prefix("/sticky", "sticky"), prefix("/hashed", "hashed"), prefix("/spread", "spread"),
		}}},
	})
	t.Run("cookie affinity keeps a client on one endpoint", func(t *testing.T) {
		resp, first := e.do(t, http.MethodGet, "lb.test", "/sticky", nil, "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		cookies := resp.Cookies()
		require.Len(t, cookies, 1)
		require.Equal(t, "route", cookies[0].Name)
		require.Equal(t, 60, cookies[0].MaxAge)
		require.Equal(t, http.SameSiteLaxMode, cookies[0].SameSite)
		for range 20 {
			resp, body := e.do(t, http.MethodGet, "lb.test", "/sticky", http.Header{"Cookie": {"route=" + cookies[0].Value}}, "")
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, first, body)
		}
	})
	t.Run("hashing by a query argument", func(t *testing.T) {
		seen := map[string]string{}
		for range 3 {
			for _, user := range []string{"ann", "ben", "cid", "dan", "eve", "fay"} {
				_, body := e.do(t, http.MethodGet, "lb.test", "/hashed?user="+user, nil, "")
				if seen[user] != "" {
					require.Equal(t, seen[user], body, "user %s", user)
				}
				seen[user] = body
			}
		}
	})
	t.Run("round robin spreads", func(t *testing.T) {
		got := map[string]bool{}
		for range 8 {
			_, body := e.do(t, http.MethodGet, "lb.test", "/spread", nil, "")
			got[body] = true
		}
		require.Len(t, got, 4)
	})
}
