package model

// KindIngress is the Kind of routes that come from an Ingress.
const KindIngress = "Ingress"

// Owner names the object that a route comes from: its Kubernetes kind,
// namespace and name. Package builder gives each route exactly one.
type Owner struct {
	Kind string
	Ref
}

// String is "namespace/name" for an Ingress and "Kind/namespace/name" for
// any other kind, so no two owners share it. Render names nginx objects
// (rate limit zones, auth caches) by it: Ingresses were the only owners
// once, and keep their names.
func (o Owner) String() string {
	if o.Kind == KindIngress {
		return o.Ref.String()
	}
	return o.Kind + "/" + o.Ref.String()
}
