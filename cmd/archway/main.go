// Command archway is a Kubernetes Ingress controller that drives nginx.
//
//	archway [flags]          run the controller
//	archway render [flags]   print the nginx.conf it would apply, and what it rejected
//	archway lint [FILES|DIRS|-] [flags]   what archway does differently from ingress-nginx (lint.go)
//	archway version          print the version
//	archway help             print the commands and flags (usage.go)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/archway-ingress/archway/internal/builder"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// gcPercent is archway's GOGC unless the environment sets one. The heap
// is mostly informer caches and the live config; the garbage of a sync
// would let the default (100) double it. A collection more per sync costs
// milliseconds against nginx's seconds of reload.
const gcPercent = 50

// hangups receives SIGHUP, which a running archway answers by resyncing
// nginx (resyncOnHangup) instead of dying undrained. main registers it
// before anything starts.
var hangups = make(chan os.Signal, 1)

func main() {
	signal.Notify(hangups, syscall.SIGHUP)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "archway:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	command := "controller"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if !isCommand(args[0]) {
			usage(stderr)
			return fmt.Errorf("unknown command %q", args[0])
		}
		command, args = args[0], args[1:]
	}
	switch command {
	case "version":
		_, err := fmt.Fprintln(stdout, "archway", version)
		return err
	case "help":
		usage(stdout)
		return nil
	}
	var cfg config
	fs := newFlagSet("archway "+command, &cfg)
	output := "text"
	if command == "lint" {
		fs.StringVarP(&output, "output", "o", output, "lint's output: text or json.")
	}
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(stdout) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil // asked for: printed, and not a failure
		}
		return fmt.Errorf("%w (archway --help lists the commands and flags)", err)
	}
	if fs.NArg() > 0 && command != "lint" {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	if command == "lint" {
		if err := lintArgs(cfg, fs.Args(), output); err != nil {
			return err
		}
	}
	logger, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	// Generated once per process: a new one on every sync would reload
	// nginx every time.
	if cfg.build.FallbackCertificate, err = selfSignedCertificate(time.Now()); err != nil {
		return err
	}
	cfg.build.Certificates = builder.NewCertificateCache()
	cfg.build.Annotations = builder.NewAnnotationCache()
	switch command {
	case "render":
		return renderOnce(ctx, cfg, logger, stdout, stderr)
	case "lint":
		return lintOnce(ctx, cfg, fs.Args(), output, logger, os.Stdin, stdout)
	}
	return runController(ctx, cfg, logger, stdout, stderr)
}
