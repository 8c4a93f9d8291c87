package annotations

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// TestTracingOverridesConfigMap: each annotation wins over the
// ConfigMap's default, alone.
func TestTracingOverridesConfigMap(t *testing.T) {
	yes, no := true, false
	on := model.Tracing{Enable: true, TrustIncoming: true}
	require.Equal(t, &model.Trace{TrustIncoming: true}, Tracing{}.Trace(on))
	require.Nil(t, Tracing{Enable: &no}.Trace(on))
	require.Equal(t, &model.Trace{}, Tracing{TrustIncoming: &no}.Trace(on))
	require.Nil(t, Tracing{}.Trace(model.Tracing{}))
	require.Equal(t, &model.Trace{}, Tracing{Enable: &yes}.Trace(model.Tracing{}))
	require.Equal(t, &model.Trace{TrustIncoming: true}, Tracing{Enable: &yes, TrustIncoming: &yes}.Trace(model.Tracing{}))
}
