package render

import (
	"cmp"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// defaultRealm is the basic-auth realm when the model has none.
const defaultRealm = "Authentication Required"

// basicAuthView writes the users to an htpasswd file named by its content.
func (p *policies) basicAuthView(v *policyView, l model.Location) error {
	a := l.Policy.BasicAuth
	if a == nil {
		return nil
	}
	var b strings.Builder
	for _, c := range a.Credentials {
		if !htpasswdField(c.User) || !htpasswdField(c.Hash) {
			return fmt.Errorf("basic auth: user %q: not a valid htpasswd line", c.User)
		}
		b.WriteString(c.User + ":" + c.Hash + "\n")
	}
	if b.Len() == 0 {
		return fmt.Errorf("basic auth: no users")
	}
	var q quoter
	v.BasicAuth = &basicAuthView{
		Realm: q.quote(cmp.Or(a.Realm, defaultRealm)),
		File:  q.quote(p.workerFile("auth", ".htpasswd", []byte(b.String()))),
	}
	return q.err
}

// htpasswdField accepts printable ASCII without spaces or ':'.
func htpasswdField(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r < '!' || r > '~' || r == ':' })
}

// sslView writes the certificates of a TLS backend to files named by
// their content; the key is readable by archway's user only (nginx reads
// it while loading the config).
func (p *policies) sslView(v *policyView, l model.Location) error {
	t := l.Policy.BackendTLS
	if t == nil {
		return nil
	}
	var q quoter
	s := &sslView{}
	if t.ClientCertificate != nil && t.ClientKey != nil {
		s.Certificate = q.quote(p.file("backend-tls", ".crt", t.ClientCertificate, 0o644))
		s.Key = q.quote(p.file("backend-tls", ".key", t.ClientKey, 0o600))
	}
	if t.TrustedCA != nil {
		s.Trusted = q.quote(p.file("backend-tls", ".ca.crt", t.TrustedCA, 0o644))
	}
	if t.Verify {
		if t.TrustedCA == nil {
			return fmt.Errorf("backend TLS: verification without a trusted CA")
		}
		s.Verify = "on"
	}
	if t.VerifyDepth > 0 {
		s.VerifyDepth = strconv.Itoa(t.VerifyDepth)
	}
	if t.ServerName != "" {
		s.Name = q.quote(t.ServerName)
	}
	if t.SNI {
		s.ServerName = "on"
	}
	v.SSL = s
	return q.err
}

// authView is what a location prints for external authentication.
type authView struct {
	Request string // the quoted path of the internal auth location
	Sets    []authSetView
	SignIn  string // where a 401 redirects; "" answers 401
	// SetCookie is add_header's value and flag for the auth response's
	// Set-Cookie (in the variable an auth-response-headers: Set-Cookie
	// would set to the same value).
	SetCookie string
}

type authSetView struct{ Var, Value string }

// authLocationView is the internal location that asks the auth service.
type authLocationView struct {
	Path     string
	Method   string
	Redirect string // X-Auth-Request-Redirect
	// Target is the URL; Variable says it holds a DNS name, which nginx
	// must resolve at request time (set into a variable) rather than when
	// it loads the config, so that a name that does not resolve yet cannot
	// make nginx refuse the whole config.
	Target   string
	Variable bool
	Cache    *authCacheUse
}

// authCacheView is a cache zone for auth responses (http block).
type authCacheView struct{ Path, Zone string }

// authCacheUse is how an auth location uses its cache.
type authCacheUse struct {
	Zone, Key string
	Valid     []string
}

func (p *policies) externalAuthView(v *policyView, l model.Location) error {
	a := l.Policy.ExternalAuth
	if a == nil {
		return nil
	}
	target, err := templateToken(a.URL, plainVar)
	if err != nil {
		return fmt.Errorf("auth-url: %w", err)
	}
	u, err := httpURL(probeText(a.URL))
	if err != nil {
		return fmt.Errorf("auth-url: %w", err)
	}
	// The URL as nginx reads it, without the quotes.
	id := shortHash(target[1:len(target)-1], a.Method, a.RequestRedirect)
	if a.CacheKey != nil {
		// Cached answers are kept per location, as in ingress-nginx: the
		// location gets an auth location (and cache keys) of its own.
		id = shortHash(id, fmt.Sprint(a.CacheKey, a.CacheValid), p.host, l.Owner.String(), string(l.Match), l.Path)
	}
	var q quoter
	loc := authLocationView{
		Path:     q.quote(model.InternalPath + "/auth/" + id),
		Target:   target,
		Redirect: "$request_uri",
	}
	if a.RequestRedirect != "" {
		loc.Redirect = q.quote(a.RequestRedirect)
	}
	if _, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err != nil || slices.ContainsFunc(a.URL, isVariable) {
		loc.Variable = true
		if err := p.resolver(); err != nil {
			return err
		}
	}
	if a.Method != "" {
		if _, err := grammar.Method(a.Method); err != nil {
			return fmt.Errorf("auth-method %q: %w", a.Method, err)
		}
		loc.Method = a.Method
	}
	if a.CacheKey != nil {
		if loc.Cache, err = p.authCache(id, a); err != nil {
			return err
		}
	}
	if q.err != nil {
		return fmt.Errorf("auth-url: %w", q.err)
	}
	if p.onceInServer(loc.Path) {
		p.server.Auth = append(p.server.Auth, loc)
	}
	view := &authView{Request: loc.Path, SetCookie: "$archway_auth_set_cookie"}
	if a.AlwaysSetCookie {
		view.SetCookie += " always"
	}
	for _, name := range a.ResponseHeaders {
		variable, err := authHeaderVar(name)
		if err != nil {
			return err
		}
		view.Sets = append(view.Sets, authSetView{Var: variable,
			Value: "$upstream_http_" + strings.TrimPrefix(variable, "$archway_auth_")})
	}
	if a.SignIn != nil {
		param := cmp.Or(a.SignInRedirectParam, "rd")
		if err := grammar.OnlyChars(param, "-_", 64); err != nil {
			return fmt.Errorf("auth-signin-redirect-param %q: %w", param, err)
		}
		signIn := withRedirectParam(a.SignIn, param)
		if view.SignIn, err = templateToken(signIn, signInVar); err != nil {
			return fmt.Errorf("auth-signin: %w", err)
		}
		for _, part := range signIn {
			v.SetEscapedURI = v.SetEscapedURI || part.Var == "escaped_request_uri"
		}
	}
	v.Auth = view
	return nil
}

// authCache adds the cache zone of an auth location.
func (p *policies) authCache(id string, a *model.ExternalAuth) (*authCacheUse, error) {
	key, err := templateToken(append(model.Template{{Text: id + ":"}}, a.CacheKey...), plainVar)
	if err != nil {
		return nil, fmt.Errorf("auth-cache-key: %w", err)
	}
	use := &authCacheUse{Zone: "archway_auth_" + id, Key: key}
	for _, c := range a.CacheValid {
		if c.Duration <= 0 {
			return nil, fmt.Errorf("auth-cache-duration: %v", c.Duration)
		}
		valid := ""
		for _, code := range c.Codes {
			if code < 100 || code > 599 {
				return nil, fmt.Errorf("auth-cache-duration: code %d", code)
			}
			valid += strconv.Itoa(code) + " "
		}
		use.Valid = append(use.Valid, cmp.Or(valid, "any ")+nginxTime(c.Duration))
	}
	if p.once(use.Zone) {
		path, err := quote(filepath.Join(p.runtimeDir, "auth-cache-"+id))
		if err != nil {
			return nil, err
		}
		p.http.AuthCaches = append(p.http.AuthCaches, authCacheView{Path: path, Zone: use.Zone})
	}
	return use, nil
}

// withRedirectParam adds the query parameter param ("rd") with the
// request's URL to a sign-in URL that has none, as ingress-nginx does, so
// the sign-in page can send the client back.
func withRedirectParam(t model.Template, param string) model.Template {
	query := false
	for _, part := range t {
		if strings.Contains(part.Text, param+"=") {
			return t
		}
		query = query || strings.Contains(part.Text, "?")
	}
	sep := "?" + param + "="
	if query {
		sep = "&" + param + "="
	}
	return append(append(model.Template{}, t...), model.TemplatePart{Text: sep}, model.TemplatePart{Var: "scheme"},
		model.TemplatePart{Text: "://"}, model.TemplatePart{Var: "http_host"}, model.TemplatePart{Var: "escaped_request_uri"})
}

// authHeaderVar is the variable holding an auth response header: its
// name in lower case with "_" for "-", after "$archway_auth_".
func authHeaderVar(name string) (string, error) {
	word := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	if !isWord(word) {
		return "", fmt.Errorf("auth response header %q", name)
	}
	return "$archway_auth_" + word, nil
}

func isVariable(part model.TemplatePart) bool { return part.Var != "" }

// probeText is t with "x" for each variable: text whose URL shape is the
// template's.
func probeText(t model.Template) string {
	var b strings.Builder
	for _, part := range t {
		b.WriteString(cmp.Or(part.Text, "x"))
	}
	return b.String()
}

// httpURL parses an absolute http or https URL. It is looser than
// grammar.AbsoluteURL, which the build applies: quote refuses what could
// end the token.
func httpURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", s)
	}
	return u, nil
}
