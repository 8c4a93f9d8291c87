package render

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/archway-ingress/archway/internal/model"
)

// httpView is what the ConfigMap's HTTPSettings print in nginx.conf:
// numbers, nginx sizes and times, and words of fixed sets. A zero field of
// the model is its key's default (docs/configmap.md), written here too.
type httpView struct {
	WorkerProcesses   string
	WorkerConnections int
	WorkerOpenFiles   int // 0: no worker_rlimit_nofile
	// ErrorLogLevel is the level nginx.conf logs at: notice, or the user's
	// level when more verbose. Package nginx learns the outcome of each
	// reload from the master's notices, and passes on to archway's stderr
	// only the lines at the user's level, shownLogLevel (Output's
	// ErrorLogLevel).
	ErrorLogLevel string
	shownLogLevel string

	KeepAlive                string
	KeepAliveRequests        int
	ClientHeaderBufferSize   string
	LargeClientHeaderBuffers string
	ClientHeaderTimeout      string
	ClientBodyTimeout        string
	// UnderscoresInHeaders, IgnoreInvalidHeaders and ServerTokens are
	// "on" or "off".
	UnderscoresInHeaders, IgnoreInvalidHeaders, ServerTokens string
	LimitReqStatus, LimitConnStatus                          int

	// UpstreamKeepalive 0 writes no keepalive directives.
	UpstreamKeepalive         int
	UpstreamKeepaliveTimeout  string
	UpstreamKeepaliveRequests int
	UpstreamKeepaliveTime     string

	Gzip, Brotli *compressionView // nil: off
}

type compressionView struct {
	Level, MinLength int
	Types            string // space-separated quoted MIME types
}

// ErrorLogLevels are nginx's error_log levels, the most verbose first.
var ErrorLogLevels = []string{"debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"}

// noticeLevel is the least verbose level nginx.conf logs at.
const noticeLevel = "notice"

func newHTTPView(h model.HTTPSettings) (httpView, error) {
	v := httpView{
		WorkerProcesses:           "auto",
		WorkerConnections:         cmp.Or(h.WorkerConnections, 16384),
		WorkerOpenFiles:           h.WorkerOpenFiles,
		shownLogLevel:             cmp.Or(h.ErrorLogLevel, noticeLevel),
		KeepAlive:                 "75s",
		KeepAliveRequests:         cmp.Or(h.KeepAliveRequests, 1000),
		ClientHeaderBufferSize:    nginxSize(cmp.Or(h.ClientHeaderBufferSize, 1<<10)),
		LargeClientHeaderBuffers:  "4 8k",
		ClientHeaderTimeout:       nginxTime(cmp.Or(h.ClientHeaderTimeout, time.Minute)),
		ClientBodyTimeout:         nginxTime(cmp.Or(h.ClientBodyTimeout, time.Minute)),
		UnderscoresInHeaders:      onOff(h.UnderscoresInHeaders),
		IgnoreInvalidHeaders:      onOff(!h.KeepInvalidHeaders),
		ServerTokens:              onOff(h.ServerTokens),
		LimitReqStatus:            cmp.Or(h.LimitReqStatus, 503),
		LimitConnStatus:           cmp.Or(h.LimitConnStatus, 503),
		UpstreamKeepalive:         320,
		UpstreamKeepaliveTimeout:  nginxTime(cmp.Or(h.UpstreamKeepaliveTimeout, time.Minute)),
		UpstreamKeepaliveRequests: cmp.Or(h.UpstreamKeepaliveRequests, 10000),
		UpstreamKeepaliveTime:     nginxTime(cmp.Or(h.UpstreamKeepaliveTime, time.Hour)),
	}
	if h.WorkerProcesses > 0 {
		v.WorkerProcesses = strconv.Itoa(h.WorkerProcesses)
	}
	if h.KeepAlive != nil {
		v.KeepAlive = cmp.Or(nginxTime(*h.KeepAlive), "0")
	}
	if b := h.LargeClientHeaderBuffers; b.Number > 0 {
		v.LargeClientHeaderBuffers = strconv.Itoa(b.Number) + " " + nginxSize(b.Size)
	}
	if h.UpstreamKeepalive != nil {
		v.UpstreamKeepalive = *h.UpstreamKeepalive
	}
	shown := slices.Index(ErrorLogLevels, v.shownLogLevel)
	if shown < 0 {
		return httpView{}, fmt.Errorf("error log level %q", v.shownLogLevel)
	}
	v.ErrorLogLevel = ErrorLogLevels[min(shown, slices.Index(ErrorLogLevels, noticeLevel))]
	if v.WorkerConnections < 0 || v.WorkerOpenFiles < 0 || v.UpstreamKeepalive < 0 || v.KeepAliveRequests < 0 {
		return httpView{}, errors.New("negative worker or connection count")
	}
	var err error
	if h.Gzip {
		gzipLevel := cmp.Or(h.GzipLevel, 1)
		if v.Gzip, err = newCompressionView("gzip", &gzipLevel, 1, 9, h.GzipMinLength, 256, h.GzipTypes); err != nil {
			return httpView{}, err
		}
	}
	if h.Brotli {
		if v.Brotli, err = newCompressionView("brotli", h.BrotliLevel, 4, 11, h.BrotliMinLength, 20, h.BrotliTypes); err != nil {
			return httpView{}, err
		}
	}
	return v, nil
}

// newCompressionView is a compression filter's settings; nil level and
// min length, or no types, take the given defaults and DefaultGzipTypes.
func newCompressionView(filter string, level *int, defaultLevel, maxLevel int, minLength *int, defaultMinLength int, types []string) (*compressionView, error) {
	c := &compressionView{Level: defaultLevel, MinLength: defaultMinLength}
	if level != nil {
		c.Level = *level
	}
	if minLength != nil {
		c.MinLength = *minLength
	}
	if c.Level < 0 || c.Level > maxLevel || c.MinLength < 0 {
		return nil, fmt.Errorf("%s level %d or min length %d", filter, c.Level, c.MinLength)
	}
	if len(types) == 0 {
		types = slices.Sorted(slices.Values(strings.Fields(model.DefaultGzipTypes)))
	}
	var q quoter
	quoted := make([]string, len(types))
	for i, t := range types {
		quoted[i] = q.quote(t)
	}
	c.Types = strings.Join(quoted, " ")
	return c, q.err
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
