package grammar

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bool accepts strconv.ParseBool's words, as ingress-nginx does for
// annotations and ConfigMap values alike: "true", "false", "1", "0", "t",
// "f" and their upper- and title-case forms.
func Bool(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errors.New(`want "true" or "false"`)
	}
	return b, nil
}

// OnOff accepts "on" or "off" in any case, nginx's flag syntax.
func OnOff(s string) (bool, error) {
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

// Size reads nginx's size syntax: a number of bytes with an optional k, m
// or g suffix (either case), at most 1024g.
func Size[T ~int64](s string) (T, error) {
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
	n, err := Number(digits, maxSize/mult)
	if err != nil {
		return 0, fmt.Errorf("want a size such as 512, 8k, 16m or 1g, at most 1024g: %w", err)
	}
	return T(n * mult), nil
}

// PositiveSize is a Size of more than 0.
func PositiveSize[T ~int64](s string) (T, error) {
	n, err := Size[T](s)
	if err == nil && n == 0 {
		err = errors.New("must be more than 0")
	}
	return n, err
}

// Number reads a decimal of at most max with no sign, space or leading
// zero.
func Number(s string, max int64) (int64, error) {
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

// IntRange returns a parser of decimals in [lo, hi].
func IntRange(lo, hi int) func(string) (int, error) {
	return func(s string) (int, error) {
		n, err := Number(s, int64(hi))
		if err != nil || int(n) < lo {
			return 0, fmt.Errorf("want a whole number from %d to %d", lo, hi)
		}
		return int(n), nil
	}
}

// durationUnits are the units a duration may carry, "ms" before "s" and
// "m" so that the longest suffix wins.
var durationUnits = []struct {
	suffix string
	unit   time.Duration
}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}

// Durations returns a parser of durations in [lo, hi]: a number of seconds
// as ingress-nginx writes them ("60"), or a number with one of the units
// ms, s, m, h or d ("1500ms", "5m"), a subset of nginx's time syntax.
func Durations(lo, hi time.Duration) func(string) (time.Duration, error) {
	return func(s string) (time.Duration, error) {
		digits, unit := s, time.Second
		for _, u := range durationUnits {
			if d, ok := strings.CutSuffix(s, u.suffix); ok {
				digits, unit = d, u.unit
				break
			}
		}
		n, err := Number(digits, int64(hi/unit))
		d := time.Duration(n) * unit
		if err != nil || d < lo {
			return 0, fmt.Errorf("want seconds (\"60\") or a number with ms, s, m, h or d, from %v to %v", lo, hi)
		}
		return d, nil
	}
}

// Seconds returns a parser of a whole number of seconds in [lo, hi], with
// no unit: for values printed into a header as seconds (HSTS max-age).
func Seconds(lo, hi time.Duration) func(string) (time.Duration, error) {
	return func(s string) (time.Duration, error) {
		n, err := Number(s, int64(hi/time.Second))
		if err != nil || time.Duration(n)*time.Second < lo {
			return 0, fmt.Errorf("want a number of seconds from %d to %d", int64(lo/time.Second), int64(hi/time.Second))
		}
		return time.Duration(n) * time.Second, nil
	}
}

// OneOf returns a parser of the given words, matched case-insensitively
// and returned as listed.
func OneOf[T ~string](words ...T) func(string) (T, error) {
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

// List splits a comma-separated value, trimming spaces around items, and
// parses each item; empty items are refused.
func List[T any](item func(string) (T, error)) func(string) ([]T, error) {
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

// OnlyChars refuses an empty value, one longer than max, and any byte
// that is not an ASCII letter or digit or in extra.
func OnlyChars(s, extra string, max int) error {
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
