package accesslog

import (
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/metrics"
)

func datagram(fields ...string) []byte {
	if len(fields) == 8 {
		// No path, canary or backend; a request of 0 bytes.
		fields = append(fields, "", "", "0", "")
	}
	if len(fields) == 12 {
		// A location that does not trace.
		fields = append(fields, "", "", "", "", "1764110665.123", "")
	}
	return []byte("<190>Nov 25 22:44:25 archway: " + strings.Join(fields, "\t"))
}

func TestParse(t *testing.T) {
	tests := map[string]struct {
		in   []byte
		want metrics.Request
		err  string
	}{
		"served by an Ingress": {
			in: datagram("shop", "web", "web-svc", "shop.example.com", "200", "GET", "0.012", "1534"),
			want: metrics.Request{Namespace: "shop", Ingress: "web", Service: "web-svc", Host: "shop.example.com",
				Status: "200", Method: "GET", Duration: 0.012, Size: 1534, ResponseTime: -1},
		},
		"wildcard host": {
			in:   datagram("apps", "wild", "w", "*.apps.example.com", "503", "POST", "0.000", "0"),
			want: metrics.Request{Namespace: "apps", Ingress: "wild", Service: "w", Host: "*.apps.example.com", Status: "503", Method: "POST", ResponseTime: -1},
		},
		"catch-all, no Ingress": {
			in:   datagram("", "", "", "_", "404", "HEAD", "0.001", "150"),
			want: metrics.Request{Host: "_", Status: "404", Method: "HEAD", Duration: 0.001, Size: 150, ResponseTime: -1},
		},
		"refused before a location: all names empty": {
			in:   datagram("", "", "", "", "400", "", "0.000", "157"),
			want: metrics.Request{Status: "400", Method: "OTHER", Size: 157, ResponseTime: -1},
		},
		"unknown method folds": {
			in:   datagram("", "", "", "_", "405", "BREWCOFFEE", "0.000", "10"),
			want: metrics.Request{Host: "_", Status: "405", Method: "OTHER", Size: 10, ResponseTime: -1},
		},
		"nine fields": {
			in:  datagram("a", "b", "c", "_", "200", "GET", "0.1", "1", "extra"),
			err: "9 fields, want 18",
		},
		"too few fields": {in: datagram("a", "b", "c"), err: "3 fields"},
		"path, canary, request length, retried backends": {
			in: datagram("shop", "web", "web", "shop.example.com", "200", "GET", "0.5", "100", "/api", "shop_web-canary_80", "321", "0.125, 0.250 : 0.125"),
			want: metrics.Request{Namespace: "shop", Ingress: "web", Service: "web", Host: "shop.example.com", Status: "200", Method: "GET",
				Path: "/api", Canary: "shop_web-canary_80", Duration: 0.5, Size: 100, RequestSize: 321, ResponseTime: 0.5},
		},
		"backend that did not answer": {
			in: datagram("shop", "web", "web", "shop.example.com", "502", "GET", "0.5", "100", "/", "", "10", "-"),
			want: metrics.Request{Namespace: "shop", Ingress: "web", Service: "web", Host: "shop.example.com", Status: "502", Method: "GET",
				Path: "/", Duration: 0.5, Size: 100, RequestSize: 10, ResponseTime: -1},
		},
		"path with an escape":   {in: datagram("a", "b", "c", "_", "200", "GET", "0.1", "1", `/a\u0022`, "", "0", ""), err: "invalid path"},
		"canary with a space":   {in: datagram("a", "b", "c", "_", "200", "GET", "0.1", "1", "/", "a b", "0", ""), err: "invalid canary"},
		"response time is NaN":  {in: datagram("a", "b", "c", "_", "200", "GET", "0.1", "1", "/", "", "0", "NaN"), err: "invalid upstream response time"},
		"no syslog header":      {in: []byte("a\tb\tc\t_\t200\tGET\t0.1\t1"), err: "no syslog header"},
		"other tag":             {in: []byte("<190>Nov 25 22:44:25 nginx: a\tb\tc\t_\t200\tGET\t0.1\t1"), err: "no syslog header"},
		"stream tag":            {in: []byte("<190>Nov 25 22:44:25 archway_stream: tcp_5432\tdata\tdb\t200\t1\t2"), err: "no syslog header"},
		"escaped quote in name": {in: datagram(`a\u0022`, "b", "c", "_", "200", "GET", "0.1", "1"), err: "invalid name"},
		"upper case name":       {in: datagram("A", "b", "c", "_", "200", "GET", "0.1", "1"), err: "invalid name"},
		"host with a path":      {in: datagram("a", "b", "c", "x/y", "200", "GET", "0.1", "1"), err: "invalid host"},
		"two-digit status":      {in: datagram("a", "b", "c", "_", "20", "GET", "0.1", "1"), err: "invalid status"},
		"status not a number":   {in: datagram("a", "b", "c", "_", "2x0", "GET", "0.1", "1"), err: "invalid status"},
		"negative time":         {in: datagram("a", "b", "c", "_", "200", "GET", "-1", "1"), err: "invalid request time"},
		"time is NaN":           {in: datagram("a", "b", "c", "_", "200", "GET", "NaN", "1"), err: "invalid request time"},
		"time is Inf":           {in: datagram("a", "b", "c", "_", "200", "GET", "Inf", "1"), err: "invalid request time"},
		"time with exponent":    {in: datagram("a", "b", "c", "_", "200", "GET", "1e999", "1"), err: "invalid request time"},
		"size not a number":     {in: datagram("a", "b", "c", "_", "200", "GET", "0.1", "-"), err: "invalid size"},
		"long name": {
			in:  datagram(strings.Repeat("a", 254), "b", "c", "_", "200", "GET", "0.1", "1"),
			err: "invalid name",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, _, traced, err := parse(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.False(t, traced)
		})
	}
}

// FuzzParse checks that whatever arrives, an accepted record only carries
// bounded label values.
func FuzzParse(f *testing.F) {
	f.Add(datagram("shop", "web", "web-svc", "shop.example.com", "200", "GET", "0.012", "1534"))
	f.Add(datagram("", "", "", "_", "404", "X", "0", "0"))
	f.Add([]byte("<1>archway: \t\t\t\t\t\t\t"))
	f.Add(tracedDatagram("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "b7ad6b7169203331", "1", "1764110665.123", "127.0.0.1:8080"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, span, traced, err := parse(in)
		if err != nil {
			return
		}
		if traced {
			require.NotEqual(t, [16]byte{}, span.TraceID)
			require.NotEqual(t, [8]byte{}, span.SpanID)
			require.LessOrEqual(t, len(span.Upstream), maxUpstream)
			require.False(t, span.End.Before(span.Start), "%v before %v", span.End, span.Start)
		}
		for _, v := range []string{r.Namespace, r.Ingress, r.Service, r.Host} {
			require.LessOrEqual(t, len(v), maxName)
			require.NotContains(t, v, "\t")
		}
		require.Len(t, r.Status, 3)
		require.Equal(t, r.Method, method(r.Method))
		require.GreaterOrEqual(t, r.Duration, 0.0)
		require.False(t, math.IsInf(r.Duration, 0), "duration %v", r.Duration)
	})
}

func TestParseStream(t *testing.T) {
	record := func(fields ...string) []byte {
		return []byte("<190>Nov 25 22:44:25 archway_stream: " + strings.Join(fields, "\t"))
	}
	got, err := parseStream(record("udp_53", "kube-system", "dns", "200", "60", "30"))
	require.NoError(t, err)
	require.Equal(t, metrics.Stream{Protocol: "UDP", Port: "53", Namespace: "kube-system", Service: "dns", Status: "200", Sent: 60, Received: 30}, got)
	for want, in := range map[string][]byte{
		"no syslog header": datagram("a", "b", "c", "_", "200", "GET", "0.1", "1"),
		"6":                record("tcp_1", "a", "b", "200", "1"),
		"invalid server":   record("sctp_1", "a", "b", "200", "1", "1"),
		`server "tcp_0"`:   record("tcp_0", "a", "b", "200", "1", "1"),
		`server "tcp_01"`:  record("tcp_01", "a", "b", "200", "1", "1"),
		"invalid name":     record("tcp_1", "A", "b", "200", "1", "1"),
		"invalid status":   record("tcp_1", "a", "b", "2000", "1", "1"),
		"bytes sent":       record("tcp_1", "a", "b", "200", "-1", "1"),
		"bytes received":   record("tcp_1", "a", "b", "200", "1", "x"),
	} {
		_, err := parseStream(in)
		require.ErrorContains(t, err, want)
	}
}

// tracedDatagram is a record of a request to shop's storefront Ingress on
// a location that traces, with these span fields.
func tracedDatagram(traceID, spanID, parent, sampled, msec, upstream string) []byte {
	return datagram("shop", "storefront", "web", "shop.example.com", "201", "POST", "0.250", "100", "/api", "", "10", "0.200",
		traceID, spanID, parent, sampled, msec, upstream)
}

func TestParseSpan(t *testing.T) {
	const trace, span, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "b7ad6b7169203331"
	r, got, traced, err := parse(tracedDatagram(trace, span, parent, "1", "1764110665.123", "10.0.0.1:80, 10.0.0.2:80"))
	require.NoError(t, err)
	require.True(t, traced)
	require.Equal(t, r, got.Request)
	require.Equal(t, "/api", got.Request.Path)
	require.Equal(t, 201, got.Status())
	require.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", hex.EncodeToString(got.TraceID[:]))
	require.Equal(t, span, hex.EncodeToString(got.SpanID[:]))
	require.Equal(t, parent, hex.EncodeToString(got.Parent[:]))
	require.True(t, got.Sampled)
	require.Equal(t, time.UnixMilli(1764110665123), got.End)
	require.Equal(t, 250*time.Millisecond, got.End.Sub(got.Start))
	require.Equal(t, "10.0.0.1:80, 10.0.0.2:80", got.Upstream)

	_, got, traced, err = parse(tracedDatagram(trace, span, "", "0", "1764110665.123", "-"))
	require.NoError(t, err)
	require.True(t, traced)
	require.Equal(t, [8]byte{}, got.Parent, "a new trace")
	require.False(t, got.Sampled)
	require.Empty(t, got.Upstream)

	for name, fields := range map[string][]string{
		"short trace id":     {trace[1:], span, "", "1", "1.0", ""},
		"upper-case span id": {trace, "00F067AA0BA902B7", "", "1", "1.0", ""},
		"zero span id":       {trace, "0000000000000000", "", "1", "1.0", ""},
		"zero trace id":      {strings.Repeat("0", 32), span, "", "1", "1.0", ""},
		"bad parent":         {trace, span, "xyz", "1", "1.0", ""},
		"bad flag":           {trace, span, "", "01", "1.0", ""},
		"bad msec":           {trace, span, "", "1", "NaN", ""},
		"upstream name":      {trace, span, "", "1", "1.0", "unix:/x"},
	} {
		_, _, _, err := parse(tracedDatagram(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]))
		require.Error(t, err, name)
	}
}
