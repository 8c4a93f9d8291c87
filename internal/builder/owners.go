package builder

import "fmt"

// Hosts belong to namespaces. The namespace of the oldest Ingress (in
// olderFirst order) with a rule for a host owns it; canary Ingresses and
// TLS sections own nothing. Only Ingresses of the owner may decide what
// applies to the whole host: its TLS section, its host-scoped annotations
// (server-alias, from-to-www-redirect, auth-tls-*) and its regex paths,
// which nginx tries before Prefix "/" (see package render). Other
// namespaces may still add Exact and Prefix paths that the host does not
// route yet; what they may not decide is ignored and reported.

// hostOwners maps each host ("" for rules without a host) to its owner
// namespace; www names made by from-to-www-redirect belong to their host's
// owner.
type hostOwners map[string]string

// claim makes namespace the owner of host unless an older Ingress's
// namespace is; Ingresses claim in olderFirst order.
func (o hostOwners) claim(host, namespace string) {
	if _, taken := o[host]; !taken {
		o[host] = namespace
	}
}

// notOwned explains to an Ingress of another namespace than host's owner
// why what it asked for is ignored.
func notOwned(host, what string) string {
	return fmt.Sprintf("host %q belongs to another namespace, whose Ingress for it is older: only that namespace may set %s for it", host, what)
}
