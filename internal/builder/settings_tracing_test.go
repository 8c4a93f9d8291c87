package builder

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

func TestTracingDefaults(t *testing.T) {
	require.Equal(t, model.Tracing{CollectorPort: 4318, ServiceName: "nginx", Sampler: model.SamplerAlwaysOn, Ratio: 0.01,
		ParentBased: true, ExportDelay: 5 * time.Second}, defaultSettings().Tracing, "ingress-nginx's defaults but port and trust")
}
