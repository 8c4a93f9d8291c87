package builder

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// headerSettings are the keys of the headers every request and response
// gets, which ingress-nginx offered in place of snippets.
func headerSettings() []SettingSpec {
	const g = "Headers"
	hs := func(s *model.Settings) *model.HeaderSettings { return &s.Headers }
	return []SettingSpec{
		{Key: "add-headers", Group: g, Scope: ScopeServer, Syntax: configMapRefSyntax,
			Doc: "The ConfigMap of response headers set on every answer of every server, error answers included: each key is a header name, " +
				"its value the header's value" + headerValueDoc + ". A bad entry is skipped and reported; changes apply without a restart.",
			set: parseInto(configMapRef, func(s *model.Settings) **model.Ref { return &hs(s).ResponseFrom })},
		{Key: "proxy-set-headers", Group: g, Scope: ScopeServer, Syntax: configMapRefSyntax,
			Doc: "The ConfigMap of request headers sent to every backend, in the same form as `add-headers`; they replace archway's own " +
				"(`X-Forwarded-*`, `X-Request-ID`, ...) of the same name.",
			set: parseInto(configMapRef, func(s *model.Settings) **model.Ref { return &hs(s).RequestFrom })},
		{Key: "hide-headers", Group: g, Scope: ScopeServer, Syntax: "comma-separated header names",
			Doc: "Backend response headers not passed to clients (`X-Powered-By, Server`).",
			set: parseInto(headerNames, func(s *model.Settings) *[]string { return &hs(s).Hide })},
		{Key: "global-allowed-response-headers", Group: g, Scope: ScopeGlobal, Syntax: "comma-separated header names",
			Doc: "The header names the `custom-headers` annotation may set (in any case); none by default, as in ingress-nginx: " +
				"a tenant's headers could otherwise override the security headers of `add-headers`.",
			set: parseInto(lowerHeaderNames, func(s *model.Settings) *[]string { return &hs(s).AllowedResponse })},
		{Key: "proxy-add-original-uri-header", Group: g, Scope: ScopeServer, Syntax: boolSyntax, Default: "false",
			Doc: "Sends backends the request URI as `X-Original-URI`, as ingress-nginx's key of the same name did.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &hs(s).OriginalURI })},
	}
}

const (
	configMapRefSyntax = "`namespace/name` of a ConfigMap"
	headerValueDoc     = " (printable ASCII without quotes, backslashes or braces, at most 2048 bytes; `$` only to name " +
		"`$scheme`, `$host`, `$http_host`, `$server_port`, `$request_uri`, `$args`, `$is_args`, `$remote_addr`, `$request_id` or `$msec`)"
)

// configMapRef accepts "namespace/name", or "" for none.
func configMapRef(s string) (*model.Ref, error) {
	if s == "" {
		return nil, nil
	}
	ns, name, ok := strings.Cut(s, "/")
	if !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return nil, errors.New(`want "namespace/name" of a ConfigMap`)
	}
	return &model.Ref{Namespace: ns, Name: name}, nil
}

// headerNames accepts comma-separated header names, or "" for none.
func headerNames(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	return grammar.List(grammar.HeaderName)(s)
}

func lowerHeaderNames(s string) ([]string, error) {
	names, err := headerNames(s)
	for i := range names {
		names[i] = strings.ToLower(names[i])
	}
	return names, err
}

// addHeaderConfigMaps reads the header ConfigMaps that the settings name
// into them; a ConfigMap that does not exist is reported and sets nothing.
func (b *build) addHeaderConfigMaps() {
	h, settingsCM := &b.cfg.Settings.Headers, b.controllerConfigMap()
	if settingsCM == nil {
		return
	}
	read := func(key string, ref *model.Ref) []model.Header {
		if ref == nil {
			return nil
		}
		cm := b.configMapNamed(ref.String())
		if cm == nil {
			b.problems = append(b.problems, Problem{Kind: KindConfigMap, Object: model.Ref{Namespace: settingsCM.Namespace, Name: settingsCM.Name}, Field: "data." + key, Key: key,
				Reason: reason.InvalidSetting, Message: fmt.Sprintf("ConfigMap %s does not exist: no header is set", ref)})
			return nil
		}
		return b.headerEntries(cm, nil)
	}
	h.Response = read("add-headers", h.ResponseFrom)
	h.Request = read("proxy-set-headers", h.RequestFrom)
}

// customHeaders reads the custom-headers ConfigMap of an Ingress in
// namespace: only the names the settings allow are kept, the others are
// reported on the ConfigMap.
func (b *build) customHeaders(namespace string, ref annotations.SecretRef) ([]model.Header, error) {
	if ref.Namespace != "" && ref.Namespace != namespace {
		return nil, fmt.Errorf("ConfigMap %s/%s is in another namespace than the Ingress; only its own namespace is allowed", ref.Namespace, ref.Name)
	}
	name := namespace + "/" + ref.Name
	cm := b.configMapNamed(name)
	if cm == nil {
		return nil, fmt.Errorf("ConfigMap %s does not exist", name)
	}
	allowed := b.cfg.Settings.Headers.AllowedResponse
	return b.headerEntries(cm, func(name string) error {
		if !slices.Contains(allowed, strings.ToLower(name)) {
			return errors.New("the controller's ConfigMap key global-allowed-response-headers does not list it")
		}
		return nil
	}), nil
}

// headerEntries reads a header ConfigMap, sorted by name; allow (nil:
// every name) may refuse a name. Each refused entry is skipped and
// reported on the ConfigMap.
func (b *build) headerEntries(cm *corev1.ConfigMap, allow func(name string) error) []model.Header {
	ref := model.Ref{Namespace: cm.Namespace, Name: cm.Name}
	var headers []model.Header
	for _, name := range slices.Sorted(maps.Keys(cm.Data)) {
		value, err := cm.Data[name], error(nil)
		var h model.Header
		if _, err = grammar.HeaderName(name); err != nil {
			err = fmt.Errorf("header name: %w", err)
		} else if allow != nil {
			err = allow(name)
		}
		if err == nil {
			h.Name = name
			if h.Value, err = annotations.HeaderValue(value); err != nil {
				err = fmt.Errorf("value %q: %w", shorten(value), err)
			}
		}
		if err != nil {
			b.problems.add(KindConfigMap, ref, "data."+name, reason.InvalidHeader, fmt.Sprintf("header %q is skipped: %v", shorten(name), err))
			continue
		}
		headers = append(headers, h)
	}
	return headers
}

// ConfigMapRefs returns the header ConfigMaps ("namespace/name") that the
// Snapshot's objects name: the controller's ConfigMap's add-headers and
// proxy-set-headers, and each Ingress's custom-headers in its own
// namespace. The cluster source adds them to its Snapshots and signals
// their changes.
func ConfigMapRefs(snap source.Snapshot, opts Options) []string {
	b := &build{snap: snap, opts: opts}
	var refs []string
	if cm := b.controllerConfigMap(); cm != nil {
		for _, key := range []string{"add-headers", "proxy-set-headers"} {
			if ref, err := configMapRef(cm.Data[key]); err == nil && ref != nil {
				refs = append(refs, ref.String())
			}
		}
	}
	key := cmp.Or(opts.AnnotationsPrefix, annotations.DefaultPrefix) + "/custom-headers"
	for _, ing := range snap.Ingresses {
		value, ok := ing.Annotations[key]
		if !ok {
			continue
		}
		namespace, name, qualified := strings.Cut(value, "/")
		if !qualified {
			namespace, name = ing.Namespace, value
		}
		if namespace == ing.Namespace && len(validation.IsDNS1123Subdomain(name)) == 0 {
			refs = append(refs, namespace+"/"+name)
		}
	}
	slices.Sort(refs)
	return slices.Compact(refs)
}
