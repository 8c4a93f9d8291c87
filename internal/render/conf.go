package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// execute runs the main template on view, on the fast path when it can.
func (r *Renderer) execute(view confView) ([]byte, error) {
	// Configs change little between renders: one allocation, no regrowth.
	conf := make([]byte, 0, int(r.size.Load())+64<<10)
	err := errSlowPath
	if r.exec != nil {
		conf, err = r.exec.execute(conf, mainTemplate, view)
	}
	if errors.Is(err, errSlowPath) {
		buf := bytes.NewBuffer(conf[:0])
		err = r.tmpl.ExecuteTemplate(buf, mainTemplate, view)
		conf = buf.Bytes()
	}
	if err != nil {
		return nil, err
	}
	r.size.Store(int64(len(conf)))
	return conf, nil
}

// stampVersion puts the version of conf where conf holds the placeholder.
// The version is the hash of conf with the placeholder, so equal bytes
// always carry equal versions. conf is changed in place.
func stampVersion(conf []byte) ([]byte, string, error) {
	placeholder := []byte(versionPlaceholder)
	at := bytes.Index(conf, placeholder)
	if at < 0 || bytes.Contains(conf[at+len(placeholder):], placeholder) {
		return nil, "", fmt.Errorf("%s prints the config version %d times, want once", mainTemplate, bytes.Count(conf, placeholder))
	}
	sum := sha256.Sum256(conf)
	version := hex.EncodeToString(sum[:versionLen/2])
	// The version is shorter than the placeholder, which is near the top:
	// close the gap by moving what comes before it, not the megabytes of
	// servers after it.
	end := at + len(placeholder)
	copy(conf[end-len(version):end], version)
	gap := len(placeholder) - len(version)
	copy(conf[gap:], conf[:at])
	return conf[gap:], version, nil
}
