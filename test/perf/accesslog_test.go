//go:build perf

package perf

import (
	"fmt"
	"strconv"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// accessLogCost measures requests per second through nginx with the
// access log on (the default: a line per request on archway's stdout,
// which the harness writes to a file) and off (the ConfigMap's
// disable-access-log), in the same run, on the same hosts.
func (p *perfRun) accessLogCost() {
	p.settled()
	on := p.requestsPerSecond()
	name := "perf-" + strconv.Itoa(p.n) // wafConfigMap's
	cms := p.client.CoreV1().ConfigMaps(harness.ControllerNamespace)
	before := p.reloads()
	_, err := cms.Create(p.t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name},
		Data: map[string]string{"disable-access-log": "true"}}, metav1.CreateOptions{})
	require.NoError(p.t, err)
	require.NoError(p.t, harness.Eventually(time.Minute, 10*time.Millisecond, func() error {
		if p.reloads() <= before {
			return fmt.Errorf("the access log is still on")
		}
		return nil
	}))
	p.settled()
	off := p.requestsPerSecond()
	p.add("requests per second through nginx, access log on / off", fmt.Sprintf("%.0f / %.0f", on, off))
	require.NoError(p.t, cms.Delete(p.t.Context(), name, metav1.DeleteOptions{}))
	p.reloads()
}
