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
	var buf bytes.Buffer
	// Configs change little between renders: one allocation, no regrowth.
	buf.Grow(int(r.size.Load()) + 64<<10)
	err := errSlowPath
	if r.exec != nil {
		err = r.exec.execute(&buf, mainTemplate, view)
	}
	if errors.Is(err, errSlowPath) {
		buf.Reset()
		err = r.tmpl.ExecuteTemplate(&buf, mainTemplate, view)
	}
	if err != nil {
		return nil, err
	}
	r.size.Store(int64(buf.Len()))
	return buf.Bytes(), nil
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
	n := copy(conf[at:], version)
	conf = append(conf[:at+n], conf[at+len(placeholder):]...)
	return conf, version, nil
}
