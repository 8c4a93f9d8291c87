package webhook

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/ingressclass"
	"github.com/archway-ingress/archway/internal/lint"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// Path is where the webhook answers AdmissionReviews.
const Path = "/validate"

// Defaults of Options.
const (
	// DefaultMaxBodyBytes holds an Ingress at etcd's default 1.5 MiB
	// object limit twice (an update carries the old version too), with
	// room for the review around them.
	DefaultMaxBodyBytes = 4 << 20
	// DefaultTimeout is the API server's own default for a webhook call.
	DefaultTimeout = 10 * time.Second
)

// Options configure New.
type Options struct {
	// Build are the controller's builder options: its class, annotation
	// prefix and limits.
	Build builder.Options
	// IngressClass returns the IngressClass of that name, nil when there
	// is none, and an error while the classes are not known yet.
	IngressClass func(name string) (*networkingv1.IngressClass, error)
	// ConfigMap returns the controller's ConfigMap (nil: none), whose
	// settings change what it serves (safe-snippet-annotations); nil
	// judges as without one.
	ConfigMap func() (*corev1.ConfigMap, error)
	// MaxBodyBytes bounds a request's body; DefaultMaxBodyBytes when 0.
	MaxBodyBytes int64
	// Timeout bounds a request, waiting for a slot included; DefaultTimeout when 0.
	Timeout time.Duration
	// Concurrency bounds the reviews judged at once; GOMAXPROCS when 0.
	Concurrency int
	// Logger receives a line per denial; nil discards them.
	Logger *slog.Logger
}

// New returns the webhook's handler: POST Path with an AdmissionReview.
func New(opts Options) http.Handler {
	build := opts.Build
	// The controller's caches are its own: a build here would rotate
	// them (and start another generation of the annotation cache when its
	// ConfigMap differs), and it builds one Ingress, parsed once anyway.
	build.Certificates, build.Annotations = nil, nil
	h := &handler{
		build:        build,
		ingressClass: opts.IngressClass,
		configMap:    opts.ConfigMap,
		maxBody:      cmp.Or(opts.MaxBodyBytes, DefaultMaxBodyBytes),
		slots:        make(chan struct{}, cmp.Or(opts.Concurrency, runtime.GOMAXPROCS(0))),
		logger:       cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+Path, h)
	return http.TimeoutHandler(mux, cmp.Or(opts.Timeout, DefaultTimeout), "archway's webhook timed out\n")
}

type handler struct {
	build        builder.Options
	ingressClass func(string) (*networkingv1.IngressClass, error)
	configMap    func() (*corev1.ConfigMap, error)
	maxBody      int64
	slots        chan struct{}
	logger       *slog.Logger
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); media != "application/json" {
		http.Error(w, "want Content-Type application/json", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		http.Error(w, fmt.Sprintf("the body is over %d bytes", h.maxBody), http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	req, ing, err := decodeReview(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	case <-r.Context().Done():
		return // the TimeoutHandler answers 503
	}
	v, err := h.judge(ing)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	if !v.allowed {
		h.logger.Info("webhook denied an Ingress", "namespace", ing.Namespace, "name", ing.Name,
			"operation", req.Operation, "user", req.UserInfo.Username)
	}
	if err := writeReview(w, req, v); err != nil {
		h.logger.Warn("webhook answer not sent", "err", err)
	}
}

// judge decides about ing (nil: nothing to judge) what the controller
// would: errors deny, warnings are returned.
func (h *handler) judge(ing *networkingv1.Ingress) (verdict, error) {
	if ing == nil || ing.DeletionTimestamp != nil {
		return verdict{allowed: true}, nil
	}
	if mine, err := h.serves(ing); err != nil || !mine {
		return verdict{allowed: true}, err
	}
	snap := source.Snapshot{Ingresses: []*networkingv1.Ingress{ing}}
	if h.configMap != nil {
		var err error
		if snap.ConfigMap, err = h.configMap(); err != nil {
			return verdict{allowed: true}, err
		}
	}
	res := lint.Lint(snap, lint.Options{Build: h.build, Partial: true})
	var errs []string
	v := verdict{allowed: true}
	for _, f := range res.Findings {
		if !judged(f, ing) {
			continue
		}
		line := f.Field + ": " + f.Message + " (" + string(f.Reason) + ")"
		switch f.Severity {
		case lint.Error:
			if f.Fix != "" {
				line += "; fix: " + f.Fix
			}
			errs = append(errs, line)
		case lint.Warning:
			v.warnings = append(v.warnings, line)
		}
	}
	if len(errs) > 0 {
		v.allowed = false
		v.message = fmt.Sprintf("archway (class %s) would not serve this Ingress as written:\n- %s",
			h.build.IngressClass, strings.Join(errs, "\n- "))
	}
	return v, nil
}

// judged reports whether f is about ing itself and does not depend on
// another object: a canary's main Ingress may be created after it.
func judged(f lint.Finding, ing *networkingv1.Ingress) bool {
	return f.Kind == builder.KindIngress && f.Namespace == ing.Namespace && f.Name == ing.Name &&
		f.Reason != reason.CanaryWithoutMain
}

// serves reports whether the controller serves ing, as its build selects.
func (h *handler) serves(ing *networkingv1.Ingress) (bool, error) {
	sel := ingressclass.Selector{IngressClass: h.build.IngressClass, ControllerClass: h.build.ControllerClass,
		WatchWithoutClass: h.build.WatchWithoutClass}
	classes := map[string]*networkingv1.IngressClass{}
	if name := ing.Spec.IngressClassName; name != nil && *name == sel.IngressClass {
		class, err := h.ingressClass(*name)
		if err != nil {
			return false, err
		}
		if class != nil {
			classes[*name] = class
		}
	}
	return ingressclass.Matches(ing, classes, sel), nil
}
