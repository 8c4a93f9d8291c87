//go:build perf

package perf

import "fmt"

// accessLogCost measures requests per second through nginx with the
// access log on (the default: a line per request on archway's stdout,
// which the harness writes to a file) and off (the ConfigMap's
// disable-access-log), in the same run, on the same hosts.
func (p *perfRun) accessLogCost() {
	p.settled()
	on := p.requestsPerSecond()
	p.reloadWithConfigMap(map[string]string{"disable-access-log": "true"})
	p.settled()
	off := p.requestsPerSecond()
	p.add("requests per second through nginx, access log on / off", fmt.Sprintf("%.0f / %.0f", on, off))
	p.deleteConfigMap()
	p.reloads()
}
