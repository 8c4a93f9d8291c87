package builder

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// hostClaims are the server-scoped annotations (server-alias,
// from-to-www-redirect, auth-tls-*) of the Ingresses, in the order they
// were added: oldest Ingress first, so the first claim of a name wins.
type hostClaims []hostClaim

type hostClaim struct {
	host       string
	ingress    model.Ref
	server     annotations.Server
	clientAuth clientAuthClaim
	prefix     string // of the annotations, for problems
}

type aliasKey struct {
	ingress model.Ref
	alias   string
}

func (h *hostClaims) claim(host string, ing model.Ref, s annotations.Server, auth clientAuthClaim, prefix string) {
	if len(s.Aliases) > 0 || s.FromToWWW || auth.asked {
		*h = append(*h, hostClaim{host: host, ingress: ing, server: s, clientAuth: auth, prefix: prefix})
	}
}

// apply adds the claimed aliases, www redirects and client certificates
// (see clientauth.go) to servers (sorted by host) and returns them sorted
// by host. A name is only ever added once:
// a name that is a host, or that an older claim took, is reported (for
// aliases) or skipped silently (for www redirects, whose other name is
// often served on purpose).
//
// Only claims of the host's owner namespace count (see owners.go); the www
// names they add belong to that namespace too.
func (h hostClaims) apply(servers []model.Server, owners hostOwners, p *problems) []model.Server {
	if len(h) == 0 {
		return servers
	}
	owner := make(map[string]string, len(servers)) // name -> host serving it
	at := make(map[string]int, len(servers))       // host -> index in servers
	for i, s := range servers {
		owner[s.Host], at[s.Host] = s.Host, i
	}
	h = h.owned(servers, at, owners, p)
	h.applyClientAuth(servers, at, p)
	// An Ingress with several hosts gives each alias to the first of them.
	added := map[aliasKey]bool{}
	for _, c := range h {
		i, ok := at[c.host]
		if !ok {
			continue
		}
		for _, alias := range c.server.Aliases {
			key := aliasKey{c.ingress, alias}
			if o, taken := owner[alias]; !taken {
				owner[alias], added[key] = c.host, true
				servers[i].Aliases = append(servers[i].Aliases, alias)
			} else if !added[key] {
				added[key] = true
				p.addAnnotation(c.ingress, c.prefix+"/server-alias", reason.AliasConflict,
					fmt.Sprintf("server-alias %q of host %q is not added: host %q already serves it", alias, c.host, o))
			}
		}
	}
	for _, c := range h {
		if !c.server.FromToWWW || strings.HasPrefix(c.host, "*.") {
			continue
		}
		other, found := strings.CutPrefix(c.host, "www.")
		if !found {
			other = "www." + c.host
		}
		if _, taken := owner[other]; taken || checkHost(other) != nil {
			continue
		}
		owner[other] = c.host
		owners.claim(other, c.ingress.Namespace)
		servers = append(servers, wwwRedirect(other, c.host, ingressOwner(c.ingress)))
	}
	for i := range servers {
		slices.Sort(servers[i].Aliases)
	}
	slices.SortFunc(servers, func(a, b model.Server) int { return cmp.Compare(a.Host, b.Host) })
	return servers
}

// owned returns the claims made by Ingresses of their host's owner
// namespace. The others are reported; one that asked for client
// certificates keeps its own paths of the host closed (503), since
// ignoring what it asked for must not open them.
func (h hostClaims) owned(servers []model.Server, at map[string]int, owners hostOwners, p *problems) hostClaims {
	var kept hostClaims
	for _, c := range h {
		if owners[c.host] == c.ingress.Namespace {
			kept = append(kept, c)
			continue
		}
		refuse := func(name, what, outcome string) {
			p.addAnnotation(c.ingress, c.prefix+"/"+name, reason.HostNotOwned, notOwned(c.host, what)+outcome)
		}
		if len(c.server.Aliases) > 0 {
			refuse("server-alias", "server-alias", "; ignored")
		}
		if c.server.FromToWWW {
			refuse("from-to-www-redirect", "from-to-www-redirect", "; ignored")
		}
		if c.clientAuth.asked {
			if i, ok := at[c.host]; ok {
				answer503(&servers[i], ingressOwner(c.ingress))
			}
			refuse("auth-tls-secret", "client certificates (auth-tls-*)", "; the paths of this Ingress on the host answer 503")
		}
	}
	return kept
}

// wwwRedirect is a server for from that redirects every request (308) to
// the same URL on host to.
func wwwRedirect(from, to string, owner model.Owner) model.Server {
	return model.Server{Host: from, Locations: []model.Location{{
		Path: "/", Match: model.MatchPrefix, Owner: owner,
		Policy: &model.Policy{Redirect: &model.Redirect{Code: http.StatusPermanentRedirect, URL: model.Template{
			{Var: "scheme"}, {Text: "://" + to}, {Var: "request_uri"},
		}}},
	}}}
}
