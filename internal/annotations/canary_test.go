package annotations

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/reason"
)

func TestCanaryCombinations(t *testing.T) {
	tests := map[string]struct {
		values  map[string]string
		invalid []string // the keys reported, in order
	}{
		"weight within the total": {
			values: map[string]string{"canary": "true", "canary-weight": "5", "canary-weight-total": "10"},
		},
		"weight above the default total": {
			values:  map[string]string{"canary": "true", "canary-weight": "101"},
			invalid: []string{"canary-weight"},
		},
		"weight above the total": {
			values:  map[string]string{"canary": "true", "canary-weight": "11", "canary-weight-total": "10"},
			invalid: []string{"canary-weight"},
		},
		"header value without header": {
			values:  map[string]string{"canary": "true", "canary-by-header-value": "beta"},
			invalid: []string{"canary-by-header-value"},
		},
		"header pattern without header": {
			values:  map[string]string{"canary": "true", "canary-by-header-pattern": "^b"},
			invalid: []string{"canary-by-header-pattern"},
		},
		"ignored on an Ingress that is no canary": {
			values: map[string]string{"canary-weight": "101", "canary-by-header-value": "beta"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range tc.values {
				m[prefix+"/"+k] = v
			}
			_, problems := Parse(m, prefix)
			var keys []string
			for _, p := range problems {
				require.Equal(t, reason.InvalidAnnotation, p.Reason)
				require.Equal(t, Blocked, p.Effect)
				keys = append(keys, p.Key[len(prefix)+1:])
			}
			require.Equal(t, tc.invalid, keys)
		})
	}
}
