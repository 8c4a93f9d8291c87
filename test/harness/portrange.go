package harness

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
)

// FreePortRange returns the first of n consecutive ports that are free on
// every address now, for archway's --gateway-port-range. They lie below
// the kernel's ephemeral ports (32768 and up), where FreePorts' ports and
// outgoing connections come from, so they stay free while a test runs;
// the start is random, so that concurrent test binaries rarely meet.
func FreePortRange(n int) (int, error) {
	for range 50 {
		first := 20000 + rand.IntN(12000-n)
		if portsFree(first, n) {
			return first, nil
		}
	}
	return 0, errors.New("no range of free ports found")
}

func portsFree(first, n int) bool {
	for port := first; port < first+n; port++ {
		l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		if err != nil {
			return false
		}
		_ = l.Close()
	}
	return true
}
