package render

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// TestAccessLogVars checks what each location tells the access log: the
// Ingress and Service from the model and the server's configured host,
// never anything from the request.
func TestAccessLogVars(t *testing.T) {
	shop := model.Owner{Kind: model.KindIngress, Ref: model.Ref{Namespace: "shop", Name: "storefront"}}
	web := model.Backend{Name: "shop-web-80", Service: model.Ref{Namespace: "shop", Name: "web"}, Port: "80"}
	tests := map[string]struct {
		server model.Server
		want   string // the location "/" block's set lines
		err    string
	}{
		"exact host": {
			server: model.Server{Host: "shop.example.com", Locations: []model.Location{
				{Path: "/", Match: model.MatchPrefix, Backend: web.Name, Owner: shop}}},
			want: `set $archway_namespace "shop"; set $archway_ingress "storefront"; set $archway_service "web"; set $archway_host "shop.example.com";`,
		},
		"wildcard host keeps its pattern": {
			server: model.Server{Host: "*.example.com", Locations: []model.Location{
				{Path: "/", Match: model.MatchPrefix, Backend: web.Name, Owner: shop}}},
			want: `set $archway_namespace "shop"; set $archway_ingress "storefront"; set $archway_service "web"; set $archway_host "*.example.com";`,
		},
		"fallback location names no Ingress": {
			server: model.Server{Host: "shop.example.com", Locations: []model.Location{
				{Path: "/api", Match: model.MatchPrefix, Backend: web.Name, Owner: shop}}},
			want: `set $archway_namespace ""; set $archway_ingress ""; set $archway_service ""; set $archway_host "shop.example.com";`,
		},
		"catch-all server is _": {
			server: model.Server{Locations: []model.Location{{Path: "/", Match: model.MatchPrefix, Backend: web.Name, Owner: shop}}},
			want:   `set $archway_namespace "shop"; set $archway_ingress "storefront"; set $archway_service "web"; set $archway_host "_";`,
		},
		"a name that could break out of its quotes": {
			server: model.Server{Host: "shop.example.com", Locations: []model.Location{
				{Path: "/", Match: model.MatchPrefix, Backend: web.Name, Owner: model.Owner{Kind: model.KindIngress, Ref: model.Ref{Namespace: "shop", Name: `x"; return 200 "y`}}}}},
			err: "may not reach nginx.conf",
		},
	}
	r, err := New("")
	require.NoError(t, err)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := r.Render(model.Config{Servers: []model.Server{tc.server}, Backends: []model.Backend{web}},
				Options{HTTPPort: 80, HTTPSPort: 443, RuntimeDir: "/run/archway"})
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			conf := string(out.Files[0].Data)
			require.Contains(t, conf, `access_log "syslog:server=unix:`+AccessLogSocket+`,tag=`+AccessLogTag+`,nohostname" archway;`)
			server := conf[strings.Index(conf, "server_name "+serverNameOf(t, tc.server)):]
			block := server[strings.Index(server, `location "/" {`):]
			block = block[:strings.Index(block, "}")]
			var sets []string
			for line := range strings.SplitSeq(block, "\n") {
				line = strings.TrimSpace(line)
				for _, v := range []string{"namespace", "ingress", "service", "host"} {
					if strings.HasPrefix(line, "set $archway_"+v+" ") {
						sets = append(sets, line)
					}
				}
			}
			require.Equal(t, tc.want, strings.Join(sets, " "))
		})
	}
}

func serverNameOf(t *testing.T, s model.Server) string {
	t.Helper()
	name, err := serverName(&quoter{}, s)
	require.NoError(t, err)
	return name
}
