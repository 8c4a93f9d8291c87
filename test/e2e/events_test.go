package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// TestEvents reports the rejected parts of an Ingress as Warning Events on
// it: a path whose Service is missing and a path archway refuses. Each
// problem gets one Event however many syncs see it, and one more only
// once it went away and came back.
func TestEvents(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns})

	const prefix = networkingv1.PathTypePrefix
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "broken",
		harness.Route{Host: "broken.example", Path: "/ok", PathType: prefix, Service: "app"},
		harness.Route{Host: "broken.example", Path: "/missing", PathType: prefix, Service: "nosuch"},
		// The API server takes it; archway's path grammar does not.
		harness.Route{Host: "broken.example", Path: "/bad;path", PathType: prefix, Service: "app"},
	), ns))
	a.WaitFor(t, "broken.example", "/ok", harness.Served("app"))
	a.Expect(t, "broken.example", "/missing", harness.Unavailable)
	broken := s.getIngress(t, ns, "broken")

	want := map[string]struct {
		field, mentions string
		count           int32
	}{
		"ServiceNotFound": {field: "spec.rules[0].http.paths[1]", mentions: "nosuch", count: 1},
		"InvalidPath":     {field: "spec.rules[0].http.paths[2]", mentions: "/bad;path", count: 1},
	}
	// checkEvents returns nil once the Events are exactly as wanted.
	checkEvents := func() error {
		events, err := s.ingressEvents(t.Context(), ns, "broken")
		if err != nil {
			return err
		}
		byReason := map[string][]corev1.Event{}
		for _, e := range events {
			byReason[e.Reason] = append(byReason[e.Reason], e)
		}
		if got := slices.Sorted(maps.Keys(byReason)); !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
			return fmt.Errorf("Events with reasons %v", got)
		}
		for reason, w := range want {
			if n := len(byReason[reason]); n != 1 {
				return fmt.Errorf("%d Events %s, want one (counted)", n, reason)
			}
			e := byReason[reason][0]
			switch {
			case e.Count != w.count:
				return fmt.Errorf("Event %s counted %d times, want %d", reason, e.Count, w.count)
			case e.Type != corev1.EventTypeWarning:
				return fmt.Errorf("Event %s of type %s", reason, e.Type)
			case e.InvolvedObject.UID != broken.UID:
				return fmt.Errorf("Event %s about UID %q, not the Ingress's %q", reason, e.InvolvedObject.UID, broken.UID)
			case !strings.Contains(e.Message, w.field) || !strings.Contains(e.Message, w.mentions):
				return fmt.Errorf("Event %s says %q, which does not name both %s and %q", reason, e.Message, w.field, w.mentions)
			}
		}
		return nil
	}
	require.NoError(t, harness.Eventually(20*time.Second, 50*time.Millisecond, checkEvents))

	// More syncs, over other Ingresses and over this one, see the same
	// problems.
	for i := range 3 {
		name := "touch-" + strconv.Itoa(i)
		s.CreateIngress(t, hostIngress(ns, name, ns, "app"))
		a.WaitFor(t, name+".example", "/", harness.Served("app"))
		s.UpdateIngress(t, ns, "broken", func(ing *networkingv1.Ingress) {
			metav1.SetMetaDataAnnotation(&ing.ObjectMeta, "example.com/touched", strconv.Itoa(i))
		})
	}
	s.CreateIngress(t, hostIngress(ns, "last", ns, "app"))
	a.WaitFor(t, "last.example", "/", harness.Served("app"))
	// Events reach the API server from a queue of their own.
	time.Sleep(time.Second)
	require.NoError(t, checkEvents())

	t.Run("a problem that comes back is reported again", func(t *testing.T) {
		s.CreateService(t, ns, "nosuch", true, s.StartBackend(t, "nosuch"))
		a.WaitFor(t, "broken.example", "/missing", harness.Served("nosuch"))
		require.NoError(t, s.Cluster.Admin.CoreV1().Services(ns).Delete(t.Context(), "nosuch", metav1.DeleteOptions{}))
		a.WaitFor(t, "broken.example", "/missing", harness.Unavailable)
		w := want["ServiceNotFound"]
		w.count = 2
		want["ServiceNotFound"] = w
		require.NoError(t, harness.Eventually(20*time.Second, 50*time.Millisecond, checkEvents))
	})
}
