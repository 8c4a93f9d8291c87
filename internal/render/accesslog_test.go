package render

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// TestAccessLogGolden renders the access log settings: a JSON format to a
// file with skipped URLs, and a location whose Ingress turned its log off
// (it keeps the metrics record alone).
func TestAccessLogGolden(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	off := false
	cfg := model.Config{
		Backends: []model.Backend{{Name: "app"}},
		Servers: []model.Server{{Host: "app.example.com", Locations: []model.Location{
			prefix("/", "app"),
			{Path: "/quiet", Match: model.MatchPrefix, Backend: "app", Policy: &model.Policy{AccessLog: &off}},
		}}},
		Settings: model.Settings{AccessLog: model.AccessLog{
			Path:     "access.log",
			Escape:   "json",
			Format:   model.LogFormat{{Text: `{"time": "`}, {Var: "time_iso8601"}, {Text: `", "status": `}, {Var: "status"}, {Text: `, "backend": "`}, {Var: "archway_backend"}, {Text: `"}`}},
			SkipURLs: []string{"/healthz", "/metrics?format=json"},
		}},
	}
	out, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	require.Empty(t, out.AccessLogStream, "a file is written by nginx itself")
	checkGolden(t, "access_log", out)

	cfg.Settings.AccessLog = model.AccessLog{Path: model.AccessLogStderr, Escape: "default", Format: model.LogFormat{{Var: "status"}}}
	out, err = r.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	require.Equal(t, model.AccessLogStderr, out.AccessLogStream)
	require.Contains(t, string(out.Files[0].Data), `access_log "/dev/stdout" upstreaminfo; # archway copies it to its stderr`)
}

// TestLogFormatRefusesUnsafeParts: render rechecks what build allowed.
func TestLogFormatRefusesUnsafeParts(t *testing.T) {
	for _, part := range []model.LogPart{{Text: "it's"}, {Text: `a\b`}, {Text: "$x"}, {Text: "a\nb"}, {Var: "a}b"}, {Var: "X"}, {}, {Text: "a", Var: "b"}} {
		_, err := logFormat(model.LogFormat{part})
		require.Error(t, err, "%+v", part)
	}
}
