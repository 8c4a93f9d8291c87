package model

import "fmt"

// Algorithm is how a backend spreads requests over its endpoints.
type Algorithm string

const (
	// RoundRobin takes the endpoints in turn (the default).
	RoundRobin Algorithm = "round_robin"
	// EWMA prefers the endpoint with the lower moving average of response
	// times, weighted by its requests in flight, of two picked at random.
	EWMA Algorithm = "ewma"
)

// Balancing is how a backend picks an endpoint for each request. It travels
// with the endpoints to nginx at runtime, so changing it causes no reload.
// The zero value is round-robin.
type Balancing struct {
	// Algorithm is RoundRobin or EWMA; empty means RoundRobin. It also
	// picks the endpoint of a request that HashBy or Cookie leave open.
	Algorithm Algorithm
	// HashBy, when set, is the name of an nginx variable without the "$"
	// ("request_uri", "http_x_user", "cookie_session"): requests with the
	// same value go to the same endpoint (consistent hashing, so most
	// values keep their endpoint when endpoints come and go). Requests with
	// an empty value use Algorithm. It matches [a-z_][a-z0-9_]*.
	HashBy string
	// Cookie, when set, pins each client to an endpoint with a cookie. It
	// takes precedence over HashBy.
	Cookie *CookieAffinity
}

// CookieAffinity is session affinity by cookie. The cookie's value is a
// hash of the endpoint's address, not the address itself. A client whose
// cookie names no current endpoint (none yet, or the pod went away) gets
// an endpoint picked by Algorithm and a new cookie. If the named endpoint
// refuses the connection, the request goes to another endpoint and the
// cookie stays: endpoints that are not ready leave the backend quickly.
type CookieAffinity struct {
	// Name of the cookie: letters, digits, "_" and "-".
	Name string
	// Path of the cookie: a path made of A-Z a-z 0-9 . _ ~ / -; empty
	// means "/".
	Path string
	// MaxAge in seconds, at most 2^31-1; zero makes a session cookie.
	MaxAge int
	// SameSite is "Strict", "Lax", "None" or empty (no attribute).
	SameSite string
	// Secure adds the Secure attribute. The cookie is always HttpOnly.
	Secure bool
}

// Validate checks b against the grammars that the nginx balancer accepts;
// package builder reports what fails, and package render refuses it.
func (b Balancing) Validate() error {
	switch b.Algorithm {
	case "", RoundRobin, EWMA:
	default:
		return fmt.Errorf("unknown balancing algorithm %q", b.Algorithm)
	}
	if b.HashBy != "" && !validVariable(b.HashBy) {
		return fmt.Errorf("hash key %q is not an nginx variable name ([a-z_][a-z0-9_]*, at most %d bytes)", b.HashBy, maxToken)
	}
	if c := b.Cookie; c != nil {
		if !validToken(c.Name, cookieNameByte) {
			return fmt.Errorf("cookie name %q must be made of A-Z a-z 0-9 _ - (at most %d bytes)", c.Name, maxToken)
		}
		if c.Path != "" && (c.Path[0] != '/' || !validToken(c.Path, pathByte)) {
			return fmt.Errorf("cookie path %q must start with / and be made of A-Z a-z 0-9 . _ ~ / - (at most %d bytes)", c.Path, maxToken)
		}
		if c.MaxAge < 0 || c.MaxAge > maxCookieAge {
			return fmt.Errorf("cookie max age %d is not between 0 and %d seconds", c.MaxAge, maxCookieAge)
		}
		switch c.SameSite {
		case "", "Strict", "Lax", "None":
		default:
			return fmt.Errorf("cookie SameSite %q is not Strict, Lax or None", c.SameSite)
		}
	}
	return nil
}

const (
	// maxToken bounds every string of a Balancing.
	maxToken = 256
	// maxCookieAge is the largest Max-Age, in seconds, that nginx's Lua
	// prints as a plain integer.
	maxCookieAge = 1<<31 - 1
)

func validVariable(s string) bool {
	return validToken(s, func(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }) &&
		(s[0] < '0' || s[0] > '9')
}

func cookieNameByte(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func pathByte(c byte) bool { return cookieNameByte(c) || c == '.' || c == '~' || c == '/' }

// validToken tells whether s is non-empty, at most maxToken bytes, and
// made only of bytes that ok accepts.
func validToken(s string, ok func(byte) bool) bool {
	if s == "" || len(s) > maxToken {
		return false
	}
	for i := range len(s) {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
