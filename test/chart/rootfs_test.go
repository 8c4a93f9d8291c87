package chart

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The image's account, as the Dockerfile's USER and the chart's
// runAsUser and runAsGroup name it.
const (
	imageUser  = "archway:x:101:101:archway:/nonexistent:/usr/sbin/nologin"
	imageGroup = "archway:x:101:"
)

// TestRootfsAccounts checks the image's /etc/passwd and /etc/group
// (rootfs/etc, which replace debian:12-slim's): Debian 12's base accounts,
// as this Debian 12 host's base-passwd lists them (with "x" for the
// shadowed password, as installed), then archway's account, whose ids the
// Dockerfile and the chart use.
func TestRootfsAccounts(t *testing.T) {
	root := repoRoot(t)
	for _, tc := range []struct{ file, master, archway string }{
		{"passwd", "passwd.master", imageUser},
		{"group", "group.master", imageGroup},
	} {
		t.Run(tc.file, func(t *testing.T) {
			master, err := os.ReadFile(filepath.Join("/usr/share/base-passwd", tc.master))
			require.NoError(t, err, "Debian's base-passwd lists the base accounts (a Debian 12 host)")
			var want []string
			for line := range strings.Lines(string(master)) {
				name, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ":*:")
				want = append(want, name+":x:"+rest)
			}
			want = append(want, tc.archway)
			got, err := os.ReadFile(filepath.Join(root, "rootfs", "etc", tc.file))
			require.NoError(t, err)
			require.Equal(t, strings.Join(want, "\n")+"\n", string(got))
		})
	}

	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`(?m)^COPY rootfs/ /$`), string(dockerfile))
	require.Regexp(t, regexp.MustCompile(`(?m)^USER 101:101$`), string(dockerfile))
	require.Regexp(t, regexp.MustCompile(`(?m)^RUN .*\n(?: .*\n)* && install -d -o 101 -g 101 -m 0755 /run/archway$`), string(dockerfile))
	pod := checkWorkload(t, template(t, "archway", "ingress")).pod.Spec.SecurityContext
	for _, id := range []*int64{pod.RunAsUser, pod.RunAsGroup, pod.FSGroup} {
		require.Equal(t, int64(101), *id)
	}
}
