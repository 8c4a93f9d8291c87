package builder

import (
	"fmt"
	"slices"
	"strings"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// AllowSnippetsKey is ingress-nginx's switch for snippet annotations:
// archway takes "false", its own behaviour, and reports anything else.
const AllowSnippetsKey = "allow-snippet-annotations"

// RefusedSetting is a key of ingress-nginx's ConfigMap that archway knows
// and refuses, with the reason and message it is reported with.
type RefusedSetting struct {
	Key     string
	Reason  reason.Reason
	Message string
}

// snippetRefused starts the message of every refused snippet key.
const snippetRefused = "snippets are refused: archway never copies configuration text into nginx.conf"

// RefusedSettings lists the keys archway refuses; any other key ending in
// "-snippet" is refused like the snippets listed. docs/configmap.md lists
// them.
func RefusedSettings() []RefusedSetting {
	var out []RefusedSetting
	for _, key := range []string{"main-snippet", "http-snippet", "server-snippet", "location-snippet", "stream-snippet"} {
		out = append(out, RefusedSetting{Key: key, Reason: reason.SnippetRefused, Message: snippetRefused + "; the key is ignored"})
	}
	lua := "archway loads no Lua of the ConfigMap's; the key is ignored"
	return append(out,
		RefusedSetting{Key: "modsecurity-snippet", Reason: reason.SnippetRefused, Message: snippetRefused +
			"; the ConfigMap keys modsecurity-mode, -paranoia-level, -inbound-anomaly-threshold, -outbound-anomaly-threshold, " +
			"-exclude-rule-ids and -exclude-rule-tags do what it was used for"},
		RefusedSetting{Key: AllowSnippetsKey, Reason: reason.UnsupportedSetting, Message: fmt.Sprintf(`snippet annotations stay refused whatever it says; %s: "true" makes archway apply `+
			"the configuration- and server-snippets its safe subset covers (docs/snippets.md)", SafeSnippetsKey)},
		RefusedSetting{Key: "plugins", Reason: reason.UnsupportedSetting, Message: lua},
		RefusedSetting{Key: "lua-shared-dicts", Reason: reason.UnsupportedSetting, Message: lua},
	)
}

// unknownSettings reports every key of the ConfigMap that the settings
// table does not read: none is ignored without a word. Snippets, Lua and
// allow-snippet-annotations: "true" are keys archway knows and refuses.
func unknownSettings(data map[string]string, ref model.Ref, p *problems) {
	known := SettingKeys()
	for key, value := range data {
		if slices.Contains(known, key) || (key == AllowSnippetsKey && value == "false") {
			continue
		}
		why, message := unknownSetting(key)
		*p = append(*p, Problem{Kind: KindConfigMap, Object: ref, Field: "data." + key, Key: key, Reason: why, Message: message})
	}
}

// unknownSetting returns the reason and message of a key archway does not
// read.
func unknownSetting(key string) (reason.Reason, string) {
	refused := RefusedSettings()
	if i := slices.IndexFunc(refused, func(r RefusedSetting) bool { return r.Key == key }); i >= 0 {
		return refused[i].Reason, refused[i].Message
	}
	if strings.HasSuffix(key, "-snippet") {
		return reason.SnippetRefused, snippetRefused + "; the key is ignored"
	}
	return reason.UnsupportedSetting, "archway does not read this key: ingress-nginx's setting is not applied"
}
