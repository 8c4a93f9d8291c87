package e2e

import (
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// TestRBAC checks the chart's RBAC rules. That archway works with exactly
// them is what every other test shows: they all run archway with a token
// bound to these rules and nothing else, and fail on any "forbidden" in
// its log.
func TestRBAC(t *testing.T) {
	t.Parallel()
	s := env

	t.Run("the rules grant what archway needs and no more", func(t *testing.T) {
		const networking, discovery, coordination, events = "networking.k8s.io", "discovery.k8s.io", "coordination.k8s.io", "events.k8s.io"
		type attrs = authorizationv1.ResourceAttributes
		tests := map[string]struct {
			attrs attrs
			want  bool
		}{
			"list Ingresses everywhere":             {attrs{Verb: "list", Group: networking, Resource: "ingresses"}, true},
			"watch Ingresses everywhere":            {attrs{Verb: "watch", Group: networking, Resource: "ingresses"}, true},
			"watch IngressClasses":                  {attrs{Verb: "watch", Group: networking, Resource: "ingressclasses"}, true},
			"watch Services everywhere":             {attrs{Verb: "watch", Resource: "services"}, true},
			"get the published Service":             {attrs{Namespace: "any", Verb: "get", Resource: "services"}, true},
			"watch EndpointSlices everywhere":       {attrs{Verb: "watch", Group: discovery, Resource: "endpointslices"}, true},
			"watch Secrets everywhere":              {attrs{Verb: "watch", Resource: "secrets"}, true},
			"update Ingress status":                 {attrs{Namespace: "any", Verb: "update", Group: networking, Resource: "ingresses", Subresource: "status"}, true},
			"create core Events":                    {attrs{Namespace: "any", Verb: "create", Resource: "events"}, true},
			"patch events.k8s.io Events":            {attrs{Namespace: "any", Verb: "patch", Group: events, Resource: "events"}, true},
			"watch its ConfigMap":                   {attrs{Namespace: harness.ControllerNamespace, Verb: "watch", Resource: "configmaps"}, true},
			"create its Lease":                      {attrs{Namespace: harness.ControllerNamespace, Verb: "create", Group: coordination, Resource: "leases"}, true},
			"update its Lease":                      {attrs{Namespace: harness.ControllerNamespace, Verb: "update", Group: coordination, Resource: "leases"}, true},
			"not update an Ingress":                 {attrs{Namespace: "any", Verb: "update", Group: networking, Resource: "ingresses"}, false},
			"not delete an Ingress":                 {attrs{Namespace: "any", Verb: "delete", Group: networking, Resource: "ingresses"}, false},
			"not patch Ingress status":              {attrs{Namespace: "any", Verb: "patch", Group: networking, Resource: "ingresses", Subresource: "status"}, false},
			"not update a Service":                  {attrs{Namespace: "any", Verb: "update", Resource: "services"}, false},
			"not write EndpointSlices":              {attrs{Namespace: "any", Verb: "create", Group: discovery, Resource: "endpointslices"}, false},
			"not create Secrets":                    {attrs{Namespace: "any", Verb: "create", Resource: "secrets"}, false},
			"not delete Events":                     {attrs{Namespace: "any", Verb: "delete", Resource: "events"}, false},
			"watch header ConfigMaps everywhere":    {attrs{Verb: "watch", Resource: "configmaps"}, true},
			"not update ConfigMaps":                 {attrs{Namespace: "any", Verb: "update", Resource: "configmaps"}, false},
			"not create Leases in other namespaces": {attrs{Namespace: "any", Verb: "create", Group: coordination, Resource: "leases"}, false},
			"not delete its Lease":                  {attrs{Namespace: harness.ControllerNamespace, Verb: "delete", Group: coordination, Resource: "leases"}, false},
			"not list Pods":                         {attrs{Verb: "list", Resource: "pods"}, false},
			"not write IngressClasses":              {attrs{Verb: "create", Group: networking, Resource: "ingressclasses"}, false},
			"watch HTTPRoutes everywhere":           {attrs{Verb: "watch", Group: "gateway.networking.k8s.io", Resource: "httproutes"}, true},
			"list GatewayClasses":                   {attrs{Verb: "list", Group: "gateway.networking.k8s.io", Resource: "gatewayclasses"}, true},
			"update HTTPRoute status":               {attrs{Namespace: "any", Verb: "update", Group: "gateway.networking.k8s.io", Resource: "httproutes", Subresource: "status"}, true},
			"not write Gateways":                    {attrs{Namespace: "any", Verb: "update", Group: "gateway.networking.k8s.io", Resource: "gateways"}, false},
			"not read RBAC objects":                 {attrs{Verb: "list", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}, false},
		}
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				ok, err := harness.Allowed(t.Context(), s.Cluster.Admin, s.ArchwayAccount, tc.attrs)
				require.NoError(t, err)
				require.Equal(t, tc.want, ok)
			})
		}
	})

	t.Run("without list on Ingresses archway never becomes ready", func(t *testing.T) {
		rules := harness.WithoutVerb(s.ClusterRules, "networking.k8s.io", "ingresses", "list")
		require.NotEqual(t, s.ClusterRules, rules, "the chart's rules hold no list on ingresses to take away")
		require.NoError(t, harness.BindRules(t.Context(), s.Cluster.Admin, s.restricted, rules, s.RoleRules))
		a := s.startArchway(t, harness.ArchwayOptions{
			Class: "e2e-rbac-restricted", Kubeconfig: s.restrictedKubeconfig, Unready: true, Forbidden: true,
		})
		denied := regexp.MustCompile(`cannot list resource \\?"ingresses\\?"`)
		err := harness.Eventually(20*time.Second, 50*time.Millisecond, func() error {
			log, err := os.ReadFile(a.Proc.LogPath)
			if err != nil || !denied.Match(log) {
				return fmt.Errorf("no %q in archway's log (%v)", denied, err)
			}
			return nil
		})
		require.NoError(t, err)
		require.ErrorContains(t, a.Ready(), "503", "archway is ready without being able to list Ingresses")
	})
}
