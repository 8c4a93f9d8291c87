package status

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// ElectionOptions configure an Elector.
type ElectionOptions struct {
	Client kubernetes.Interface
	// Namespace and Name name the Lease.
	Namespace string
	Name      string
	// Identity names this replica in the Lease; see Identity.
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod are client-go's leader
	// election timings; zero means 15s, 10s and 2s.
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	// Logger receives the Elector's logs (and client-go's); nil discards them.
	Logger *slog.Logger
}

// Elector competes for a Lease until its context ends, and releases the
// Lease then so that another replica takes over at once.
type Elector struct {
	elector *leaderelection.LeaderElector
	logger  *slog.Logger

	mu       sync.Mutex // orders leader changes and their callback
	leader   bool
	onChange func(leader bool)
}

// NewElector validates opts and returns an Elector; onChange is called on
// every change of leadership and must return quickly.
func NewElector(opts ElectionOptions, onChange func(leader bool)) (*Elector, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Elector{logger: opts.Logger, onChange: onChange}
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: opts.Namespace, Name: opts.Name},
			Client:     opts.Client.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: opts.Identity},
		},
		LeaseDuration:   cmp.Or(opts.LeaseDuration, 15*time.Second),
		RenewDeadline:   cmp.Or(opts.RenewDeadline, 10*time.Second),
		RetryPeriod:     cmp.Or(opts.RetryPeriod, 2*time.Second),
		ReleaseOnCancel: true,
		Name:            opts.Namespace + "/" + opts.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			// Leadership ends as soon as client-go's context for it ends
			// (on shutdown, while the Lease is being released), and at the
			// latest before client-go's Run returns.
			OnStartedLeading: func(leading context.Context) {
				e.started(leading)
				<-leading.Done()
				e.stopped()
			},
			OnStoppedLeading: e.stopped,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("leader election for Lease %s/%s: %w", opts.Namespace, opts.Name, err)
	}
	e.elector = elector
	return e, nil
}

// started begins leadership unless its context already ended (then stopped
// has run or is about to).
func (e *Elector) started(leading context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if leading.Err() == nil {
		e.change(true)
	}
}

func (e *Elector) stopped() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.change(false)
}

// change records leadership and tells onChange; e.mu is held.
func (e *Elector) change(leader bool) {
	if e.leader == leader {
		return
	}
	e.leader = leader
	e.logger.Info("leadership changed", "leader", leader)
	e.onChange(leader)
}

// IsLeader reports whether this replica holds the Lease.
func (e *Elector) IsLeader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader
}

// Run competes for the Lease until ctx ends; a replica that loses the Lease
// competes again. It returns after releasing a Lease it held.
func (e *Elector) Run(ctx context.Context) {
	ctx = klog.NewContext(ctx, logr.FromSlogHandler(e.logger.Handler()))
	for ctx.Err() == nil {
		e.elector.Run(ctx)
	}
}

// Identity names this replica in a Lease: the pod name when known (POD_NAME),
// else the host name with a random suffix, so that two processes on one
// host differ.
func Identity(podName string) (string, error) {
	if podName != "" {
		return podName, nil
	}
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("leader election identity: %w", err)
	}
	return host + "_" + strings.ToLower(rand.Text()[:8]), nil
}
