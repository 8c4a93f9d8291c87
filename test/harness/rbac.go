package harness

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// ChartRulesDir holds the RBAC rules that the Helm chart ships and the
// tests bind archway to.
const ChartRulesDir = "deploy/helm/archway/files"

// LoadRules reads a YAML list of RBAC rules.
func LoadRules(path string) ([]rbacv1.PolicyRule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("RBAC rules: %w", err)
	}
	var rules []rbacv1.PolicyRule
	if err := yaml.UnmarshalStrict(data, &rules); err != nil {
		return nil, fmt.Errorf("RBAC rules %s: %w", path, err)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("RBAC rules %s: empty", path)
	}
	return rules, nil
}

// BindRules grants a the cluster rules everywhere and the role rules in
// its own namespace, the way the chart's ClusterRole, Role and bindings
// do, and waits until the API server's authorizer has seen the bindings.
func BindRules(ctx context.Context, client kubernetes.Interface, a Account, clusterRules, roleRules []rbacv1.PolicyRule) error {
	meta := metav1.ObjectMeta{Name: a.Name}
	subjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: a.Namespace, Name: a.Name}}
	rbac := client.RbacV1()
	if _, err := rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: meta, Rules: clusterRules}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create ClusterRole %s: %w", a.Name, err)
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: meta, Subjects: subjects,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: a.Name},
	}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create ClusterRoleBinding %s: %w", a.Name, err)
	}
	if _, err := rbac.Roles(a.Namespace).Create(ctx, &rbacv1.Role{ObjectMeta: meta, Rules: roleRules}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create Role %s: %w", a.Name, err)
	}
	if _, err := rbac.RoleBindings(a.Namespace).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: meta, Subjects: subjects,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: a.Name},
	}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create RoleBinding %s: %w", a.Name, err)
	}
	// The authorizer reads bindings from its own cache; the last rule
	// written is the last one it learns of.
	last := roleRules[len(roleRules)-1]
	probe := authorizationv1.ResourceAttributes{
		Namespace: a.Namespace, Verb: last.Verbs[0], Group: last.APIGroups[0], Resource: last.Resources[0],
	}
	return Eventually(10*time.Second, 50*time.Millisecond, func() error {
		ok, err := Allowed(ctx, client, a, probe)
		if err == nil && !ok {
			err = fmt.Errorf("%s may not yet %s %s", a.Name, probe.Verb, probe.Resource)
		}
		return err
	})
}

// Allowed asks the API server's authorizer whether a may do what attrs
// describe.
func Allowed(ctx context.Context, client kubernetes.Interface, a Account, attrs authorizationv1.ResourceAttributes) (bool, error) {
	u := a.user()
	review, err := client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User: u.name, Groups: append(u.groups, "system:authenticated"), ResourceAttributes: &attrs,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("SubjectAccessReview: %w", err)
	}
	return review.Status.Allowed, nil
}

// WithoutVerb returns rules with verb removed for one resource of group,
// splitting rules that also cover other resources.
func WithoutVerb(rules []rbacv1.PolicyRule, group, resource, verb string) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, r := range rules {
		if !slices.Contains(r.APIGroups, group) || !slices.Contains(r.Resources, resource) || !slices.Contains(r.Verbs, verb) {
			out = append(out, r)
			continue
		}
		others := *r.DeepCopy()
		others.Resources = slices.DeleteFunc(others.Resources, func(s string) bool { return s == resource })
		if len(others.Resources) > 0 {
			out = append(out, others)
		}
		reduced := *r.DeepCopy()
		reduced.Resources = []string{resource}
		reduced.Verbs = slices.DeleteFunc(reduced.Verbs, func(s string) bool { return s == verb })
		if len(reduced.Verbs) > 0 {
			out = append(out, reduced)
		}
	}
	return out
}
