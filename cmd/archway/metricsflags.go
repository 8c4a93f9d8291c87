package main

import (
	"fmt"
	"math"

	"github.com/spf13/pflag"

	"github.com/archway-ingress/archway/internal/metrics"
)

// metricsConfig is the shape of the request metrics, with ingress-nginx's
// flags.
type metricsConfig struct {
	perHost bool
	metrics.RequestOptions
}

func addMetricsFlags(fs *pflag.FlagSet, c *metricsConfig) {
	fs.BoolVar(&c.perHost, "metrics-per-host", true, "Label the request metrics with the host; false drops the host label (fewer series).")
	fs.Float64SliceVar(&c.TimeBuckets, "time-buckets", metrics.DefaultTimeBuckets, "Buckets (seconds) of the request and response duration histograms.")
	fs.Float64SliceVar(&c.LengthBuckets, "length-buckets", metrics.DefaultLengthBuckets, "Buckets (bytes) of the request and response size histograms.")
	fs.Float64SliceVar(&c.SizeBuckets, "size-buckets", metrics.DefaultSizeBuckets, "Buckets (bytes) of the bytes_sent histogram.")
}

// requestOptions checks the buckets and returns the metrics' options.
func (c metricsConfig) requestOptions() (metrics.RequestOptions, error) {
	opts := c.RequestOptions
	opts.WithoutHost = !c.perHost
	for name, buckets := range map[string][]float64{"--time-buckets": opts.TimeBuckets, "--length-buckets": opts.LengthBuckets, "--size-buckets": opts.SizeBuckets} {
		if len(buckets) == 0 {
			return opts, fmt.Errorf("%s needs at least one bucket", name)
		}
		for i, b := range buckets {
			if math.IsNaN(b) || math.IsInf(b, 0) || b < 0 || i > 0 && b <= buckets[i-1] {
				return opts, fmt.Errorf("%s must be increasing numbers from 0, not %v", name, buckets)
			}
		}
	}
	return opts, nil
}
