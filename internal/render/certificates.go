package render

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/archway-ingress/archway/internal/model"
)

// Certificates of hosts never reach nginx.conf nor the disk: they are
// members of the endpoints payload (see endpoints.go), which nginx keeps in
// shared memory, and the Lua module archway.certificates gives each TLS
// handshake the certificate of its server name (ssl_certificate_by_lua).
// A renewed Secret changes the payload only, so it needs no reload:
//
//	"tls-cert:<id>": "<base64 of the PEM chain and key>"
//	"tls-host:<name>": "<id>"
//
// <id> is a hash of the PEM. A name is a server's host or alias, a
// wildcard host ("*.example.com"; "**.example.com" for one of any depth),
// or "*": the names no server has, which
// the catch-all server answers (model.Config.CatchAllCertificate). The
// empty id sends a name to the default certificate, which the catch-all
// server's ssl_certificate holds: an exact host without a certificate of
// its own gets the default one, not the certificate of the wildcard host
// beside it, as nginx choosing the server by SNI would do, nor the
// catch-all certificate.
const (
	certificateMember = "tls-cert:"
	hostMember        = "tls-host:"
	catchAllHost      = "*"
)

// certificateEntries returns the payload members of the certificates of
// cfg's servers and of its catch-all certificate, sorted by name.
func certificateEntries(cfg model.Config) Endpoints {
	ids := map[*model.Certificate]string{}
	var entries Endpoints
	host := func(name, id string) {
		entries = append(entries, BackendEndpoints{Name: hostMember + name, JSON: []byte(`"` + id + `"`)})
	}
	// idOf returns the id of c, adding its member the first time.
	idOf := func(c *model.Certificate) string {
		id, seen := ids[c]
		if !seen {
			pem := slices.Concat(c.Chain, c.Key)
			sum := sha256.Sum256(pem)
			id = hex.EncodeToString(sum[:versionLen])
			ids[c] = id
			// One allocation of the JSON string: there are thousands.
			json := make([]byte, 0, base64.StdEncoding.EncodedLen(len(pem))+2)
			json = append(base64.StdEncoding.AppendEncode(append(json, '"'), pem), '"')
			entries = append(entries, BackendEndpoints{Name: certificateMember + id, JSON: json})
		}
		return id
	}
	// Suffixes (".example.com") of wildcard hosts with a certificate, of
	// one label and of any depth.
	wildcards, anyDepth := map[string]bool{}, map[string]bool{}
	for _, s := range cfg.Servers {
		if s.Host == "" || s.Certificate == nil {
			continue
		}
		id := idOf(s.Certificate)
		switch {
		case s.AnyDepth:
			anyDepth[s.Host[1:]] = true
		case s.Wildcard():
			wildcards[s.Host[1:]] = true
		}
		host(hostName(s), id)
		for _, alias := range s.Aliases {
			host(alias, id)
		}
	}
	// covered says whether a wildcard with a certificate would answer
	// name, which then needs a member of its own.
	covered := func(name string) bool {
		dot := strings.IndexByte(name, '.')
		if dot < 0 {
			return false
		}
		if wildcards[name[dot:]] {
			return true
		}
		for suffix := name[dot:]; ; { // ".b.example.com", ".example.com", ".com"
			if anyDepth[suffix] {
				return true
			}
			next := strings.IndexByte(suffix[1:], '.')
			if next < 0 {
				return false
			}
			suffix = suffix[next+1:]
		}
	}
	catchAll := cfg.CatchAllCertificate != nil
	if catchAll {
		host(catchAllHost, idOf(cfg.CatchAllCertificate))
	}
	for _, s := range cfg.Servers {
		if s.Host == "" || s.Certificate != nil {
			continue
		}
		for _, name := range append([]string{hostName(s)}, s.Aliases...) {
			if catchAll || covered(name) {
				host(name, "")
			}
		}
	}
	slices.SortFunc(entries, func(a, b BackendEndpoints) int { return strings.Compare(a.Name, b.Name) })
	// Two certificates of equal content are one member.
	return slices.CompactFunc(entries, func(a, b BackendEndpoints) bool { return a.Name == b.Name })
}

// hostName is the member name of s's host: "**.example.com" for a
// wildcard of any depth.
func hostName(s model.Server) string {
	if s.AnyDepth {
		return "*" + s.Host
	}
	return s.Host
}

// WithCertificates returns out, rendered from a model, with the
// certificates of cfg in place of the model's: what Render gives for cfg
// when it differs from that model only in the content of hosts' and the
// catch-all certificates (builder.Renew), which reach neither the files
// nor Version.
func (out Output) WithCertificates(cfg model.Config) Output {
	others := slices.DeleteFunc(slices.Clone(out.Endpoints), func(e BackendEndpoints) bool {
		return strings.HasPrefix(e.Name, certificateMember) || strings.HasPrefix(e.Name, hostMember)
	})
	out.Endpoints = certificateEntries(cfg).Merge(others)
	return out
}
