package render

import (
	"runtime"
	"sync"
)

// minParallel is the fewest items (servers) worth splitting across cores:
// below it, starting goroutines and merging costs more than it saves.
const minParallel = 256

// partsFor returns how many contiguous parts n items are made in: one
// per core for long lists, else one.
func partsFor(n int) int {
	if n < minParallel {
		return 1
	}
	return min(runtime.GOMAXPROCS(0), n)
}

// inParts runs run on the parts of n items at once, part 0 on the calling
// goroutine, each on items [lo, hi). It returns the first error in part
// order, which is the first error a single loop would have met when each
// part stops at its own first error.
func inParts(n, parts int, run func(part, lo, hi int) error) error {
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for i := 1; i < parts; i++ {
		wg.Go(func() { errs[i] = run(i, i*n/parts, (i+1)*n/parts) })
	}
	errs[0] = run(0, 0, n/parts)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
