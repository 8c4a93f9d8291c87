package grammar

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// PathChars are the bytes of a URL path besides letters and digits that
// every path value may hold.
const PathChars = "-._~/"

// URLChars are the bytes besides letters and digits that a URL value may
// hold: unreserved characters, "%" escapes and the sub-delimiters nginx
// treats as plain text inside a quoted string. Never ';', '"', '\”,
// '\\', '$', '#', '{', '}' or spaces.
const URLChars = "-._~/%!*()+,=:@&?[]"

// URLPath accepts an absolute path of letters, digits and "-._~/", with no
// "//", "." or ".." segment, like an Ingress path.
func URLPath(s string) (string, error) {
	if !strings.HasPrefix(s, "/") {
		return "", errors.New("must begin with /")
	}
	if err := OnlyChars(s, PathChars, 1024); err != nil {
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

// AbsoluteURL accepts an http or https URL to a DNS name or IP address,
// with no user, fragment, variable or byte outside URLChars.
func AbsoluteURL(s string) (string, error) {
	if err := OnlyChars(s, URLChars, 2048); err != nil {
		return "", err
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("want an http:// or https:// URL")
	case u.User != nil || u.Opaque != "":
		return "", errors.New("must not hold a user or password")
	}
	if _, err := HostPort(u.Host); err != nil {
		return "", fmt.Errorf("host %q: %w", u.Host, err)
	}
	// nginx reads "http://unix:..." as the path of a unix socket, not as
	// a host: a tenant could reach any socket nginx's workers can open.
	if u.Hostname() == "unix" {
		return "", errors.New(`host "unix" is refused: nginx would take the rest of the URL as a unix socket path`)
	}
	return s, nil
}
