//go:build perf

package perf

import (
	"context"
	"fmt"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayController is the GatewayClass controller name of this size's
// archway.
func (p *perfRun) gatewayController() string { return "archway.dev/" + p.namespace }

// createGateway installs the Gateway API's CRDs (once per run) and creates
// a GatewayClass of archway's controller name, named as the namespace,
// and its Gateway "gw" with an HTTP listener, which the HTTPRoutes of
// createRoutesOneByOne attach to.
func (p *perfRun) createGateway() {
	gw := p.s.GatewayAPI(p.t).GatewayV1()
	ctx := p.t.Context()
	_, err := gw.GatewayClasses().Create(ctx, &gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: p.namespace},
		Spec:       gatewayv1.GatewayClassSpec{ControllerName: gatewayv1.GatewayController(p.gatewayController())},
	}, metav1.CreateOptions{})
	require.NoError(p.t, err)
	p.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(p.t, gw.GatewayClasses().Delete(ctx, p.namespace, metav1.DeleteOptions{}))
	})
	_, err = gw.Gateways(p.namespace).Create(ctx, &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: "gw"},
		Spec: gatewayv1.GatewaySpec{GatewayClassName: gatewayv1.ObjectName(p.namespace),
			Listeners: []gatewayv1.Listener{{Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80}}},
	}, metav1.CreateOptions{})
	require.NoError(p.t, err)
}

// createRoutesOneByOne creates samples HTTPRoutes on the N Ingresses and
// the Ingresses of createOneByOne, as it creates those: one at a time,
// each of its own host with one PathPrefix "/" rule to app-0, each once
// the previous one serves and nginx settled, and times each to its first
// 200.
func (p *perfRun) createRoutesOneByOne(samples int) {
	routes := p.s.GatewayAPI(p.t).GatewayV1().HTTPRoutes(p.namespace)
	p.timeCreates("HTTPRoute", samples, func(i int) (string, time.Time) {
		name := fmt.Sprintf("route-%d", i)
		host := name + ".perf.example"
		start := time.Now()
		_, err := routes.Create(p.t.Context(), &gatewayv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: gatewayv1.HTTPRouteSpec{
				CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gw"}}},
				Hostnames:       []gatewayv1.Hostname{gatewayv1.Hostname(host)},
				Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
					BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app-0", Port: ptr.To(gatewayv1.PortNumber(80))},
				}}}}},
			},
		}, metav1.CreateOptions{})
		require.NoError(p.t, err)
		return host, start
	})
}
