package reason

import (
	"fmt"
	"strings"
)

//go:generate go test -run TestDocsUpToDate -update .

// Markdown returns docs/reasons.md: every Reason with its description.
func Markdown() []byte {
	var b strings.Builder
	b.WriteString(`# Reasons

<!-- Generated from internal/reason/reason.go by ` + "`go generate ./internal/reason`" + `; do not edit. -->

Every problem archway reports carries one of these reasons: in its log line
(` + "`reason=`" + `), as the reason of the Warning Event on the object, and as the
` + "`reason`" + ` label of ` + "`archway_rejected_objects`" + `. They are stable: alert and
filter on them. ` + "`archway lint`" + ` reports the same reasons, and a few of its own.
`)
	section := func(title string, lintOnly bool) {
		fmt.Fprintf(&b, "\n## %s\n\n| Reason | What happened, and what to do |\n|---|---|\n", title)
		for _, d := range Docs {
			if d.LintOnly == lintOnly {
				fmt.Fprintf(&b, "| `%s` | %s |\n", d.Reason, d.Description)
			}
		}
	}
	section("Problems (log lines, Events, metrics)", false)
	section("Only from archway lint", true)
	return []byte(b.String())
}
