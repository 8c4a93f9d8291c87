package builder

import (
	"fmt"
	"strings"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// SafeSnippetsKey is the ConfigMap key that turns on the safe snippet
// subset (docs/snippets.md).
const SafeSnippetsKey = "safe-snippet-annotations"

// ingressSnippets are the parsed snippets of one Ingress; nil: none.
type ingressSnippets struct {
	location, server *model.Snippet
}

// snippets takes the configuration-snippet and server-snippet out of the
// annotation problems when the safe subset is on, and parses them; each
// one that does not parse is reported whole, with the token refused. When
// the subset is off their problems say how to turn it on.
func (b *build) snippets(annotationValues map[string]string, problems []annotations.Problem) ([]annotations.Problem, ingressSnippets) {
	var snips ingressSnippets
	kept := problems[:0:0]
	for _, p := range problems {
		kind, target := annotations.ConfigurationSnippet, &snips.location
		switch p.Key {
		case b.prefix + "/" + annotations.ConfigurationSnippetKey:
		case b.prefix + "/" + annotations.ServerSnippetKey:
			kind, target = annotations.ServerSnippet, &snips.server
		default:
			kept = append(kept, p)
			continue
		}
		if !b.safeSnippets {
			p.Message += fmt.Sprintf(`; with the ConfigMap key %s: "true", archway applies the snippets that its safe subset covers (docs/snippets.md)`, SafeSnippetsKey)
			kept = append(kept, p)
			continue
		}
		snip, err := annotations.ParseSnippet(annotationValues[p.Key], kind)
		if err != nil {
			p.Message = "the snippet is not applied, the Ingress is served without it: " + err.Error()
			kept = append(kept, p)
			continue
		}
		*target = snip
	}
	return kept, snips
}

// serverSnippets are the server-snippets of the Ingresses, oldest first,
// one claim per host the Ingress routes.
type serverSnippets []serverSnippet

type serverSnippet struct {
	host    string
	ingress model.Ref
	snippet *model.Snippet
	key     string // the annotation, for problems
}

func (c *serverSnippets) claim(host string, ing model.Ref, snip *model.Snippet, prefix string) {
	if snip != nil {
		*c = append(*c, serverSnippet{host: host, ingress: ing, snippet: snip, key: prefix + "/" + annotations.ServerSnippetKey})
	}
}

// apply gives each server the server-snippet of the oldest Ingress of its
// owner namespace (see owners.go) whose snippet fits the host: its
// locations shadow no path of another namespace and duplicate no location
// of the host, and its server-level directives, which apply to every path
// of the host, only go where no other namespace routes a path. A snippet
// that does not fit is reported and not applied, whole.
func (c serverSnippets) apply(servers []model.Server, owners hostOwners, p *problems) {
	at := make(map[string]int, len(servers))
	for i, s := range servers {
		at[s.Host] = i
	}
	for _, s := range c {
		i, ok := at[s.host]
		if !ok {
			continue // none of the host's paths were served
		}
		srv := &servers[i]
		refuse := func(why reason.Reason, format string, args ...any) {
			p.addAnnotation(s.ingress, s.key, why, fmt.Sprintf("host %q: ", s.host)+fmt.Sprintf(format, args...)+"; the server-snippet is not applied to it")
		}
		switch {
		case owners[s.host] != s.ingress.Namespace:
			p.addAnnotation(s.ingress, s.key, reason.HostNotOwned, notOwned(s.host, "a server-snippet")+"; ignored")
		case srv.Snippet != nil:
			refuse(reason.SnippetRefused, "an older Ingress of the namespace already gives the host its server-snippet")
		default:
			if why, msg := fits(srv, s); msg != "" {
				refuse(why, "%s", msg)
				continue
			}
			srv.Snippet = s.snippet
		}
	}
}

// fits says why a server-snippet cannot go into srv, or "" when it can.
func fits(srv *model.Server, s serverSnippet) (reason.Reason, string) {
	shared := false
	for _, r := range srv.Locations {
		shared = shared || r.Owner.Namespace != s.ingress.Namespace
	}
	if shared && len(s.snippet.Directives) > 0 {
		return reason.PathConflict, fmt.Sprintf("its %s applies to every path of the host, and another namespace routes paths on it; "+
			"put the directives in a configuration-snippet", s.snippet.Directives[0].Kind)
	}
	for _, l := range s.snippet.Locations {
		for _, r := range srv.Locations {
			if duplicates(l, r) {
				return reason.PathConflict, fmt.Sprintf("location %s%q duplicates the location of path %q", l.Modifier(), l.Path, r.Path)
			}
			if r.Owner.Namespace != s.ingress.Namespace && shadows(l, r) {
				return reason.PathConflict, fmt.Sprintf("location %s%q would take requests of path %q, which another namespace routes on the host", l.Modifier(), l.Path, r.Path)
			}
		}
	}
	return "", ""
}

// duplicates reports whether snippet location l is one of the locations
// package render writes for the Ingress path r: "= P" for an Exact path
// (and "= /p" for an Exact "/p/"), "= P" and "P/" for a Prefix path.
func duplicates(l model.SnippetLocation, r model.Location) bool {
	switch {
	case l.Regex() || r.Match == model.MatchRegex:
		return false
	case l.Match == model.SnippetExact:
		return l.Path == r.Path || r.Match == model.MatchExact && l.Path+"/" == r.Path
	default:
		return r.Match == model.MatchPrefix && l.Path == r.Path+"/"
	}
}

// shadows reports whether nginx would give snippet location l a request
// that path r matches: r is "/", whose requests every longer location
// takes, or l's path is inside Prefix r and so a longer prefix. Exact
// paths and Prefix paths' own locations ("^~" once the server has
// regexes) beat every regex.
func shadows(l model.SnippetLocation, r model.Location) bool {
	switch {
	case r.Match == model.MatchPrefix && r.Path == "/":
		return true
	case l.Regex() || r.Match != model.MatchPrefix:
		return false
	default:
		return strings.HasPrefix(l.Path, r.Path+"/")
	}
}
