package webhook

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// Certificate serves a key pair from files and reads them again when
// either changes, so that a renewed certificate (cert-manager's, in a
// mounted Secret) is served without a restart.
type Certificate struct {
	certFile, keyFile string

	mu      sync.Mutex
	stamp   [2]time.Time // modification times of the files read
	current *tls.Certificate
}

// NewCertificate reads the key pair once, so that a bad one fails at start.
func NewCertificate(certFile, keyFile string) (*Certificate, error) {
	c := &Certificate{certFile: certFile, keyFile: keyFile}
	if _, err := c.get(); err != nil {
		return nil, err
	}
	return c, nil
}

// GetCertificate is for tls.Config: the key pair, read again when a file
// changed. Should the new files not load (a renewal half written), the
// previous pair keeps serving.
func (c *Certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cert, err := c.get()
	if err != nil && cert == nil {
		return nil, err
	}
	return cert, nil
}

func (c *Certificate) get() (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var stamp [2]time.Time
	for i, name := range []string{c.certFile, c.keyFile} {
		info, err := os.Stat(name)
		if err != nil {
			return c.current, fmt.Errorf("webhook certificate: %w", err)
		}
		stamp[i] = info.ModTime()
	}
	if c.current != nil && stamp == c.stamp {
		return c.current, nil
	}
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return c.current, fmt.Errorf("webhook certificate: %w", err)
	}
	c.current, c.stamp = &pair, stamp
	return c.current, nil
}
