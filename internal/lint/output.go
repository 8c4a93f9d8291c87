package lint

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteJSON writes r as one indented JSON object.
func WriteJSON(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r for people: each object with findings, its findings
// below it, then the totals.
func WriteText(w io.Writer, r Result) error {
	bw := bufio.NewWriter(w)
	for i, f := range r.Findings {
		if i == 0 || !sameObject(r.Findings[i-1], f) {
			fmt.Fprintf(bw, "%s %s\n", f.Kind, objectName(f))
		}
		field := f.Field
		if field == "" {
			field = "(the object)"
		}
		fmt.Fprintf(bw, "  %-7s %s: %s\n", f.Severity, field, f.Reason)
		fmt.Fprintf(bw, "          %s\n", f.Message)
		if f.Fix != "" {
			fmt.Fprintf(bw, "          fix: %s\n", f.Fix)
		}
	}
	if len(r.Unchecked) > 0 {
		fmt.Fprintf(bw, "not checked, as the files do not hold them (lint the cluster with --kubeconfig to check): %s\n",
			strings.Join(r.Unchecked, ", "))
	}
	linted := count(r.Ingresses, "Ingress", "Ingresses")
	if r.ConfigMap != "" {
		linted += " and ConfigMap " + r.ConfigMap
	}
	fmt.Fprintf(bw, "linted %s: %s, %s, %s\n", linted, count(r.Errors, "error", "errors"),
		count(r.Warnings, "warning", "warnings"), count(r.Infos, "info", "infos"))
	return bw.Flush()
}

// count is "1 error", "2 errors".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func sameObject(a, b Finding) bool {
	return a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name
}

// objectName is namespace/name, or the name alone (a file's path).
func objectName(f Finding) string {
	if f.Namespace == "" {
		return f.Name
	}
	return f.Namespace + "/" + f.Name
}
