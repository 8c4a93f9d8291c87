package builder

import (
	"fmt"
	"strings"
	"unicode/utf8"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// parsePath validates one Ingress path and returns it in the model's form.
// A missing pathType is ImplementationSpecific, which behaves as Prefix
// (with "" meaning "/"), or is a regex when regex is set (use-regex);
// Prefix drops a trailing "/", so "/foo/" and "/foo" are the same route.
// The rejection's field is "path" or "pathType".
func parsePath(pathType *networkingv1.PathType, path string, regex bool) (string, model.Match, *rejection) {
	kind := networkingv1.PathTypeImplementationSpecific
	if pathType != nil {
		kind = *pathType
	}
	match := model.MatchPrefix
	switch kind {
	case networkingv1.PathTypeExact:
		match = model.MatchExact
	case networkingv1.PathTypePrefix:
	case networkingv1.PathTypeImplementationSpecific:
		if path == "" {
			path = "/"
		}
		if regex {
			if err := grammar.CheckRegex(path); err != nil {
				return "", "", &rejection{field: "path", reason: reason.InvalidPath, message: err.Error()}
			}
			return path, model.MatchRegex, nil
		}
	default:
		return "", "", &rejection{field: "pathType", reason: reason.InvalidPath,
			message: fmt.Sprintf("unknown pathType %q", kind)}
	}
	if err := checkPath(path); err != nil {
		return "", "", &rejection{field: "path", reason: reason.InvalidPath, message: err.Error()}
	}
	if match == model.MatchPrefix && len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	if model.Internal(path) {
		return "", "", &rejection{field: "path", reason: reason.InvalidPath,
			message: fmt.Sprintf("path %q is reserved: %s and the paths under it are archway's own locations", path, model.InternalPath)}
	}
	return path, match, nil
}

// checkPath accepts an absolute path of the characters A-Z a-z 0-9 . _ ~ / -
// with no empty, "." or ".." segment. The set is small on purpose: such a
// path means the same thing to every client, needs no escaping in nginx.conf
// and cannot smuggle a different route past nginx's normalisation.
func checkPath(path string) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("path %q must begin with /", path)
	}
	for _, r := range path {
		if r >= utf8.RuneSelf || !pathByte(byte(r)) {
			return fmt.Errorf("path %q: character %q is not allowed (only A-Z a-z 0-9 . _ ~ / -)", path, r)
		}
	}
	for _, segment := range []string{"//", "/./", "/../"} {
		if strings.Contains(path, segment) {
			return fmt.Errorf("path %q must not contain %q", path, segment)
		}
	}
	if strings.HasSuffix(path, "/.") || strings.HasSuffix(path, "/..") {
		return fmt.Errorf("path %q must not end in a . or .. segment", path)
	}
	return nil
}

func pathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("._~/-", c) >= 0
}
