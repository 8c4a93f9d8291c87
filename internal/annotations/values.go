package annotations

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/archway-ingress/archway/internal/model"
)

// The value grammars. Each parser accepts a small language and returns a
// typed value; none lets a byte through that could end an nginx string or
// directive (see values_fuzz_test.go).

func parseBool(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errors.New(`want "true" or "false"`)
	}
	return b, nil
}

func parseOnOff(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, errors.New(`want "on" or "off"`)
}

// maxSize bounds sizes well below int64 overflow: 1 TiB.
const maxSize = 1 << 40

// parseSize reads nginx's size syntax: a number of bytes with an optional
// k, m or g suffix (either case).
func parseSize(s string) (model.Size, error) {
	digits, mult := s, int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			digits, mult = s[:n-1], 1<<10
		case 'm', 'M':
			digits, mult = s[:n-1], 1<<20
		case 'g', 'G':
			digits, mult = s[:n-1], 1<<30
		}
	}
	n, err := number(digits, maxSize/mult)
	if err != nil {
		return 0, fmt.Errorf("want a size such as 512, 8k, 16m or 1g, at most 1024g: %w", err)
	}
	return model.Size(n * mult), nil
}

func positiveSize(s string) (model.Size, error) {
	n, err := parseSize(s)
	if err == nil && n == 0 {
		err = errors.New("must be more than 0")
	}
	return n, err
}

// number reads a decimal of at most max with no sign, space or leading zero.
func number(s string, max int64) (int64, error) {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return 0, errors.New("not a plain decimal number")
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a plain decimal number")
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > max {
		return 0, fmt.Errorf("more than %d", max)
	}
	return n, nil
}

// intRange returns a parser of decimals in [lo, hi].
func intRange(lo, hi int) func(string) (int, error) {
	return func(s string) (int, error) {
		n, err := number(s, int64(hi))
		if err != nil || int(n) < lo {
			return 0, fmt.Errorf("want a whole number from %d to %d", lo, hi)
		}
		return int(n), nil
	}
}

// durations returns a parser of durations in [lo, hi]: a number of seconds
// as ingress-nginx writes them ("60"), or a number with one of the units
// ms, s, m, h or d ("1500ms", "5m").
func durations(lo, hi time.Duration) func(string) (time.Duration, error) {
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}
	return func(s string) (time.Duration, error) {
		digits, unit := s, time.Second
		for _, u := range units {
			if d, ok := strings.CutSuffix(s, u.suffix); ok {
				digits, unit = d, u.unit
				break
			}
		}
		n, err := number(digits, int64(hi/unit))
		d := time.Duration(n) * unit
		if err != nil || d < lo {
			return 0, fmt.Errorf("want seconds (\"60\") or a number with ms, s, m, h or d, from %v to %v", lo, hi)
		}
		return d, nil
	}
}

// oneOf returns a parser of the given words, matched case-insensitively and
// returned as listed.
func oneOf[T ~string](words ...T) func(string) (T, error) {
	return func(s string) (T, error) {
		for _, w := range words {
			if strings.EqualFold(s, string(w)) {
				return w, nil
			}
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = strconv.Quote(string(w))
		}
		return "", fmt.Errorf("want one of %s", strings.Join(quoted, ", "))
	}
}

// list splits a comma-separated value, trimming spaces around items, and
// parses each item; empty items are refused.
func list[T any](item func(string) (T, error)) func(string) ([]T, error) {
	return func(s string) ([]T, error) {
		var out []T
		for part := range strings.SplitSeq(s, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				return nil, errors.New("empty item in comma-separated list")
			}
			v, err := item(part)
			if err != nil {
				return nil, fmt.Errorf("item %q: %w", part, err)
			}
			out = append(out, v)
		}
		return out, nil
	}
}

var nextUpstreamWords = []model.NextUpstream{"error", "timeout", "invalid_header", "http_500", "http_502",
	"http_503", "http_504", "http_403", "http_404", "http_429", "non_idempotent", "off"}

// parseNextUpstream reads nginx's proxy_next_upstream conditions, separated
// by spaces as in ingress-nginx; "off" stands alone.
func parseNextUpstream(s string) ([]model.NextUpstream, error) {
	word := oneOf(nextUpstreamWords...)
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, errors.New("no condition")
	}
	out := make([]model.NextUpstream, 0, len(fields))
	for _, f := range fields {
		w, err := word(f)
		if err != nil {
			return nil, fmt.Errorf("condition %q: %w", f, err)
		}
		out = append(out, w)
	}
	if len(out) > 1 && containsOff(out) {
		return nil, errors.New(`"off" cannot be combined with other conditions`)
	}
	return out, nil
}

func containsOff(c []model.NextUpstream) bool {
	for _, w := range c {
		if w == "off" {
			return true
		}
	}
	return false
}

// dnsName accepts a lowercase DNS-1123 subdomain.
func dnsName(s string) (string, error) {
	return s, model.CheckDNSName(s, false)
}

// hostPort accepts a DNS name or IP literal with an optional port, as a
// Host header value: "api.internal", "10.0.0.1:8080", "[fd00::1]:80".
func hostPort(s string) (string, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if ap.Port() == 0 || ap.Addr().Zone() != "" {
			return "", errors.New("bad port or zoned address")
		}
		return s, nil
	}
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort {
		if _, err := intRange(1, 65535)(port); err != nil {
			return "", fmt.Errorf("port: %w", err)
		}
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		return s, nil
	}
	if _, err := dnsName(host); err != nil {
		return "", errors.New("want a lowercase DNS name or IP address, optionally with :port")
	}
	return s, nil
}

// token accepts an HTTP header value made of one word: letters, digits and
// "-" (a Connection header value such as "keep-alive").
func token(s string) (string, error) {
	if err := onlyChars(s, "-", 64); err != nil {
		return "", err
	}
	return s, nil
}

// headerName accepts an HTTP header name of letters, digits, "-" and "_".
func headerName(s string) (string, error) {
	if err := onlyChars(s, "-_", 128); err != nil {
		return "", err
	}
	return s, nil
}

// exposedHeader is a headerName, or "*".
func exposedHeader(s string) (string, error) {
	if s == "*" {
		return s, nil
	}
	return headerName(s)
}

// method accepts an HTTP method name: upper-case letters.
func method(s string) (string, error) {
	if s == "" || len(s) > 32 || strings.IndexFunc(s, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return "", errors.New("want an HTTP method such as GET, in upper case")
	}
	return s, nil
}

// methodAnyCase is a method written in any case, as CORS lists often are.
func methodAnyCase(s string) (string, error) { return method(strings.ToUpper(s)) }

// onlyChars refuses an empty value, one longer than max, and any byte that
// is not an ASCII letter or digit or in extra.
func onlyChars(s, extra string, max int) error {
	if s == "" || len(s) > max {
		return fmt.Errorf("want 1 to %d characters", max)
	}
	for i := range len(s) {
		if c := s[i]; !isAlnum(c) && strings.IndexByte(extra, c) < 0 {
			return fmt.Errorf("character %q is not allowed (letters, digits and %q only)", c, extra)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// pathChars are the bytes of a URL path besides letters and digits that
// every path value may hold.
const pathChars = "-._~/"

// urlPath accepts an absolute path of letters, digits and "-._~/", with no
// "//", "." or ".." segment, like an Ingress path.
func urlPath(s string) (string, error) {
	if !strings.HasPrefix(s, "/") {
		return "", errors.New("must begin with /")
	}
	if err := onlyChars(s, pathChars, 1024); err != nil {
		return "", err
	}
	for _, seg := range []string{"//", "/./", "/../"} {
		if strings.Contains(s, seg) {
			return "", fmt.Errorf("must not contain %q", seg)
		}
	}
	if strings.HasSuffix(s, "/.") || strings.HasSuffix(s, "/..") {
		return "", errors.New("must not end in a . or .. segment")
	}
	return s, nil
}

// cidr accepts an IP address or a CIDR and returns it as a masked prefix.
func cidr(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, errors.New("want an IP address or CIDR such as 10.0.0.0/8")
	}
	return p.Masked(), nil
}

// statusCode returns a parser of HTTP status codes in [lo, hi].
func statusCode(lo, hi int) func(string) (int, error) { return intRange(lo, hi) }

// realm accepts a short human-readable text: letters, digits, spaces and
// a few punctuation marks, never a quote, backslash or "$".
func realm(s string) (string, error) {
	if err := onlyChars(s, " -_.,:/()@!+=", 128); err != nil {
		return "", err
	}
	return s, nil
}
