//go:build perf

package perf

import (
	"testing"

	"github.com/archway-ingress/archway/test/harness"
)

// env is the environment TestMain starts for the whole run.
var env *harness.Suite

func TestMain(m *testing.M) {
	harness.Main(m, "perf", harness.Options{}, func(s *harness.Suite) error {
		env = s
		return nil
	})
}
