package model

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOwnerString keeps the names of Ingresses' nginx objects (rate limit
// zones, auth caches are named by Owner.String) and tells kinds apart.
func TestOwnerString(t *testing.T) {
	ref := Ref{Namespace: "shop", Name: "web"}
	ingress := Owner{Kind: KindIngress, Ref: ref}
	route := Owner{Kind: "HTTPRoute", Ref: ref}
	require.Equal(t, "shop/web", ingress.String())
	require.Equal(t, "HTTPRoute/shop/web", route.String())
	require.NotEqual(t, ingress, route)
}
