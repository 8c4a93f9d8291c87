package controller

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	runtimemetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/nginx"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// diffingApplier does the Go side of nginx.Manager.Apply: it compares the
// files with the live ones and works out the endpoints to push.
type diffingApplier struct {
	refusesNothing
	version string
	held    render.Endpoints
	pushed  int // bytes of the last endpoints push
}

func (a *diffingApplier) Apply(_ context.Context, out render.Output) (nginx.Result, error) {
	changes := out.Endpoints.Changes(a.held, true)
	a.pushed = len(changes)
	changed := out.Version != a.version
	a.version, a.held = out.Version, out.Endpoints
	return nginx.Result{Changed: changed, EndpointsPushed: changes != nil}, nil
}

func benchController(b testing.TB, src source.Source, applier Applier) *Controller {
	renderer, err := render.New("")
	require.NoError(b, err)
	return New(src, renderer, applier, Options{
		// The caches as cmd/archway sets them.
		Build: builder.Options{IngressClass: testutil.ScaleIngressClass, ControllerClass: testutil.ScaleControllerClass,
			Certificates: builder.NewCertificateCache(), Annotations: builder.NewAnnotationCache()},
		Render:  render.Options{HTTPPort: 80, HTTPSPort: 443, RuntimeDir: "/run/archway", User: "nobody", Group: "nogroup"},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: metrics.New(prometheus.NewRegistry(), metrics.Labels{Class: testutil.ScaleIngressClass}),
	})
}

// BenchmarkControlPlane measures, at 100 to 10,000 Ingresses: Build; Render
// of its model; a whole sync (snapshot, build, render, and the applier's
// comparisons) after one Ingress was added on top of the N; the
// endpoints push after one endpoint of one backend changed; and the push
// after one host's certificate was renewed, every host having its own.
//
// Each benchmark does its work once before b.Loop times it, as the sync
// ones do their first sync: b.Loop times every iteration, and a process's
// first Build or Render also grows the heap and the renderer's buffer,
// which a running controller did once at start. At 10,000 that first
// Render took 200-340 ms, against about 50 ms for the next ones.
func BenchmarkControlPlane(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000} {
		snap := testutil.ScaleSnapshot(n)
		opts := builder.Options{IngressClass: testutil.ScaleIngressClass, ControllerClass: testutil.ScaleControllerClass}
		b.Run(fmt.Sprintf("build/ingresses=%d", n), func(b *testing.B) {
			builder.Build(snap, opts)
			b.ReportAllocs()
			for b.Loop() {
				builder.Build(snap, opts)
			}
		})
		annotated := annotatedSnapshot(snap)
		b.Run(fmt.Sprintf("build-annotated/ingresses=%d", n), func(b *testing.B) {
			builder.Build(annotated, opts)
			b.ReportAllocs()
			for b.Loop() {
				builder.Build(annotated, opts)
			}
		})
		b.Run(fmt.Sprintf("build-annotated-after-one-change/ingresses=%d", n), func(b *testing.B) {
			cached := opts
			cached.Annotations = builder.NewAnnotationCache()
			extra, svc, slice := testutil.ScaleObjects(n)
			with := annotated
			with.Ingresses = append(annotated.Ingresses[:n:n], annotate(extra))
			with.Services = append(annotated.Services[:n:n], svc)
			with.EndpointSlices = append(annotated.EndpointSlices[:n:n], slice)
			builder.Build(annotated, cached)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				builder.Build([2]source.Snapshot{with, annotated}[i%2], cached)
			}
		})
		b.Run(fmt.Sprintf("render/ingresses=%d", n), func(b *testing.B) {
			cfg, report := builder.Build(snap, opts)
			require.Len(b, report.Served, n)
			renderer, err := render.New("")
			require.NoError(b, err)
			ropts := render.Options{HTTPPort: 80, HTTPSPort: 443, RuntimeDir: "/run/archway", User: "nobody", Group: "nogroup"}
			_, err = renderer.Render(cfg, ropts)
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := renderer.Render(cfg, ropts); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("add-one/ingresses=%d", n), func(b *testing.B) {
			src := &memorySource{Notifier: source.NewNotifier(), snap: snap}
			applier := &diffingApplier{}
			c := benchController(b, src, applier)
			require.NoError(b, c.sync(b.Context()))
			extra, svc, slice := testutil.ScaleObjects(n)
			with := snap
			with.Ingresses = append(snap.Ingresses[:n:n], extra)
			with.Services = append(snap.Services[:n:n], svc)
			with.EndpointSlices = append(snap.EndpointSlices[:n:n], slice)
			// Every sync sees a change: the extra Ingress comes and goes.
			syncAlternately(b, c, src, with, snap)
		})
		b.Run(fmt.Sprintf("endpoint-change/ingresses=%d", n), func(b *testing.B) {
			src := &memorySource{Notifier: source.NewNotifier(), snap: snap}
			applier := &diffingApplier{}
			c := benchController(b, src, applier)
			require.NoError(b, c.sync(b.Context()))
			moved := snap
			moved.EndpointSlices = append([]*discoveryv1.EndpointSlice(nil), snap.EndpointSlices...)
			slice := snap.EndpointSlices[n/2].DeepCopy()
			slice.Endpoints = slice.Endpoints[1:]
			moved.EndpointSlices[n/2] = slice
			syncAlternately(b, c, src, moved, snap)
			b.ReportMetric(float64(applier.pushed), "push-bytes")
		})
		b.Run(fmt.Sprintf("renew-certificate/ingresses=%d", n), func(b *testing.B) {
			tls := withTLS(b, snap)
			src := &memorySource{Notifier: source.NewNotifier(), snap: tls}
			applier := &diffingApplier{}
			c := benchController(b, src, applier)
			require.NoError(b, c.sync(b.Context()))
			renewed := tls
			renewed.Secrets = slices.Clone(tls.Secrets)
			host := tls.Ingresses[0].Spec.TLS[0].Hosts
			renewed.Secrets[0] = testutil.NewCert(b, testutil.CertOptions{Hosts: host}).Secret(tls.Secrets[0].Namespace, tls.Secrets[0].Name)
			syncAlternately(b, c, src, renewed, tls)
			b.ReportMetric(float64(applier.pushed), "push-bytes")
		})
	}
}

// syncAlternately syncs c once per iteration, src holding one Snapshot
// and the other in turn, as the syncs of a burst follow each other. It
// reports the page faults and CPU time per sync too (faulting in the pages
// a sync touches is most of its system time), and the RSS and Go heap
// once the loop, idle, gave memory back (Options.Release).
func syncAlternately(b *testing.B, c *Controller, src *memorySource, one, other source.Snapshot) {
	b.ReportAllocs()
	before := usage(b)
	for i := 0; b.Loop(); i++ {
		src.mu.Lock()
		src.snap = [2]source.Snapshot{one, other}[i%2]
		src.mu.Unlock()
		if err := c.sync(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	after := usage(b)
	b.ReportMetric(float64(after.Minflt-before.Minflt)/float64(b.N), "faults/op")
	perSync := func(before, after syscall.Timeval) float64 {
		return float64(after.Nano()-before.Nano()) / 1e6 / float64(b.N)
	}
	b.ReportMetric(perSync(before.Utime, after.Utime), "user-ms/op")
	b.ReportMetric(perSync(before.Stime, after.Stime), "sys-ms/op")
	b.StopTimer()
	c.opts.Release()
	b.ReportMetric(float64(residentKB(b))/1024, "idle-rss-MB")
	heap := []runtimemetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	runtimemetrics.Read(heap)
	b.ReportMetric(float64(heap[0].Value.Uint64())/(1<<20), "idle-heap-MB")
}

// residentKB is the process's resident memory (VmRSS) in kB.
func residentKB(b *testing.B) int {
	status, err := os.ReadFile("/proc/self/status")
	require.NoError(b, err)
	for line := range strings.Lines(string(status)) {
		if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(kb), " kB"))
			require.NoError(b, err)
			return n
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// usage is the process's resource usage so far.
func usage(b *testing.B) syscall.Rusage {
	var u syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &u))
	return u
}

// withTLS returns snap with a TLS section on the first Ingress of each
// host, naming a Secret of the host's own.
func withTLS(b *testing.B, snap source.Snapshot) source.Snapshot {
	snap.Ingresses = slices.Clone(snap.Ingresses)
	snap.Secrets = nil
	seen := map[string]bool{}
	for i, ing := range snap.Ingresses {
		host := ing.Spec.Rules[0].Host
		if seen[host] {
			continue
		}
		seen[host] = true
		ing = ing.DeepCopy()
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: ing.Name + "-tls"}}
		snap.Ingresses[i] = ing
		cert := testutil.NewCert(b, testutil.CertOptions{Hosts: []string{host}})
		snap.Secrets = append(snap.Secrets, cert.Secret(ing.Namespace, ing.Name+"-tls"))
	}
	return snap
}

// annotatedSnapshot returns snap with annotations on every Ingress, as
// clusters moved from ingress-nginx have them: a few policy keys, one value
// of each Ingress's own, and a key of another tool.
func annotatedSnapshot(snap source.Snapshot) source.Snapshot {
	snap.Ingresses = slices.Clone(snap.Ingresses)
	for i, ing := range snap.Ingresses {
		snap.Ingresses[i] = annotate(ing)
	}
	return snap
}

func annotate(ing *networkingv1.Ingress) *networkingv1.Ingress {
	ing = ing.DeepCopy()
	const prefix = "nginx.ingress.kubernetes.io/"
	ing.Annotations = map[string]string{
		prefix + "proxy-body-size":                         "8m",
		prefix + "proxy-read-timeout":                      "120",
		prefix + "ssl-redirect":                            "false",
		prefix + "enable-cors":                             "true",
		prefix + "cors-allow-origin":                       "https://" + ing.Spec.Rules[0].Host,
		prefix + "whitelist-source-range":                  "10.0.0.0/8,192.168.0.0/16",
		prefix + "limit-rps":                               "50",
		"kubectl.kubernetes.io/last-applied-configuration": `{"kind":"Ingress","metadata":{"name":"` + ing.Name + `"}}`,
	}
	return ing
}
