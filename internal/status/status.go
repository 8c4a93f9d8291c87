package status

import (
	"context"
	"log/slog"
	"sync"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/source"
)

// Options configure a Publisher.
type Options struct {
	Client kubernetes.Interface
	// UpdateStatus turns the Ingress status writer on (when Publish is
	// enabled); Events are emitted either way.
	UpdateStatus bool
	Publish      Publish
	// Gateway turns on the status of the Gateway API objects, written
	// with the Ingress status (gateway.go).
	Gateway GatewayOptions
	// Election configures the Lease; its Client and Logger are filled in.
	Election ElectionOptions
	// Logger receives the Publisher's logs; nil discards them.
	Logger *slog.Logger
}

// Publisher is the cluster-facing side of one archway replica: leader
// election, and, as leader, Ingress status and Events. It is a
// controller.Observer.
type Publisher struct {
	writer      *Writer // nil when status updates are off
	events      *Events
	elector     *Elector
	broadcaster record.EventBroadcaster
	client      kubernetes.Interface
}

// New validates opts and returns a Publisher; Run starts it.
func New(opts Options) (*Publisher, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Publisher{client: opts.Client}
	switch {
	case opts.UpdateStatus && opts.Publish.Enabled(), opts.Gateway.Services != nil:
		// The Gateways' Services carry their traffic: kept without
		// publish settings, and without status writes.
		p.writer = NewWriter(WriterOptions{Client: opts.Client, Publish: opts.Publish, Gateway: opts.Gateway,
			NoStatus: !opts.UpdateStatus, Logger: opts.Logger.With("part", "status")})
	case opts.UpdateStatus:
		opts.Logger.Info("Ingress status is not written: set --publish-service or --publish-status-address")
	}
	election := opts.Election
	election.Client, election.Logger = opts.Client, opts.Logger.With("part", "leader-election")
	elector, err := NewElector(election, p.setLeader) // called only once Run runs
	if err != nil {
		return nil, err
	}
	p.elector = elector
	// record logs through the context's logger; Run stops the broadcaster.
	logged := klog.NewContext(context.Background(), logr.FromSlogHandler(opts.Logger.Handler()))
	p.broadcaster = record.NewBroadcaster(record.WithContext(logged))
	p.events = NewEvents(p.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "archway"}))
	return p, nil
}

func (p *Publisher) setLeader(leader bool) {
	if p.writer != nil {
		p.writer.SetLeader(leader)
	}
	p.events.SetLeader(leader)
}

// Synced hands over the outcome of a sync whose config went live; it never
// blocks.
func (p *Publisher) Synced(snap source.Snapshot, report builder.Report) {
	if p.writer != nil {
		p.writer.Synced(snap, report)
	}
	p.events.Synced(snap, report)
}

// IsLeader reports whether this replica holds the Lease.
func (p *Publisher) IsLeader() bool { return p.elector.IsLeader() }

// Run competes for the Lease and, while leader, writes status and Events,
// until ctx ends; then it releases the Lease and returns.
func (p *Publisher) Run(ctx context.Context) {
	defer p.broadcaster.Shutdown()
	p.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: p.client.CoreV1().Events("")})
	var wg sync.WaitGroup
	if p.writer != nil {
		wg.Go(func() { p.writer.Run(ctx) })
	}
	p.elector.Run(ctx)
	wg.Wait()
}
