package controller

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// TestHoldBackHTTPRoutes checks that HTTPRoutes and Gateways take part in
// isolation: a changed or new one is a suspect, and one held back is
// served at its live version, or not at all when it is new.
func TestHoldBackHTTPRoutes(t *testing.T) {
	route := func(name, path string, created int) *gatewayv1.HTTPRoute {
		return &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: name,
			CreationTimestamp: metav1.NewTime(time.Unix(int64(created), 0))},
			Spec: gatewayv1.HTTPRouteSpec{Hostnames: []gatewayv1.Hostname{gatewayv1.Hostname(path)}}}
	}
	gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "gw"}}
	live := route("shop", "a.example.com", 1)
	good := source.Snapshot{HTTPRoutes: []*gatewayv1.HTTPRoute{live}, Gateways: []*gatewayv1.Gateway{gw}}
	edited, added := route("shop", "b.example.com", 1), route("new", "c.example.com", 2)
	snap := source.Snapshot{HTTPRoutes: []*gatewayv1.HTTPRoute{edited, added}, Gateways: []*gatewayv1.Gateway{gw}}

	key := func(name string) objectKey {
		return objectKey{builder.KindHTTPRoute, model.Ref{Namespace: "web", Name: name}}
	}
	require.Equal(t, []objectKey{key("shop"), key("new")}, changedObjects(good, snap), "the unchanged Gateway is no suspect")

	held := holdBack(snap, good, map[objectKey]bool{key("shop"): true, key("new"): true})
	require.Equal(t, []*gatewayv1.HTTPRoute{live}, held.HTTPRoutes)
	require.Equal(t, live, version(good, key("shop")))
}
