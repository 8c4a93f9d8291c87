//go:build race

package harness

// raceEnabled builds archway with the race detector when the tests have
// it, so that a data race fails archway's exit status.
const raceEnabled = true
