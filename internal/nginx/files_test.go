package nginx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/render"
)

func TestInspect(t *testing.T) {
	conf := render.File{Name: render.ConfigFile, Data: []byte("events {}"), Mode: 0o644}
	tests := map[string]struct {
		files   []render.File
		wantErr string
	}{
		"config alone":       {files: []render.File{conf}},
		"config and key":     {files: []render.File{conf, {Name: "certs/a.key", Data: []byte("k"), Mode: 0o600}}},
		"no config":          {files: []render.File{{Name: "a.crt"}}, wantErr: "no nginx.conf"},
		"parent escape":      {files: []render.File{conf, {Name: "../a.crt"}}, wantErr: "not a clean path"},
		"absolute path":      {files: []render.File{conf, {Name: "/etc/passwd"}}, wantErr: "not a clean path"},
		"unclean path":       {files: []render.File{conf, {Name: "certs//a.crt"}}, wantErr: "not a clean path"},
		"empty name":         {files: []render.File{conf, {Name: ""}}, wantErr: "not a clean path"},
		"duplicate":          {files: []render.File{conf, conf}, wantErr: "duplicate"},
		"candidate name":     {files: []render.File{conf, {Name: candidateFile}}, wantErr: "reserved"},
		"status socket name": {files: []render.File{conf, {Name: render.StatusSocket}}, wantErr: "reserved"},
		"private dir":        {files: []render.File{conf, {Name: render.PrivateDir}}, wantErr: "reserved"},
		"lock file":          {files: []render.File{conf, {Name: LockFile}}, wantErr: "reserved"},
		"in the private dir": {files: []render.File{conf, {Name: render.EndpointsSocket}}, wantErr: "reserved"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, got, err := inspect(render.Output{Version: "v1", Files: tc.files})
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, conf.Data, got)
		})
	}
}

func TestInspectDigest(t *testing.T) {
	base := render.Output{Version: "v1", Files: []render.File{
		{Name: render.ConfigFile, Data: []byte("events {}"), Mode: 0o644},
		{Name: "a.key", Data: []byte("key"), Mode: 0o600},
	}}
	tests := map[string]struct {
		change func(*render.Output)
		same   bool
	}{
		"equal output":  {change: func(*render.Output) {}, same: true},
		"other bytes":   {change: func(o *render.Output) { o.Files[1].Data = []byte("kez") }},
		"other mode":    {change: func(o *render.Output) { o.Files[1].Mode = 0o644 }},
		"other name":    {change: func(o *render.Output) { o.Files[1].Name = "b.key" }},
		"other version": {change: func(o *render.Output) { o.Version = "v2" }},
		"bytes shifted": {change: func(o *render.Output) { o.Files[1].Name, o.Files[1].Data = "a.ke", []byte("ykey") }},
	}
	want, _, err := inspect(base)
	require.NoError(t, err)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out := render.Output{Version: base.Version, Files: append([]render.File(nil), base.Files...)}
			tc.change(&out)
			got, _, err := inspect(out)
			require.NoError(t, err)
			require.Equal(t, tc.same, got == want)
		})
	}
}

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, writeFile(dir, "sub/f", []byte("old"), 0o644, -1))
	require.NoError(t, writeFile(dir, "sub/f", []byte("new"), 0o600, -1))

	data, err := os.ReadFile(filepath.Join(dir, "sub/f"))
	require.NoError(t, err)
	require.Equal(t, "new", string(data))
	info, err := os.Stat(filepath.Join(dir, "sub/f"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	entries, err := os.ReadDir(filepath.Join(dir, "sub"))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temp file may be left behind")
}
