package builder

// SettingKeys returns every ConfigMap key archway reads, in table order:
// `archway lint` reports the other keys of an ingress-nginx ConfigMap.
func SettingKeys() []string {
	table := SettingSpecs()
	keys := make([]string, len(table))
	for i, st := range table {
		keys[i] = st.Key
	}
	return keys
}
