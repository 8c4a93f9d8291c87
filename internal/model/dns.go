package model

import (
	"errors"
	"fmt"
	"strings"
)

// DNS name limits (RFC 1035), which resolvers, certificates and nginx's
// server names assume.
const (
	maxDNSLabel = 63
	maxDNSName  = 253
)

// CheckDNSName accepts a lowercase DNS name: at most 253 bytes of labels
// of 1 to 63 bytes of a-z, 0-9 and "-", neither first nor last; with
// wildcard, optionally after "*.". Package build checks rule hosts,
// server-alias names and cors-allow-origin hosts with it. Its errors
// complete "<name> is ...".
func CheckDNSName(name string, wildcard bool) error {
	grammar := errNotDNSName
	if wildcard {
		grammar = errNotWildcardDNSName
		name, _ = strings.CutPrefix(name, "*.")
	}
	if len(name) > maxDNSName {
		return fmt.Errorf("too long: a DNS name of %d bytes, at most %d are allowed", len(name), maxDNSName)
	}
	for label := range strings.SplitSeq(name, ".") {
		switch {
		case label == "" || label[0] == '-' || label[len(label)-1] == '-' || strings.ContainsFunc(label, notLabelRune):
			return grammar
		case len(label) > maxDNSLabel:
			return fmt.Errorf("too long: a DNS label of %d bytes, at most %d are allowed", len(label), maxDNSLabel)
		}
	}
	return nil
}

var (
	errNotDNSName         = errors.New("not a lowercase DNS name")
	errNotWildcardDNSName = errors.New(`not a lowercase DNS name, optionally after "*."`)
)

func notLabelRune(r rune) bool {
	return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-'
}
