package builder

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckHost(t *testing.T) {
	tests := map[string]struct {
		host string
		ok   bool
	}{
		"name":                     {host: "foo.example.com", ok: true},
		"single label":             {host: "localhost", ok: true},
		"digits and dashes":        {host: "1-a.b2.example", ok: true},
		"wildcard":                 {host: "*.example.com", ok: true},
		"wildcard of one label":    {host: "*.local", ok: true},
		"uppercase":                {host: "Foo.example.com"},
		"two wildcards":            {host: "*.*.example.com"},
		"inner wildcard":           {host: "foo.*.example.com"},
		"bare wildcard":            {host: "*"},
		"wildcard without a label": {host: "*."},
		"partial wildcard":         {host: "f*.example.com"},
		"IPv4 address":             {host: "192.168.0.1"},
		"IPv6 address":             {host: "::1"},
		"port":                     {host: "example.com:80"},
		"trailing dot":             {host: "example.com."},
		"empty label":              {host: "foo..com"},
		"leading dash":             {host: "-foo.com"},
		"underscore":               {host: "foo_bar.com"},
		"space":                    {host: "foo bar.com"},
		"nginx syntax":             {host: "a.com;"},
		"too long":                 {host: strings.Repeat("a.", 127) + "aa"},
		"longest label":            {host: strings.Repeat("a", 63) + ".example.com", ok: true},
		"label too long":           {host: strings.Repeat("a", 64) + ".example.com"},
		"wildcard label too long":  {host: "*." + strings.Repeat("a", 64) + ".com"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := checkHost(tc.host)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func FuzzCheckHost(f *testing.F) {
	for _, seed := range []string{"foo.example.com", "*.example.com", "*.*.a", "1.2.3.4", "A.b", "a;b", "a..b", "é.com"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if checkHost(host) != nil {
			return
		}
		name, _ := strings.CutPrefix(host, "*.")
		require.LessOrEqual(t, len(name), 253)
		require.True(t, onlyBytes(name, "abcdefghijklmnopqrstuvwxyz0123456789.-"), "accepted %q", host)
		for label := range strings.SplitSeq(name, ".") {
			require.NotEmpty(t, label, "accepted %q", host)
			require.LessOrEqual(t, len(label), 63, "accepted %q", host)
			require.False(t, strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-"), "accepted %q", host)
		}
	})
}

// FuzzCheckHostRefusesAddresses checks checkHost's shortcut: it asks
// netip.ParseAddr only about hosts of digits and dots, yet refuses every
// host that is an IP address.
func FuzzCheckHostRefusesAddresses(f *testing.F) {
	for _, seed := range []string{"1.2.3.4", "01.2.3.4", "1.2.3", "1.2.3.4.5", "::1", "::ffff:1.2.3.4", "1e2.3.4.5", "*.1.2.3.4", "a.b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if _, err := netip.ParseAddr(host); err == nil {
			require.Error(t, checkHost(host), "accepted the address %q", host)
		}
	})
}

func TestCheckRef(t *testing.T) {
	tests := map[string]struct {
		namespace, name string
		ok              bool
	}{
		"plain":                 {namespace: "web", name: "app", ok: true},
		"dotted name":           {namespace: "web", name: "app.v1", ok: true},
		"dotted namespace":      {namespace: "web.x", name: "app"},
		"uppercase name":        {namespace: "web", name: "App"},
		"empty namespace":       {namespace: "", name: "app"},
		"empty name":            {namespace: "web", name: ""},
		"underscore":            {namespace: "web", name: "a_b"},
		"slash":                 {namespace: "web", name: "a/b"},
		"namespace of 64 chars": {namespace: strings.Repeat("a", 64), name: "app"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := checkRef(tc.namespace, tc.name)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func FuzzCheckRef(f *testing.F) {
	f.Add("web", "app")
	f.Add("web", "app.v1")
	f.Add("Web", "a_b")
	f.Fuzz(func(t *testing.T, namespace, name string) {
		if checkRef(namespace, name) != nil {
			return
		}
		// Backend names join these with "_", so neither may hold one.
		require.True(t, onlyBytes(namespace, "abcdefghijklmnopqrstuvwxyz0123456789-"), "accepted namespace %q", namespace)
		require.True(t, onlyBytes(name, "abcdefghijklmnopqrstuvwxyz0123456789.-"), "accepted name %q", name)
	})
}

func TestCheckPortName(t *testing.T) {
	tests := map[string]struct {
		name string
		ok   bool
	}{
		"http":            {name: "http", ok: true},
		"dash and digits": {name: "http-2", ok: true},
		"digits only":     {name: "80"},
		"uppercase":       {name: "HTTP"},
		"underscore":      {name: "a_b"},
		"double dash":     {name: "a--b"},
		"too long":        {name: "abcdefghijklmnop"},
		"empty":           {name: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := checkPortName(tc.name)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func FuzzCheckPortName(f *testing.F) {
	f.Add("http")
	f.Add("80")
	f.Add("a_b")
	f.Fuzz(func(t *testing.T, name string) {
		if checkPortName(name) != nil {
			return
		}
		require.True(t, onlyBytes(name, "abcdefghijklmnopqrstuvwxyz0123456789-"), "accepted %q", name)
		// A letter keeps "<ns>_<svc>_<name>" apart from "<ns>_<svc>_<number>".
		require.True(t, strings.ContainsAny(name, "abcdefghijklmnopqrstuvwxyz"), "accepted %q", name)
	})
}

// onlyBytes reports whether every byte of s is one of allowed's.
func onlyBytes(s, allowed string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(allowed, s[i]) < 0 {
			return false
		}
	}
	return true
}
