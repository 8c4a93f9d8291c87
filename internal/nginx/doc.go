// Package nginx owns the nginx process: it makes rendered configurations
// live and keeps nginx running.
//
// In: render.Output values (Apply) and a context bounding nginx's life (Run).
// Out: an nginx child process serving the last good configuration, and per
// Apply a Result or an error saying why the new configuration is not live.
//
// Invariants:
//   - A configuration is live only after `nginx -t` accepted it, nginx loaded
//     it, every worker of the previous configuration stopped accepting
//     connections, and the status socket answered its version.
//   - Any failure leaves the previous configuration serving and its bytes in
//     nginx.conf.
//   - Output equal to the live one is a no-op: no write, no signal.
//   - Apply, restarts and the final stop are serialised by one mutex.
//   - nginx runs in its own process group; when its master exits, the whole
//     group is killed, so no orphaned worker keeps ports or old routes.
//
// Linux only: worker retirement is observed through /proc.
package nginx
