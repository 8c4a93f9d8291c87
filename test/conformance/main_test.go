package conformance

import (
	"testing"

	"github.com/archway-ingress/archway/test/harness"
)

// env is the environment TestMain starts for the test binary.
var env *harness.Suite

func TestMain(m *testing.M) {
	harness.Main(m, "conformance", harness.Options{}, func(s *harness.Suite) error {
		env = s
		return nil
	})
}
