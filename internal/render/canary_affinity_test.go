package render

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// TestCanaryAffinity: with cookie affinity on both sides, a client stays
// on the side its cookie names (the main backend always, a canary unless
// affinity-canary-behavior is legacy), as in ingress-nginx, instead of
// being weighed again on every request.
func TestCanaryAffinity(t *testing.T) {
	eps := namedServers(t, nil, "main", "beta")
	affine := func(name string) model.Backend {
		return model.Backend{Name: name, Endpoints: []model.Endpoint{eps[name]},
			Balancing: model.Balancing{Cookie: &model.CookieAffinity{Name: "route"}}}
	}
	e := newCanaryEnv(t, []model.Backend{affine("main"), affine("beta")})
	sticky := model.Canary{Backend: "beta", Weight: 50, WeightTotal: 100}
	e.use(t, sticky)
	// get returns who answered and the affinity cookie it set, if any.
	get := func(cookie string) (string, string) {
		resp, body := getWith(t, e.client, "http://canary.test/", "Cookie", cookie)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		set, _, _ := strings.Cut(resp.Header.Get("Set-Cookie"), ";")
		return body, set
	}
	cookies := map[string]string{}
	for i := 0; i < 200 && len(cookies) < 2; i++ {
		who, set := get("")
		require.NotEmpty(t, set, "a new client gets an affinity cookie")
		cookies[who] = set
	}
	require.Len(t, cookies, 2, "the weight sends new clients to both sides")
	for _, side := range []string{"main", "beta"} {
		for range 30 {
			who, set := get(cookies[side])
			require.Equal(t, side, who, "a client with the cookie of %s", side)
			require.Empty(t, set)
		}
	}

	legacy := sticky
	legacy.LegacyAffinity = true
	e.use(t, legacy)
	seen := map[string]int{}
	for range 40 {
		who, _ := get(cookies["beta"])
		seen[who]++
	}
	require.Positive(t, seen["main"], "legacy: the weight decides again for a canary's client")
	for range 30 {
		who, _ := get(cookies["main"])
		require.Equal(t, "main", who, "legacy too: a client of the main backend stays there")
	}
}
