package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/nginx"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/source"
)

// candidate is a config a sync may apply: built from snap, which is the
// Snapshot with some objects held back.
type candidate struct {
	snap   source.Snapshot
	cfg    model.Config
	report builder.Report
	out    render.Output
	// renderErr is the renderer's refusal; out is empty then.
	renderErr error
}

// candidate builds and renders the config of snap; a sync that looks for
// culprits times each of its Builds and Renders.
func (c *Controller) candidate(snap source.Snapshot, opts builder.Options) candidate {
	start := c.opts.Now()
	cfg, report := builder.Build(snap, opts)
	built := c.phaseDone(metrics.PhaseBuild, start)
	out, err := c.renderer.Render(cfg, c.opts.Render)
	c.phaseDone(metrics.PhaseRender, built)
	return candidate{snap: snap, cfg: cfg, report: report, out: out, renderErr: err}
}

// culprit is an object whose version nginx or the renderer refused. It
// stays held back until it changes.
type culprit struct {
	version any // the refused version; nil when its deletion was refused
	problem builder.Problem
}

// refusal returns why nginx or the renderer refused cand when err, the
// error of applying or checking it, says they did; else nil.
func refusal(cand candidate, err error) error {
	if cand.renderErr != nil {
		return cand.renderErr
	}
	if errors.Is(err, nginx.ErrRejected) {
		return err
	}
	return nil
}

// isolate runs after nginx or the renderer refused the config built from
// snap (cause says why). It finds the objects responsible among those
// changed since the live config, holds them back, and applies the config
// built without them: a binary search over the changed objects, admitting
// ever shorter or longer runs of them, costs about log2(n) checks per
// culprit. It returns the candidate applied, or the error when no culprit
// explains the refusal (then nothing is held back anew).
func (c *Controller) isolate(ctx context.Context, snap source.Snapshot, opts builder.Options, failed candidate, cause error) (candidate, nginx.Result, error) {
	pending := changedObjects(c.good, failed.snap)
	// try builds with pending[:n] admitted and the rest held back, and
	// checks the config; refused says why it was refused.
	try := func(n int) (cand candidate, refused, err error) {
		held := make(map[objectKey]bool, len(c.culprits)+len(pending)-n)
		for key := range c.culprits {
			held[key] = true
		}
		for _, key := range pending[n:] {
			held[key] = true
		}
		cand = c.candidate(holdBack(snap, c.good, held), opts)
		if cand.renderErr == nil {
			err = c.applier.Check(ctx, cand.out)
		}
		if refused = refusal(cand, err); refused != nil {
			err = nil
		}
		return cand, refused, err
	}
	c.opts.Logger.Warn("config refused; looking for the objects responsible among those changed since the live config",
		"changed", len(pending), "error", cause)
	base, refused, err := try(0)
	if refused != nil || err != nil {
		return failed, nginx.Result{}, fmt.Errorf("%w; and without the %d objects changed since the live config: %w",
			cause, len(pending), cmp.Or(refused, err))
	}
	startedForChecks := false
	// Admitting pending[:lo] passes; admitting pending[:hi] is refused,
	// for the reason why. checked says that a check, not only Apply,
	// refused pending[:hi]: checks cannot see every refusal (the Lua
	// side's while no nginx runs), and one they cannot see must not be
	// blamed on whichever object comes last.
	lo, hi, why, checked := 0, len(pending), cause, false
	for {
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			_, refused, err := try(mid)
			switch {
			case err != nil:
				return failed, nginx.Result{}, fmt.Errorf("%w; checking a config without some of the changed objects: %w", cause, err)
			case refused != nil:
				hi, why, checked = mid, refused, true
			default:
				lo = mid
			}
		}
		if !checked {
			_, refused, err := try(hi)
			if refused == nil && err == nil && !c.applied && !startedForChecks {
				// Before the first config is live no nginx runs to ask
				// about endpoints: start it on the config without the
				// changed objects, which passed, and search again.
				// Nothing counts as ready before the sync succeeds.
				if _, err := c.apply(ctx, base); err != nil {
					return failed, nginx.Result{}, fmt.Errorf("%w; starting nginx to check the changed objects: %w", cause, err)
				}
				lo, hi, startedForChecks = 0, len(pending), true
				continue
			}
			if refused == nil {
				return failed, nginx.Result{}, fmt.Errorf("%w; checking it again cannot tell which object is responsible: %w",
					cause, cmp.Or(err, errors.New("the checks accept it")))
			}
			why = refused
		}
		c.holdCulprit(snap, pending[hi-1], why)
		pending = slices.Delete(pending, hi-1, hi)
		cand := c.candidate(holdBack(snap, c.good, c.culprits), opts)
		result, err := c.apply(ctx, cand)
		refused := refusal(cand, err)
		if refused == nil {
			return cand, result, err
		}
		// pending[:hi-1] passed before and is unchanged.
		lo, hi, why, checked = hi-1, len(pending), refused, false
	}
}

// holdCulprit records that the version of key in snap was refused, for
// why.
func (c *Controller) holdCulprit(snap source.Snapshot, key objectKey, why error) {
	rejectedBy := reason.RejectedByNginx
	if !errors.Is(why, nginx.ErrRejected) {
		rejectedBy = reason.RejectedByRenderer
	}
	if c.culprits == nil {
		c.culprits = map[objectKey]culprit{}
	}
	c.culprits[key] = culprit{version: version(snap, key), problem: builder.Problem{
		Kind: key.Kind, Object: key.Ref, Reason: rejectedBy,
		Message: "nginx cannot take the config with this version of the object, so its previous version (or nothing, for a new object) is served until it changes: " + why.Error(),
	}}
}

// forgetChangedCulprits lets every culprit that changed since it was
// refused be tried again.
func (c *Controller) forgetChangedCulprits(snap source.Snapshot) {
	for key, cu := range c.culprits {
		if !reflect.DeepEqual(version(snap, key), cu.version) {
			c.opts.Logger.Info("held-back object changed; trying it again", "kind", key.Kind, "object", key.Ref.String())
			delete(c.culprits, key)
		}
	}
}

// culpritProblems are the problems of the objects held back.
func (c *Controller) culpritProblems() []builder.Problem {
	problems := make([]builder.Problem, 0, len(c.culprits))
	for _, cu := range c.culprits {
		problems = append(problems, cu.problem)
	}
	return problems
}
