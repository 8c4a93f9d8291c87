package testutil

import (
	"fmt"
	"os/exec"
)

// BuildArchway builds archway into out, with the race detector when the
// test has it: a data race then fails archway's exit status, and the
// build only links, as the test binary's packages are compiled that way
// already (make test compiles no other set of them for its tests).
func BuildArchway(out string) error {
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "github.com/archway-ingress/archway/cmd/archway")...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, msg)
	}
	return nil
}
