package ingressclass

import (
	"testing"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMatches(t *testing.T) {
	const controller = "archway.dev/ingress-controller"
	classes := map[string]*networkingv1.IngressClass{
		"archway": {ObjectMeta: metav1.ObjectMeta{Name: "archway"},
			Spec: networkingv1.IngressClassSpec{Controller: controller}},
		"stolen": {ObjectMeta: metav1.ObjectMeta{Name: "stolen"},
			Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}},
		"nginx": {ObjectMeta: metav1.ObjectMeta{Name: "nginx"},
			Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}},
	}
	archway := Selector{IngressClass: "archway", ControllerClass: controller}
	withoutClass := Selector{IngressClass: "archway", ControllerClass: controller, WatchWithoutClass: true}
	// "stolen" is an IngressClass whose name this instance uses but whose
	// controller is someone else's.
	stolen := Selector{IngressClass: "stolen", ControllerClass: controller}

	tests := map[string]struct {
		className  *string
		annotation *string
		sel        Selector
		want       bool
	}{
		"class name and controller match":               {className: ptr("archway"), sel: archway, want: true},
		"class name of another class":                   {className: ptr("nginx"), sel: archway},
		"IngressClass names another controller":         {className: ptr("stolen"), sel: stolen},
		"class name of an unknown class":                {className: ptr("ghost"), sel: Selector{IngressClass: "ghost", ControllerClass: controller}},
		"class name wins over matching annotation":      {className: ptr("nginx"), annotation: ptr("archway"), sel: archway},
		"class name wins over foreign annotation":       {className: ptr("archway"), annotation: ptr("nginx"), sel: archway, want: true},
		"class name is not a class-less Ingress":        {className: ptr("nginx"), sel: withoutClass},
		"legacy annotation matches":                     {annotation: ptr("archway"), sel: archway, want: true},
		"legacy annotation needs no IngressClass":       {annotation: ptr("ghost"), sel: Selector{IngressClass: "ghost", ControllerClass: controller}, want: true},
		"legacy annotation of another class":            {annotation: ptr("nginx"), sel: archway},
		"legacy annotation is not a class-less Ingress": {annotation: ptr("nginx"), sel: withoutClass},
		"no class without watch-without-class":          {sel: archway},
		"no class with watch-without-class":             {sel: withoutClass, want: true},
		"empty class name counts as no class":           {className: ptr(""), sel: withoutClass, want: true},
		"empty class name falls back to annotation":     {className: ptr(""), annotation: ptr("archway"), sel: archway, want: true},
		"empty annotation counts as no class":           {annotation: ptr(""), sel: withoutClass, want: true},
		"empty class name never matches empty selector": {className: ptr(""), sel: Selector{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ing := &networkingv1.Ingress{
				ObjectMeta: metav1.ObjectMeta{Name: "i", Namespace: "web"},
				Spec:       networkingv1.IngressSpec{IngressClassName: tc.className},
			}
			if tc.annotation != nil {
				ing.Annotations = map[string]string{LegacyAnnotation: *tc.annotation}
			}
			require.Equal(t, tc.want, Matches(ing, classes, tc.sel))
		})
	}
}

func TestMatchesWithoutClasses(t *testing.T) {
	ing := &networkingv1.Ingress{Spec: networkingv1.IngressSpec{IngressClassName: ptr("archway")}}
	require.False(t, Matches(ing, nil, Selector{IngressClass: "archway", ControllerClass: "c"}))
}

func ptr(s string) *string { return &s }
