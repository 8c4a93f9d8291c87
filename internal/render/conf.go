package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sync"
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
// The version is the hash of conf with the placeholder (contentHash), so
// equal bytes always carry equal versions. conf is changed in place.
func stampVersion(conf []byte) ([]byte, string, error) {
	placeholder := []byte(versionPlaceholder)
	at := bytes.Index(conf, placeholder)
	if at < 0 || bytes.Contains(conf[at+len(placeholder):], placeholder) {
		return nil, "", fmt.Errorf("%s prints the config version %d times, want once", mainTemplate, bytes.Count(conf, placeholder))
	}
	sum := contentHash(conf)
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

// hashBlock is the size of the blocks of contentHash.
const hashBlock = 1 << 20

// contentHash returns the SHA-256 of data up to a block, else the SHA-256
// of the SHA-256 sums of its blocks of hashBlock bytes (the last one
// shorter), in order, hashed on every CPU: a large nginx.conf takes
// milliseconds to hash. The blocks are fixed, so the hash depends on the
// bytes alone, whatever the CPUs (nginx serves the version back to
// archways that restart), and a change of any byte changes its block's
// sum and so the hash.
func contentHash(data []byte) [sha256.Size]byte {
	if len(data) <= hashBlock {
		return sha256.Sum256(data)
	}
	blocks := (len(data) + hashBlock - 1) / hashBlock
	sums := make([]byte, blocks*sha256.Size)
	workers := min(blocks, runtime.GOMAXPROCS(0))
	hash := func(w int) {
		for b := w; b < blocks; b += workers {
			sum := sha256.Sum256(data[b*hashBlock : min(len(data), (b+1)*hashBlock)])
			copy(sums[b*sha256.Size:], sum[:])
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { hash(w) })
	}
	hash(0)
	wg.Wait()
	return sha256.Sum256(sums)
}
