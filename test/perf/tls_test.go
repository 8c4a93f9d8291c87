//go:build perf

package perf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/test/harness"
)

// renewals is how many certificate renewals TestPerfTLS times under load,
// on the hosts of renewedApps apps in turn.
const (
	renewals    = 1_000
	renewedApps = 10
)

// TestPerfTLS measures per-host certificates at each size in
// ARCHWAY_PERF_TLS_SIZES (default 10,000): the bare reload and nginx's
// memory with N Ingresses, and again once each has a TLS Secret of its
// own, in the same run; then renewals of certificates under HTTPS load:
// reloads, failed requests (each a new handshake) and the time from a
// Secret's update to the first handshake that presents the new
// certificate.
func TestPerfTLS(t *testing.T) {
	s := env
	sizes := envInts(t, "ARCHWAY_PERF_TLS_SIZES", []int{10_000})
	out := newResults()
	backend := s.StartBackend(t, "a")
	client := fastClient(t, s)
	for _, n := range sizes {
		t.Run(fmt.Sprintf("ingresses=%d", n), func(t *testing.T) {
			p := &perfRun{t: t, s: s, n: max(n, renewedApps), client: client, out: out, namespace: fmt.Sprintf("perf-tls-%d", n)}
			require.NoError(t, harness.CreateNamespace(t.Context(), client, p.namespace))
			s.CreateIngressClass(t, p.namespace, harness.ControllerClass)
			createApps(t, client, p.namespace, p.namespace, "tls", 0, p.n, backend)
			p.a = s.StartArchway(t, harness.ArchwayOptions{Class: p.namespace, Unready: true,
				Args: []string{"--watch-namespace=" + p.namespace}})
			require.NoError(t, harness.Eventually(10*time.Minute, 10*time.Millisecond, p.a.Ready), "archway never became ready")
			require.NoError(t, p.serves(host(p.n-1), 5*time.Minute))
			p.idle()
			plain := bareNginx(t, p.a, s.NginxBin)
			_, plainPSS, _ := memory(t, p.a)
			plainConf, err := os.ReadFile(filepath.Join(p.a.RuntimeDir, "nginx.conf"))
			require.NoError(t, err)

			certs := giveCertificates(t, client, p.namespace, p.n)
			require.NoError(t, harness.Eventually(10*time.Minute, 10*time.Millisecond, p.presents(host(p.n-1), certs[p.n-1])))
			p.idle()
			withTLS := bareNginx(t, p.a, s.NginxBin)
			_, tlsPSS, _ := memory(t, p.a)
			plainAgain, withTLSAgain := alternateReloads(t, p.a, plainConf)
			p.add("per-host TLS: bare reload without / with a TLS Secret per Ingress", reloadRatio(plain, withTLS))
			p.add("per-host TLS: bare reload without / with, the two configs alternately", reloadRatio(plainAgain, withTLSAgain))
			p.add("per-host TLS: nginx memory (summed PSS) without / with a TLS Secret per Ingress",
				fmt.Sprintf("%s / %s (%.2f×)", megabytes(plainPSS), megabytes(tlsPSS), float64(tlsPSS)/float64(plainPSS)))
			p.renewUnderLoad(certs)
		})
	}
}

// reloadRatio shows the reloads of two configs and how the second compares.
func reloadRatio(without, with nginxTimes) string {
	return fmt.Sprintf("%s / %s (%.2f×); its CPU time %s / %s (%.2f×)",
		seconds(without.reload), seconds(with.reload), with.reload.Seconds()/without.reload.Seconds(),
		seconds(without.reloadCPU), seconds(with.reloadCPU), with.reloadCPU.Seconds()/without.reloadCPU.Seconds())
}

// giveCertificates creates a TLS Secret for each of the n apps, with a
// certificate of its host, and adds it to the app's Ingress; it returns
// the certificates.
func giveCertificates(t *testing.T, client kubernetes.Interface, namespace string, n int) []testutil.Cert {
	certs := make([]testutil.Cert, n)
	work := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range creators {
		wg.Go(func() {
			for i := range work {
				certs[i] = testutil.NewCert(t, testutil.CertOptions{Hosts: []string{host(i)}})
				if _, err := client.CoreV1().Secrets(namespace).Create(t.Context(), certs[i].Secret("", name(i)), metav1.CreateOptions{}); err != nil {
					errs <- fmt.Errorf("create Secret %d: %w", i, err)
					continue
				}
				harness.UpdateIngressWith(t, client, namespace, name(i), func(ing *networkingv1.Ingress) {
					ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host(i)}, SecretName: name(i)}}
				})
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	return certs
}

// renewUnderLoad renews the certificates of the first renewedApps apps,
// one after the other, renewals times, under HTTPS load on those hosts.
func (p *perfRun) renewUnderLoad(certs []testutil.Cert) {
	var took []time.Duration
	reloads, load := p.underHTTPSLoad(loadHosts(0, renewedApps), func() {
		secrets := p.client.CoreV1().Secrets(p.namespace)
		for k := range renewals {
			i := k % renewedApps
			certs[i] = testutil.NewCert(p.t, testutil.CertOptions{Hosts: []string{host(i)}})
			updated := time.Now()
			_, err := secrets.Update(p.t.Context(), certs[i].Secret("", name(i)), metav1.UpdateOptions{})
			require.NoError(p.t, err)
			require.NoError(p.t, harness.Eventually(time.Minute, time.Millisecond, p.presents(host(i), certs[i])))
			took = append(took, time.Since(updated))
		}
	})
	p.add("1,000 certificate renewals under HTTPS load: reloads", strconv.Itoa(reloads))
	p.add("1,000 certificate renewals: failed HTTPS requests (a handshake each)", load.String())
	p.add("1,000 certificate renewals: Secret update to new certificate served, p50 / p99",
		seconds(percentile(took, 50))+" / "+seconds(percentile(took, 99)))
}

// underHTTPSLoad runs change while loadConns clients open an HTTPS
// connection per request to hosts in turn, and returns the reloads and
// what the clients saw.
func (p *perfRun) underHTTPSLoad(hosts []string, change func()) (reloads int, seen *load) {
	p.settled()
	before := p.reloads()
	ctx, cancel := context.WithCancel(p.t.Context())
	seen = &load{}
	var wg sync.WaitGroup
	for c := range loadConns {
		wg.Go(func() {
			for k := c; ctx.Err() == nil; k++ {
				host := hosts[k%len(hosts)]
				resp, err := p.httpsClient(host).Get("https://" + host + "/")
				if ctx.Err() != nil {
					return
				}
				seen.requests.Add(1)
				switch {
				case err != nil:
					seen.fail(err)
				case resp.StatusCode != http.StatusOK:
					seen.fail(errors.New(resp.Status))
				}
				if err == nil {
					resp.Body.Close()
				}
				time.Sleep(loadPause)
			}
		})
	}
	time.Sleep(time.Second) // the load runs before the changes start
	change()
	time.Sleep(time.Second)
	cancel()
	wg.Wait()
	return p.reloads() - before, seen
}

// httpsClient opens a connection per request to archway's HTTPS port,
// with SNI host, and accepts any certificate.
func (p *perfRun) httpsClient(host string) *http.Client {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.a.HTTPSPort))
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{ServerName: host, InsecureSkipVerify: true},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// presents returns nil once a handshake with SNI host presents cert.
func (p *perfRun) presents(host string, cert testutil.Cert) func() error {
	return func() error {
		conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.a.HTTPSPort)),
			&tls.Config{ServerName: host, InsecureSkipVerify: true})
		if err != nil {
			return err
		}
		defer conn.Close()
		if leaf := conn.ConnectionState().PeerCertificates[0]; !leaf.Equal(cert.Leaf) {
			return fmt.Errorf("%s presented %v", host, subject(leaf))
		}
		return nil
	}
}

func subject(c *x509.Certificate) string { return c.Subject.String() + " " + c.SerialNumber.String() }
