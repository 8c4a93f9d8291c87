package render

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// limitKeyView exempts the Allow networks from a rate limit: geo sets
// Exempt to 1 for them, and map gives them the empty Key, which nginx does
// not count.
type limitKeyView struct {
	Exempt, Key string
	Allow       []string
}

// limitZoneView is a limit_req_zone (with Rate) or limit_conn_zone.
type limitZoneView struct{ Key, Zone, Rate string }

// limitZoneSize holds the state of about 80,000 client addresses.
const limitZoneSize = "5m"

// limitView adds the zones of a rate limit, one set per Ingress (all its
// paths share the counters, as in ingress-nginx), and limits the location.
func (p *policies) limitView(v *policyView, l model.Location) error {
	rl := l.Policy.RateLimit
	if rl == nil {
		return nil
	}
	var allow []string
	for _, a := range geoPrefixes(rl.Allow) {
		if err := grammar.CheckPrefix(a); err != nil {
			return fmt.Errorf("limit-whitelist: %w", err)
		}
		allow = append(allow, a.String())
	}
	name := "archway_limit_" + shortHash(l.Owner.String(), fmt.Sprint(rl.RPS, rl.RPM, rl.Connections, rl.BurstMultiplier), strings.Join(allow, ","))
	key := "$binary_remote_addr"
	if len(allow) > 0 {
		key = "$" + name + "_key"
		if p.once(key) {
			p.http.LimitKeys = append(p.http.LimitKeys, limitKeyView{Exempt: "$" + name + "_exempt", Key: key, Allow: allow})
		}
	}
	if rl.Connections > 0 {
		zone := name + "_conn"
		if p.once(zone) {
			p.http.LimitConnZones = append(p.http.LimitConnZones, limitZoneView{Key: key, Zone: zone + ":" + limitZoneSize})
		}
		v.LimitConn = zone + " " + strconv.Itoa(rl.Connections)
	}
	for _, r := range []struct {
		rate int
		unit string
	}{{rl.RPM, "m"}, {rl.RPS, "s"}} {
		if r.rate <= 0 {
			continue
		}
		zone := name + "_rp" + r.unit
		if p.once(zone) {
			p.http.LimitReqZones = append(p.http.LimitReqZones, limitZoneView{Key: key, Zone: zone + ":" + limitZoneSize,
				Rate: strconv.Itoa(r.rate) + "r/" + r.unit})
		}
		burst := r.rate * max(rl.BurstMultiplier, 1)
		v.LimitReq = append(v.LimitReq, "zone="+zone+" burst="+strconv.Itoa(burst)+" nodelay")
	}
	return nil
}

// corsView is what a location prints for CORS; Origin is the value of
// Access-Control-Allow-Origin: "*" or the map variable that echoes an
// allowed Origin (and is empty for others, so no header is sent).
type corsView struct {
	Origin                string
	Vary                  bool
	Credentials           bool
	Methods, Headers      string
	ExposeHeaders, MaxAge string
}

// corsMapView maps $http_origin to itself for the allowed origins.
type corsMapView struct {
	Var     string
	Origins []string // map keys: quoted exact origins or "~*" regexes
}

func (p *policies) corsView(v *policyView, l model.Location) error {
	c := l.Policy.CORS
	if c == nil {
		return nil
	}
	var q quoter
	cv := &corsView{
		Credentials: c.AllowCredentials,
		Methods:     q.quote(strings.Join(c.AllowMethods, ", ")),
		Headers:     q.quote(strings.Join(c.AllowHeaders, ", ")),
		MaxAge:      seconds(c.MaxAge),
	}
	if len(c.ExposeHeaders) > 0 {
		cv.ExposeHeaders = q.quote(strings.Join(c.ExposeHeaders, ", "))
	}
	if q.err != nil {
		return fmt.Errorf("cors: %w", q.err)
	}
	if c.AnyOrigin {
		cv.Origin = `"*"`
		v.CORS = cv
		return nil
	}
	origins := make([]string, 0, len(c.AllowOrigins))
	for _, o := range c.AllowOrigins {
		key, err := originKey(o)
		if err != nil {
			return fmt.Errorf("cors-allow-origin: %w", err)
		}
		origins = append(origins, key)
	}
	slices.Sort(origins)
	origins = slices.Compact(origins)
	cv.Origin, cv.Vary = "$archway_cors_"+shortHash(origins...), true
	if p.once(cv.Origin) {
		p.http.CORSOrigins = append(p.http.CORSOrigins, corsMapView{Var: cv.Origin, Origins: origins})
	}
	v.CORS = cv
	return nil
}

// originKey is the map key matching origin o: the exact origin, or for a
// "*." host a case-insensitive regex allowing one label of [a-z0-9-].
func originKey(o model.Origin) (string, error) {
	if o.Scheme != "http" && o.Scheme != "https" || o.Port < 0 || o.Port > 65535 {
		return "", fmt.Errorf("origin %+v", o)
	}
	port := ""
	if o.Port != 0 {
		port = ":" + strconv.Itoa(o.Port)
	}
	suffix, wildcard := strings.CutPrefix(o.Host, "*.")
	if err := grammar.CheckDNSName(o.Host, true); err != nil {
		return "", fmt.Errorf("origin host %q is %w", o.Host, err)
	}
	if !wildcard {
		return quote(o.Scheme + "://" + o.Host + port)
	}
	// suffix is made of [a-z0-9.-]; quote would refuse the regex's '\'
	// and '$', which are safe inside the quotes.
	return `"~*^` + o.Scheme + `://[a-z0-9-]+\.` + strings.ReplaceAll(suffix, ".", `\.`) + port + `$"`, nil
}

// errorLocationView is a named location that answers an error from
// another backend: with Code set, as ingress-nginx's custom error pages
// (headers saying what failed); without, as a fallback that serves the
// request itself.
type errorLocationView struct {
	Name      string
	Headers   []headerView
	Backend   string
	ProxyPass string
}

// errorsView sends the custom-http-errors codes to the error backend, and
// the location's own 503 (no endpoint or no Service) to default-backend.
func (p *policies) errorsView(v *policyView, l model.Location) error {
	e := l.Policy.Errors
	if e == nil {
		return nil
	}
	pages := map[int]string{}
	if target := cmp.Or(e.Backend, p.defaultBackend); target != "" {
		for _, code := range e.Codes {
			if code < 400 || code > 599 {
				return fmt.Errorf("custom-http-errors: code %d", code)
			}
			name, err := p.errorLocation(target, code)
			if err != nil {
				return err
			}
			pages[code] = name
		}
		v.InterceptErrors = len(e.Codes) > 0
	}
	if e.Backend != "" && pages[503] == "" {
		name, err := p.errorLocation(e.Backend, 0)
		if err != nil {
			return err
		}
		pages[503] = name
	}
	for _, code := range slices.Sorted(maps.Keys(pages)) {
		v.ErrorPages = append(v.ErrorPages, strconv.Itoa(code)+" = "+pages[code])
	}
	return nil
}

// errorLocation adds to the server the named location that sends errors
// with code (0: the request itself) to backend, and returns its name.
func (p *policies) errorLocation(backend string, code int) (string, error) {
	r, ok := p.routes[backend]
	if !ok || r.proxyPass == "" {
		return "", fmt.Errorf("error backend %q has no route", backend)
	}
	name := "@archway_error_" + shortHash(backend) + "_" + strconv.Itoa(code)
	if !p.onceInServer(name) {
		return name, nil
	}
	headers := p.proxyHeaders()
	if code != 0 {
		// The variables are the location's, set for the access log.
		headers = append(setHeader(hopByHop(headers), "X-Original-URI", "$request_uri"),
			headerView{"X-Code", strconv.Itoa(code)},
			headerView{"X-Format", "$http_accept"},
			headerView{"X-Namespace", "$archway_namespace"},
			headerView{"X-Ingress-Name", "$archway_ingress"},
			headerView{"X-Service-Name", "$archway_service"},
		)
	}
	p.server.Errors = append(p.server.Errors, errorLocationView{Name: name, Headers: headers,
		Backend: r.backend, ProxyPass: r.proxyPass})
	return name, nil
}
