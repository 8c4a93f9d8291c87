package render

import "strings"

// nginx builds a hash for the exact server names, for every map, and for
// the variables, and refuses a config (or warns) when an entry does not
// fit a bucket or the entries do not fit the table. archway sizes all
// three from the config, so that nginx never has to.
type hashSizesView struct {
	MapBucket, MapMax             int
	VariablesBucket, VariablesMax int
}

// fixedVariables bounds the variables nginx and the templates define
// whatever the config: nginx's own (about 100), the Lua module's and the
// $archway_* ones.
const fixedVariables = 512

// hashSizes returns a bucket size that holds four entries of longest bytes
// and a table size of four slots per entry, each at least its minimum (an
// nginx default). nginx allocates buckets by their actual contents, and
// tries table sizes upwards from the smallest that could work, so
// generous bounds cost nothing. An entry is NGX_HASH_ELT_SIZE on 64-bit:
// a pointer, then the length (2 bytes) and the name, aligned to a pointer.
func hashSizes(entries, longest, minBucket, minMax int) (bucket, maxSize int) {
	entry := 8 + (longest+2+7)&^7
	return nextPow2(max(minBucket, 8+4*entry)), max(minMax, 4*nextPow2(max(entries, 1)))
}

// policyHashSizes sizes the map and variables hashes for the maps that
// annotations add: each CORS origin list is a map whose keys are origins
// (quoted; regexes are not hashed), each rate limit allow list a geo
// and a map, each a variable, and the maps of shared servers have their
// hosts. The templates' own maps have short keys.
func policyHashSizes(p httpPolicyView, log *accessLogView, shared []sharedMapView) hashSizesView {
	entries, longest := 4, 32
	if log != nil {
		entries = max(entries, len(log.SkipURLs))
		for _, u := range log.SkipURLs {
			longest = max(longest, len(u)-len(`""`))
		}
	}
	longestVar, variables := 32, fixedVariables
	for _, m := range p.CORSOrigins {
		entries = max(entries, len(m.Origins))
		for _, o := range m.Origins {
			if !strings.HasPrefix(o, "~") {
				longest = max(longest, len(o)-len(`""`))
			}
		}
		variables++
		longestVar = max(longestVar, len(m.Var))
	}
	for _, m := range shared {
		entries = max(entries, len(m.Entries))
		for _, e := range m.Entries {
			longest = max(longest, len(e.Host)-len(`""`))
		}
		variables++
		longestVar = max(longestVar, len(m.Var))
	}
	for _, m := range p.AddedHeaders {
		entries = max(entries, 1)
		variables++
		longestVar = max(longestVar, len(m.Var))
	}
	for _, k := range p.LimitKeys {
		variables += 2
		longestVar = max(longestVar, len(k.Exempt), len(k.Key))
	}
	var v hashSizesView
	v.MapBucket, v.MapMax = hashSizes(entries, longest, 64, 2048)
	v.VariablesBucket, v.VariablesMax = hashSizes(variables, longestVar, 64, 1024)
	return v
}
