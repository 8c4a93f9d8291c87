package accesslog

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/model"
)

// auditPrefix starts every record of libmodsecurity's JSON audit log.
var auditPrefix = []byte(`{"transaction":`)

// auditRecord is what archway reads of a libmodsecurity JSON audit
// record; everything else (the response body among it) is dropped.
type auditRecord struct {
	Transaction struct {
		Time     string `json:"time_stamp"`
		ClientIP string `json:"client_ip"`
		ID       string `json:"unique_id"`
		Request  struct {
			Method string `json:"method"`
			URI    string `json:"uri"`
		} `json:"request"`
		Response struct {
			Status int `json:"http_code"`
		} `json:"response"`
		Producer struct {
			Engine string `json:"secrules_engine"`
		} `json:"producer"`
		Messages []struct {
			Message string `json:"message"`
			Details struct {
				RuleID string `json:"ruleId"`
				Data   string `json:"data"`
			} `json:"details"`
		} `json:"messages"`
	} `json:"transaction"`
}

// AuditEntry is one line of archway's WAF audit log: a request on which
// ModSecurity rules matched, with the Ingress that routed it (the start of
// the transaction ID, which render sets to "namespace/ingress/...").
type AuditEntry struct {
	Time          string      `json:"time"`
	Log           string      `json:"log"` // always "modsecurity"
	Namespace     string      `json:"namespace"`
	Ingress       string      `json:"ingress"`
	Transaction   string      `json:"transaction"`
	Client        string      `json:"client"`
	Method        string      `json:"method"`
	URI           string      `json:"uri"`
	Status        int         `json:"status"`
	Action        string      `json:"action"` // metrics.WAFBlocked or metrics.WAFDetected
	Rules         []AuditRule `json:"rules"`
	transactionOK bool
}

// AuditRule is a rule that matched.
type AuditRule struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Data    string `json:"data,omitempty"`
}

// parseAudit reads a record; ok is false for a record without a matched
// rule (a 5xx response) or one that is not JSON.
func parseAudit(line []byte) (AuditEntry, bool) {
	var r auditRecord
	if json.Unmarshal(line, &r) != nil || len(r.Transaction.Messages) == 0 {
		return AuditEntry{}, false
	}
	t := r.Transaction
	e := AuditEntry{Time: auditTime(t.Time), Log: "modsecurity", Transaction: t.ID, Client: t.ClientIP, Method: t.Request.Method,
		URI: t.Request.URI, Status: t.Response.Status, Action: metrics.WAFDetected}
	if t.Producer.Engine == "Enabled" && t.Response.Status == 403 {
		e.Action = metrics.WAFBlocked
	}
	if ns, rest, ok := strings.Cut(t.ID, "/"); ok {
		if name, _, ok := strings.Cut(rest, "/"); ok && ns != "" && name != "" && validName(ns, false) && validName(name, false) {
			e.Namespace, e.Ingress, e.transactionOK = ns, name, true
		}
	}
	for _, m := range t.Messages {
		e.Rules = append(e.Rules, AuditRule{ID: m.Details.RuleID, Message: m.Message, Data: m.Details.Data})
	}
	return e, true
}

// auditTime rewrites libmodsecurity's time ("Sat Dec  5 02:07:40 2026",
// local time) as RFC 3339; a time it cannot read stays as it is.
func auditTime(s string) string {
	t, err := time.ParseInLocation(time.ANSIC, s, time.Local)
	if err != nil {
		return s
	}
	return t.Format(time.RFC3339)
}

// Audit turns libmodsecurity's audit records into archway's audit log
// lines, written to W, and into archway_waf_requests_total.
type Audit struct {
	W       io.Writer
	Metrics *metrics.Metrics
}

// Take handles a line of nginx's stdout (without its newline) that is an
// audit record, and reports whether it was one (nginx.Options.Audit).
func (a *Audit) Take(line []byte) bool {
	if !bytes.HasPrefix(line, auditPrefix) {
		return false
	}
	e, ok := parseAudit(line)
	if !ok {
		return true
	}
	if e.transactionOK {
		a.Metrics.ObserveWAF(model.Ref{Namespace: e.Namespace, Name: e.Ingress}, e.Action)
	}
	if out, err := json.Marshal(e); err == nil {
		_, _ = a.W.Write(append(out, '\n'))
	}
	return true
}
