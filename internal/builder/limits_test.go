package builder

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// limitedIngress is an Ingress of namespace ns, created age minutes into
// 2025, with paths paths on each of hosts.
func limitedIngress(ns, name string, age int, hosts []string, paths int) *networkingv1.Ingress {
	ing := tlsIngress(name, age, hosts, nil, nil)
	ing.Namespace = ns
	for i := range ing.Spec.Rules {
		http := ing.Spec.Rules[i].HTTP
		for p := 1; p < paths; p++ {
			extra := http.Paths[0]
			extra.Path = fmt.Sprintf("/p%d", p)
			http.Paths = append(http.Paths, extra)
		}
	}
	return ing
}

// TestBuildLimits checks that an Ingress over a limit is refused whole and
// reported, that a namespace's budget goes to its oldest Ingresses, and
// that other namespaces and Ingresses within the limits are unaffected.
func TestBuildLimits(t *testing.T) {
	limits := Limits{PathsPerIngress: 4, PathsPerNamespace: 6, HostsPerNamespace: 3}
	tests := map[string]struct {
		limits    *Limits // nil: limits
		ingresses []*networkingv1.Ingress
		served    []string
		refused   map[string]string // Ingress: message
	}{
		"too many paths in one Ingress": {
			ingresses: []*networkingv1.Ingress{
				limitedIngress("a", "big", 0, []string{"big.example.com"}, 5),
				limitedIngress("a", "fits", 1, []string{"fits.example.com"}, 4),
			},
			served:  []string{"a/fits"},
			refused: map[string]string{"a/big": "it has 5 paths, over the limit of 4 paths per Ingress; none of this Ingress is served"},
		},
		"paths over the namespace's budget: the newest Ingress goes": {
			ingresses: []*networkingv1.Ingress{
				limitedIngress("a", "newest", 2, []string{"v.example.com"}, 2),
				limitedIngress("a", "old", 0, []string{"x.example.com"}, 3),
				limitedIngress("a", "older-than-newest", 1, []string{"y.example.com"}, 2),
				limitedIngress("a", "small", 3, []string{"w.example.com"}, 1), // younger, but fits what is left
				limitedIngress("b", "other-namespace", 4, []string{"z.example.com"}, 4),
			},
			served: []string{"a/old", "a/older-than-newest", "a/small", "b/other-namespace"},
			refused: map[string]string{"a/newest": "its 2 paths would bring namespace a to 7, over the limit of 6 paths per namespace " +
				"(older Ingresses keep theirs); none of this Ingress is served"},
		},
		"hosts over the namespace's budget": {
			limits: &Limits{HostsPerNamespace: 3},
			ingresses: []*networkingv1.Ingress{
				limitedIngress("a", "two", 0, []string{"1.example.com", "2.example.com"}, 1),
				limitedIngress("a", "again", 1, []string{"1.example.com", "2.example.com"}, 2), // "/" conflicts, /p1 serves
				limitedIngress("a", "two-more", 2, []string{"2.example.com", "3.example.com", "4.example.com"}, 1),
				limitedIngress("a", "third", 3, []string{"3.example.com", "3.example.com"}, 1),
			},
			served: []string{"a/again", "a/third", "a/two"},
			refused: map[string]string{"a/two-more": "its 2 new hosts would bring namespace a to 4, over the limit of 3 hosts per namespace " +
				"(older Ingresses keep theirs); none of this Ingress is served"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			snap := source.Snapshot{IngressClasses: load(t, "classes.yaml").IngressClasses, Ingresses: tc.ingresses}
			opts := defaultOpts()
			opts.Limits = limits
			if tc.limits != nil {
				opts.Limits = *tc.limits
			}
			cfg, report := Build(snap, opts)
			var served []string
			for _, ref := range report.Served {
				served = append(served, ref.String())
			}
			require.Equal(t, tc.served, served, "%v", report.Problems)
			refused := map[string]string{}
			for _, p := range report.Problems {
				if p.Reason == reason.LimitExceeded {
					require.Equal(t, "spec.rules", p.Field)
					refused[p.Object.String()] = p.Message
				}
			}
			require.Equal(t, tc.refused, refused)
			for _, s := range cfg.Servers {
				for _, l := range s.Locations {
					_, out := tc.refused[l.Owner.String()]
					require.False(t, out, "refused Ingress %s routes %s%s", l.Owner, s.Host, l.Path)
				}
			}
			// Without limits, the refused Ingresses serve.
			_, report = Build(snap, defaultOpts())
			for ing := range tc.refused {
				require.Contains(t, fmt.Sprint(report.Served), ing)
			}
		})
	}
}
