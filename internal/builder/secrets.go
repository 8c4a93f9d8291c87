package builder

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
)

// maxUsers bounds the users of one basic-auth Secret.
const maxUsers = 10000

// secretIndex finds the Secrets that annotations name. The map is built
// on first use: most configurations never look a Secret up.
type secretIndex struct {
	all   []*corev1.Secret
	byRef map[model.Ref]*corev1.Secret
	dups  map[model.Ref]int
	// read are the Secrets get looked up, found or not: what Build read
	// of Secrets besides hosts' certificates (see Renew).
	read map[model.Ref]bool
}

// get returns the Secret ref names for an Ingress of namespace. Secrets of
// other namespaces are refused: any Ingress author could otherwise use
// another team's Secret.
func (s *secretIndex) get(namespace string, ref annotations.SecretRef) (*corev1.Secret, error) {
	if ref.Namespace != "" && ref.Namespace != namespace {
		return nil, fmt.Errorf("Secret %s/%s is in another namespace than the Ingress; only its own namespace is allowed", ref.Namespace, ref.Name)
	}
	key := model.Ref{Namespace: namespace, Name: ref.Name}
	if s.read == nil {
		s.read = map[model.Ref]bool{}
	}
	s.read[key] = true
	return s.find(key)
}

// find returns the Secret named key, unrecorded: the certificates of hosts
// record their own reads.
func (s *secretIndex) find(key model.Ref) (*corev1.Secret, error) {
	if s.byRef == nil {
		s.byRef, s.dups = index(s.all, func(sec *corev1.Secret) model.Ref {
			return model.Ref{Namespace: sec.Namespace, Name: sec.Name}
		})
	}
	if s.dups[key] > 0 {
		return nil, fmt.Errorf("%d Secrets are named %s; none of them is used", s.dups[key], key)
	}
	sec := s.byRef[key]
	if sec == nil {
		return nil, fmt.Errorf("Secret %s not found", key)
	}
	return sec, nil
}

// secretData returns the Secret's data with its stringData merged over
// it, as the API server does on write; a folder of manifests may hold
// either.
func secretData(sec *corev1.Secret) map[string][]byte {
	if len(sec.StringData) == 0 {
		return sec.Data
	}
	data := make(map[string][]byte, len(sec.Data)+len(sec.StringData))
	for k, v := range sec.Data {
		data[k] = v
	}
	for k, v := range sec.StringData {
		data[k] = []byte(v)
	}
	return data
}

// basicAuth reads the users of an auth-secret.
func (s *secretIndex) basicAuth(namespace string, ref annotations.SecretRef, typ annotations.AuthSecretType) (model.BasicAuth, error) {
	sec, err := s.get(namespace, ref)
	if err != nil {
		return model.BasicAuth{}, err
	}
	data := secretData(sec)
	var creds []model.Credential
	switch typ {
	case annotations.AuthMap:
		for user, hash := range data {
			creds = append(creds, model.Credential{User: user, Hash: strings.TrimSpace(string(hash))})
		}
	default:
		file, ok := data["auth"]
		if !ok {
			return model.BasicAuth{}, fmt.Errorf("Secret %s/%s has no key \"auth\" (an htpasswd file)", namespace, ref.Name)
		}
		if creds, err = htpasswd(file); err != nil {
			return model.BasicAuth{}, fmt.Errorf("Secret %s/%s key \"auth\": %w", namespace, ref.Name, err)
		}
	}
	slices.SortFunc(creds, func(a, b model.Credential) int { return cmp.Compare(a.User, b.User) })
	for i, c := range creds {
		if err := checkCredential(c); err != nil {
			return model.BasicAuth{}, fmt.Errorf("Secret %s/%s: %w", namespace, ref.Name, err)
		}
		if i > 0 && creds[i-1].User == c.User {
			return model.BasicAuth{}, fmt.Errorf("Secret %s/%s: user %q appears twice", namespace, ref.Name, c.User)
		}
	}
	switch {
	case len(creds) == 0:
		return model.BasicAuth{}, fmt.Errorf("Secret %s/%s holds no user", namespace, ref.Name)
	case len(creds) > maxUsers:
		return model.BasicAuth{}, fmt.Errorf("Secret %s/%s holds more than %d users", namespace, ref.Name, maxUsers)
	}
	return model.BasicAuth{Credentials: creds}, nil
}

// htpasswd reads "user:hash" lines, skipping blank lines and # comments.
func htpasswd(data []byte) ([]model.Credential, error) {
	var creds []model.Credential
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d is not user:hash", n)
		}
		creds = append(creds, model.Credential{User: user, Hash: hash})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return creds, nil
}

// checkCredential accepts a user of printable ASCII without ':' and a hash
// of printable ASCII without spaces or ':', so every credential is one
// line of the htpasswd file that nginx reads.
func checkCredential(c model.Credential) error {
	printable := func(s, not string) bool {
		return s != "" && len(s) <= 256 && !strings.ContainsFunc(s, func(r rune) bool {
			return r < '!' || r > '~' || strings.ContainsRune(not, r)
		})
	}
	if !printable(c.User, ":") {
		return fmt.Errorf("user %q must be printable ASCII without spaces or ':'", c.User)
	}
	if !printable(c.Hash, ":") {
		return fmt.Errorf("the hash of user %q must be printable ASCII without spaces or ':'", c.User)
	}
	return nil
}

// backendTLS fills t with the certificates of a proxy-ssl-secret: tls.crt
// and tls.key (both or neither) and ca.crt, which proxy-ssl-verify needs.
func (s *secretIndex) backendTLS(namespace string, ref annotations.SecretRef, t *model.BackendTLS) error {
	sec, err := s.get(namespace, ref)
	if err != nil {
		return err
	}
	data := secretData(sec)
	crt, key, ca := data[corev1.TLSCertKey], data[corev1.TLSPrivateKeyKey], data["ca.crt"]
	name := namespace + "/" + ref.Name
	switch {
	case (crt == nil) != (key == nil):
		return fmt.Errorf("Secret %s must hold both tls.crt and tls.key, or neither", name)
	case crt == nil && ca == nil:
		return fmt.Errorf("Secret %s holds neither tls.crt and tls.key nor ca.crt", name)
	case ca == nil && t.Verify:
		return fmt.Errorf("proxy-ssl-verify needs ca.crt in Secret %s", name)
	}
	if crt != nil {
		if _, _, err := keyPair(crt, key); err != nil {
			return fmt.Errorf("Secret %s: %w", name, err)
		}
		t.ClientCertificate, t.ClientKey = crt, key
	}
	if ca != nil {
		if _, err := pemCertificates(ca); err != nil {
			return fmt.Errorf("Secret %s: ca.crt: %w", name, err)
		}
		t.TrustedCA = ca
	}
	return nil
}
