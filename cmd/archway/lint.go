package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/archway-ingress/archway/internal/lint"
	"github.com/archway-ingress/archway/internal/source"
)

// lintOnce prints what archway would do differently from ingress-nginx
// with the Ingresses and ConfigMap of files (stdin for "-"), or else of
// the cluster or --manifests folder, and fails when any finding is an
// error.
func lintOnce(ctx context.Context, cfg config, files []string, output string, logger *slog.Logger, stdin io.Reader, stdout io.Writer) error {
	var snap source.Snapshot
	var err error
	if len(files) > 0 {
		snap, err = lint.Read(files, stdin)
	} else {
		snap, err = snapshotOnce(ctx, cfg, logger)
	}
	if err != nil {
		return err
	}
	opts := lint.Options{Build: cfg.build, Partial: len(files) > 0}
	if len(files) > 0 {
		guessStreamConfigMaps(&opts.Build, snap)
	}
	opts.Build.Now = time.Now() // report expired certificates
	result := lint.Lint(snap, opts)
	if output == "json" {
		err = lint.WriteJSON(stdout, result)
	} else {
		err = lint.WriteText(stdout, result)
	}
	if err != nil {
		return err
	}
	if result.Errors > 0 {
		return fmt.Errorf("lint: %d errors (archway will not serve those objects as written)", result.Errors)
	}
	return nil
}

// snapshotOnce reads the cluster or the --manifests folder once, as the
// controller's source does.
func snapshotOnce(ctx context.Context, cfg config, logger *slog.Logger) (source.Snapshot, error) {
	src, _, err := newSource(cfg, logger)
	if err != nil {
		return source.Snapshot{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the source's watchers
	if err := src.Start(ctx); err != nil {
		return source.Snapshot{}, err
	}
	return src.Snapshot()
}

// lintArgs checks lint's arguments: files or a source flag, not both, and
// an output format it knows.
func lintArgs(cfg config, files []string, output string) error {
	if output != "text" && output != "json" {
		return fmt.Errorf("-o must be text or json, not %q", output)
	}
	if len(files) > 0 && (cfg.manifests != "" || cfg.kubeconfig != "") {
		return errors.New("lint reads files or --manifests or --kubeconfig, not both")
	}
	return nil
}
