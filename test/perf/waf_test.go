//go:build perf

package perf

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// wafProbe is a SQL injection the CRS refuses at its defaults.
const wafProbe = "/?id=1%27%20OR%20%271%27%3D%271"

// rpsTime is how long throughput is measured, and rpsConns the
// keep-alive connections that send requests back to back.
const (
	rpsTime  = 5 * time.Second
	rpsConns = 8
)

// configMap is archway's ConfigMap (--configmap) in this run, which the
// WAF, access log and tracing measurements create and delete.
func (p *perfRun) configMap() string {
	return harness.ControllerNamespace + "/" + p.configMapName()
}

func (p *perfRun) configMapName() string { return "perf-" + strconv.Itoa(p.n) }

// createConfigMap creates archway's ConfigMap with data.
func (p *perfRun) createConfigMap(data map[string]string) {
	_, err := p.client.CoreV1().ConfigMaps(harness.ControllerNamespace).Create(p.t.Context(),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: p.configMapName()}, Data: data}, metav1.CreateOptions{})
	require.NoError(p.t, err)
}

// reloadWithConfigMap creates archway's ConfigMap with data and waits for
// the reload it causes.
func (p *perfRun) reloadWithConfigMap(data map[string]string) {
	before := p.reloads()
	p.createConfigMap(data)
	require.NoError(p.t, harness.Eventually(time.Minute, 10*time.Millisecond, func() error {
		if p.reloads() <= before {
			return fmt.Errorf("no reload yet for the ConfigMap %v", data)
		}
		return nil
	}))
}

func (p *perfRun) deleteConfigMap() {
	require.NoError(p.t, p.client.CoreV1().ConfigMaps(harness.ControllerNamespace).Delete(p.t.Context(), p.configMapName(), metav1.DeleteOptions{}))
}

// waf measures the web application firewall: requests per second through
// nginx to the apps, and a bare nginx -t and reload of archway's config,
// with ModSecurity and the CRS off and then on for every Ingress (the
// ConfigMap's enable-modsecurity), and turns it off again.
func (p *perfRun) waf() {
	p.settled()
	off := p.requestsPerSecond()
	p.createConfigMap(map[string]string{"enable-modsecurity": "true", "enable-owasp-modsecurity-crs": "true", "modsecurity-mode": "On"})
	require.NoError(p.t, harness.Eventually(5*time.Minute, 10*time.Millisecond, p.refuses(host(0), wafProbe)), "the WAF never went live")
	p.idle()
	bare := bareNginx(p.t, p.a, p.s.NginxBin)
	on := p.requestsPerSecond()
	p.add("requests per second through nginx, WAF off / on (ModSecurity + CRS, paranoia 1)", fmt.Sprintf("%.0f / %.0f", off, on))
	p.add("bare nginx -t / reload with the WAF on every Ingress", seconds(bare.test)+" / "+seconds(bare.reload))

	p.deleteConfigMap()
	require.NoError(p.t, harness.Eventually(5*time.Minute, 10*time.Millisecond, p.answers(host(0), wafProbe, "")), "the WAF never went off")
	p.settled()
}

// refuses returns nil once host's path answers 403.
func (p *perfRun) refuses(host, path string) func() error {
	return func() error {
		got, err := p.a.Get(host, path)
		if err == nil && got.Status != 403 {
			err = fmt.Errorf("%s%s answered %s", host, path, got)
		}
		return err
	}
}

// requestsPerSecond sends GET / to the first hundred apps in turn, on
// rpsConns connections back to back, for rpsTime, and returns the 200s
// per second.
func (p *perfRun) requestsPerSecond() float64 {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.a.HTTPPort))
	hosts := loadHosts(0, min(p.n, 100))
	ctx, cancel := context.WithTimeout(p.t.Context(), rpsTime)
	defer cancel()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for c := range rpsConns {
		send := clientSender(addr)
		wg.Go(func() {
			for i := c; ctx.Err() == nil; i++ {
				if send(ctx, hosts[i%len(hosts)]) == nil {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(ok.Load()) / rpsTime.Seconds()
}
