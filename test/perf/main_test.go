//go:build perf

package perf

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/archway-ingress/archway/test/harness"
)

// env is the environment TestMain starts for the whole run.
var env *harness.Suite

func TestMain(m *testing.M) {
	code := 1
	started := time.Now()
	s, err := harness.Start(harness.Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: perf: cannot start the test environment: %v\n", err)
	} else {
		fmt.Fprintf(os.Stderr, "perf: environment ready in %s\n", time.Since(started).Round(time.Millisecond))
		env = s
		code = m.Run()
	}
	if err := s.Stop(code != 0); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: perf: tear down: %v\n", err)
		code = 1
	}
	os.Exit(code)
}
