package render

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

func entries(members ...string) Endpoints {
	var e Endpoints
	for i := 0; i < len(members); i += 2 {
		e = append(e, BackendEndpoints{Name: members[i], JSON: []byte(members[i+1])})
	}
	return e
}

func TestEndpointsChanges(t *testing.T) {
	from := entries("a", `{"endpoints":["10.0.0.1:80"]}`, "b", `{"endpoints":[]}`, "d", `{"endpoints":[]}`)
	tests := map[string]struct {
		to      Endpoints
		deletes bool
		want    string // "" for nil: nothing to send
	}{
		"equal":                   {to: from, deletes: true},
		"one endpoint changes":    {to: entries("a", `{"endpoints":["10.0.0.2:80"]}`, "b", `{"endpoints":[]}`, "d", `{"endpoints":[]}`), deletes: true, want: `{"a":{"endpoints":["10.0.0.2:80"]}}`},
		"new backend in between":  {to: entries("a", `{"endpoints":["10.0.0.1:80"]}`, "b", `{"endpoints":[]}`, "c", `{"endpoints":[]}`, "d", `{"endpoints":[]}`), want: `{"c":{"endpoints":[]}}`},
		"gone backends deleted":   {to: entries("b", `{"endpoints":[]}`), deletes: true, want: `{"a":null,"d":null}`},
		"gone backends kept":      {to: entries("b", `{"endpoints":[]}`)},
		"everything new":          {to: entries("x", `{}`), deletes: true, want: `{"a":null,"b":null,"d":null,"x":{}}`},
		"to nothing":              {deletes: true, want: `{"a":null,"b":null,"d":null}`},
		"change, add, delete":     {to: entries("a", `{}`, "e", `{}`), deletes: true, want: `{"a":{},"b":null,"d":null,"e":{}}`},
		"new and changed at ends": {to: entries("0", `{}`, "a", `{"endpoints":["10.0.0.1:80"]}`, "b", `{}`, "d", `{"endpoints":[]}`, "z", `{}`), want: `{"0":{},"b":{},"z":{}}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := tc.to.Changes(from, tc.deletes)
			if tc.want == "" {
				require.Nil(t, got)
				require.Equal(t, tc.deletes, tc.to.Equal(from), "only equal members send nothing with deletes")
				return
			}
			require.Equal(t, tc.want, string(got))
			require.False(t, tc.to.Equal(from))
		})
	}
}

// TestEndpointsPayloadIsJSON checks the whole payload of many backends
// against encoding/json, and that applying Changes to a map gives it.
func TestEndpointsPayloadIsJSON(t *testing.T) {
	cfg := scaleConfig(1, 50)
	cfg.Backends[3].Balancing = model.Balancing{Algorithm: model.EWMA, HashBy: "request_uri",
		Cookie: &model.CookieAffinity{Name: "r", Path: "/", MaxAge: 60, SameSite: "Lax", Secure: true}}
	before, err := endpointEntries(cfg.Backends)
	require.NoError(t, err)
	held := map[string]json.RawMessage{}
	require.NoError(t, json.Unmarshal(before.Payload(), &held))
	require.Len(t, held, 50)

	changed := scaleConfig(1, 60)
	changed.Backends = changed.Backends[5:]
	changed.Backends[0].Endpoints = nil
	after, err := endpointEntries(changed.Backends)
	require.NoError(t, err)
	var diff map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(after.Changes(before, true), &diff))
	for name, value := range diff {
		if string(value) == "null" {
			delete(held, name)
		} else {
			held[name] = value
		}
	}
	want := map[string]json.RawMessage{}
	require.NoError(t, json.Unmarshal(after.Payload(), &want))
	require.Equal(t, want, held)
	require.Less(t, len(diff), 40, "only changes are sent")
}

func TestEndpointsMerge(t *testing.T) {
	older := entries("a", `1`, "c", `3`, "e", `5`)
	tests := map[string]struct {
		e    Endpoints
		want Endpoints
	}{
		"nothing new":      {want: older},
		"newer values win": {e: entries("c", `33`), want: entries("a", `1`, "c", `33`, "e", `5`)},
		"interleaved":      {e: entries("0", `0`, "b", `2`, "e", `55`, "f", `6`), want: entries("0", `0`, "a", `1`, "b", `2`, "c", `3`, "e", `55`, "f", `6`)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := tc.e.Merge(older)
			require.True(t, tc.want.Equal(got), "got %q", got.Payload())
			require.Nil(t, tc.e.Changes(got, false), "the merge holds all of e")
		})
	}
}

func TestEndpointsRejectsDuplicateNames(t *testing.T) {
	_, err := endpointEntries([]model.Backend{{Name: "a"}, {Name: "b"}, {Name: "a"}})
	require.ErrorContains(t, err, `backend "a": duplicate name`)
}

func BenchmarkEndpointsChanges(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("backends=%d", n), func(b *testing.B) {
			cfg := scaleConfig(1, n)
			before, err := endpointEntries(cfg.Backends)
			require.NoError(b, err)
			cfg.Backends[n/2].Endpoints = cfg.Backends[n/2].Endpoints[1:]
			after, err := endpointEntries(cfg.Backends)
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if len(after.Changes(before, true)) == 0 {
					b.Fatal("no changes")
				}
			}
		})
	}
}
