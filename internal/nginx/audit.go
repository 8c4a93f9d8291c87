package nginx

import "bytes"

// write passes whole lines on to the current stream, but for those that
// audit takes: libmodsecurity writes its audit records to nginx's stdout
// too (render.WAFAuditLog).
func (a *accessLog) write(lines []byte) {
	w := *a.current.Load()
	if a.audit == nil {
		_, _ = w.Write(lines)
		return
	}
	start := 0 // of the lines not written yet
	for at := 0; at < len(lines); {
		end := at + bytes.IndexByte(lines[at:], '\n') + 1
		if a.audit(lines[at : end-1]) {
			if start < at {
				_, _ = w.Write(lines[start:at])
			}
			start = end
		}
		at = end
	}
	if start < len(lines) {
		_, _ = w.Write(lines[start:])
	}
}
