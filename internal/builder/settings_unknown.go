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

// luaSettings are ingress-nginx's keys that load Lua of the operator's into
// nginx; archway runs only its own Lua.
var luaSettings = []string{"plugins", "lua-shared-dicts"}

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
	switch {
	case key == "modsecurity-snippet":
		return reason.SnippetRefused, "snippets are refused: archway never copies configuration text into nginx.conf; " +
			"the ConfigMap keys modsecurity-mode, -paranoia-level, -inbound-anomaly-threshold, -outbound-anomaly-threshold, " +
			"-exclude-rule-ids and -exclude-rule-tags do what it was used for"
	case strings.HasSuffix(key, "-snippet"):
		return reason.SnippetRefused, "snippets are refused: archway never copies configuration text into nginx.conf; the key is ignored"
	case key == AllowSnippetsKey:
		return reason.UnsupportedSetting, fmt.Sprintf(`snippet annotations stay refused whatever it says; %s: "true" makes archway apply `+
			"the configuration- and server-snippets its safe subset covers (docs/snippets.md)", SafeSnippetsKey)
	case slices.Contains(luaSettings, key):
		return reason.UnsupportedSetting, "archway loads no Lua of the ConfigMap's; the key is ignored"
	default:
		return reason.UnsupportedSetting, "archway does not read this key: ingress-nginx's setting is not applied"
	}
}
