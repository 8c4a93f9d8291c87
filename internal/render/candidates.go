package render

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/archway-ingress/archway/internal/model"
)

// A Location with Candidates (HTTPRoute matches with method, header or
// query conditions) sets $archway_backend, as a canary route does, to a
// payload member "match.<hash of host, match and path>" that lists them
// in order. The balancer takes the first whose conditions hold, then its
// backend (through its weighted canaries), and answers 404 when none
// holds, 500 for one without backend (an HTTPRoute rule without a usable
// backendRef). The conditions' names and values
// are tenant input: they travel only as JSON data, never in nginx.conf,
// and change with no reload.
//
//	{"match.0123456789abcdef": {"candidates": [
//	  {"method": "GET", "headers": [{"name": "version", "value": "two"}],
//	   "query": [{"name": "animal", "value": "whale"}],
//	   "main": "web_app_80", "canaries": [{"backend": "web_beta_80", "weight": 1, "weight_total": 2}]}]}}

type candidatesRoute struct {
	Candidates []candidateEntry `json:"candidates"`
}

type conditionEntry struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func conditionEntries(cs []model.Condition) []conditionEntry {
	out := make([]conditionEntry, len(cs))
	for i, c := range cs {
		out[i] = conditionEntry(c)
	}
	return out
}

type candidateEntry struct {
	Method  string           `json:"method,omitempty"`
	Headers []conditionEntry `json:"headers,omitempty"`
	Query   []conditionEntry `json:"query,omitempty"`
	// Main is empty for a candidate that answers 500.
	Main     string        `json:"main,omitempty"`
	Canaries []canaryEntry `json:"canaries,omitempty"`
}

// candidatesEntry returns the payload member of a Location's candidates.
// It refuses candidates that Validate refuses or that name an unknown
// backend, and a Location that also has a Backend or Canaries.
func candidatesEntry(l model.Location, known map[string]bool) ([]byte, error) {
	if l.Backend != "" || len(l.Canaries) > 0 {
		return nil, errors.New("candidates beside a backend")
	}
	if len(l.Candidates) > model.MaxCandidates {
		return nil, fmt.Errorf("more than %d candidates", model.MaxCandidates)
	}
	route := candidatesRoute{Candidates: make([]candidateEntry, len(l.Candidates))}
	for i, c := range l.Candidates {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		e := candidateEntry{Method: c.Method, Headers: conditionEntries(c.Headers), Query: conditionEntries(c.Query)}
		if c.Backend != "" {
			if err := checkCanaries(c.Backend, c.Canaries, known); err != nil {
				return nil, err
			}
			route := newCanaryRoute(c.Backend, c.Canaries)
			e.Main, e.Canaries = route.Main, route.Canaries
		}
		route.Candidates[i] = e
	}
	return json.Marshal(route)
}

// candidatesRouteOf returns the route of a Location with Candidates: the
// balancer, with its payload member as backend, and the Service of its
// first candidate with a backend for the access log.
func candidatesRouteOf(host string, l *model.Location, routes map[string]route) (route, error) {
	r := route{proxyPass: balancerPass}
	for _, c := range l.Candidates {
		if c.Backend != "" {
			r.service = routes[c.Backend].service
			break
		}
	}
	var err error
	r.backend, err = quote(canaryRouteName(host, *l))
	return r, err
}
