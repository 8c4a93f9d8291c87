package lint

import (
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
)

// snippetFixes say what to use instead of directives that the safe snippet
// subset refuses and that archway does another way.
var snippetFixes = map[string]string{
	"client_max_body_size":  "the annotation proxy-body-size",
	"proxy_read_timeout":    "the annotation proxy-read-timeout",
	"proxy_send_timeout":    "the annotation proxy-send-timeout",
	"proxy_connect_timeout": "the annotation proxy-connect-timeout",
	"proxy_buffering":       "the annotation proxy-buffering",
	"proxy_buffer_size":     "the annotation proxy-buffer-size",
	"proxy_http_version":    "the annotation proxy-http-version",
	"proxy_redirect":        "the annotations proxy-redirect-from and proxy-redirect-to",
	"auth_request_set":      "the annotation auth-response-headers",
	"if":                    "the backend (archway has no conditionals)",
	"set":                   "the backend (archway has no variables of a tenant's own)",
}

// snippetCoverage says, for the Problem of a configuration- or
// server-snippet that archway refused, whether the safe snippet subset
// covers it, and what to change when it does not. safe is whether the
// ConfigMap linted turns the subset on.
func snippetCoverage(f *Finding, ing *networkingv1.Ingress, key, prefix string, safe bool) {
	kind := annotations.ConfigurationSnippet
	switch key {
	case prefix + "/" + annotations.ConfigurationSnippetKey:
	case prefix + "/" + annotations.ServerSnippetKey:
		kind = annotations.ServerSnippet
	default:
		return
	}
	_, err := annotations.ParseSnippet(ing.Annotations[key], kind)
	switch {
	case err == nil && !safe:
		f.Message = "the safe snippet subset covers this snippet, and archway applies it once the ConfigMap key " +
			builder.SafeSnippetsKey + " is \"true\"; until then the Ingress is served without it"
		f.Fix = "set " + builder.SafeSnippetsKey + `: "true" in archway's ConfigMap (chart value safeSnippets: true); docs/snippets.md`
	case err != nil:
		f.Message = "the safe snippet subset does not cover this snippet, so the Ingress is served without it: " + err.Error()
		f.Fix = "keep to the directives docs/snippets.md lists"
		if strings.Contains(err.Error(), `variable "$`) {
			f.Fix = "use only the variables docs/snippets.md lists, which cannot carry a line break into a header ($request_id for ingress-nginx's $req_id)"
		}
		if token, terr := strconv.QuotedPrefix(err.Error()); terr == nil {
			if use := snippetFixes[strings.Trim(token, `"`)]; use != "" {
				f.Fix = "use " + use + " instead, and keep the snippet to the directives docs/snippets.md lists"
			}
		}
	}
}
