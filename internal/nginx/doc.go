// Package nginx owns the nginx process: it makes rendered configurations
// live and keeps nginx running.
//
// In: render.Output values (Apply) and a context bounding nginx's life (Run).
// Out: an nginx child process serving the last good configuration, and per
// Apply a Result or an error saying why the new configuration is not live.
//
// Invariants:
//   - A configuration is live only after nginx loaded it (`nginx -t` first
//     when nginx must start; a running one reads it once, when it reloads),
//     every worker of the previous configuration stopped accepting
//     connections, and the status socket answered its version. A reload
//     the master refuses ends at once: its log says so (reload.go).
//   - Any failure leaves the previous configuration serving and its bytes in
//     nginx.conf.
//   - Output equal to the live one is a no-op: no write, no signal.
//   - Errors of a config that nginx refused for its content (the reload,
//     nginx -t, or the Lua side refusing the endpoints) wrap ErrRejected;
//     Check finds them (with nginx -t) without a reload or a stored
//     endpoint.
//   - A file an Apply wrote (certificate, htpasswd) is removed once neither
//     the live config nor the one before it names it (gc.go): old keys do
//     not pile up, and draining workers still find their files.
//   - Endpoints reach nginx at runtime, never through a reload: when an
//     Output's files equal the live ones but its Endpoints differ, the
//     backends that differ from what nginx's shared memory holds (and
//     deletions) are pushed to the endpoints socket, and nothing else
//     happens; after a failed push the next one sends the whole set. After
//     every start, restart and reload the whole set is pushed before the
//     config counts as live (or Ready); a restarted nginx that takes no
//     endpoints is stopped and started again.
//   - The endpoints socket lives in a 0700 folder (render.PrivateDir) and
//     is itself 0600: only archway's user and root reach it. Nothing of
//     archway's listens on TCP.
//   - The runtime dir and the folders archway creates in it are 0755, so
//     that workers running as nobody reach their files; OpenRuntimeDir
//     refuses a dir they cannot reach through every parent, and one that
//     another archway holds the lock of.
//   - nginx (re)starts only on the live config's files: a restart or a
//     Resync first writes back whatever of them went missing or changed.
//   - Apply, restarts, Resync and the final stop are serialised by one mutex.
//   - nginx runs in its own process group; when its master exits, the whole
//     group is killed, so no orphaned worker keeps ports or old routes.
//
// Linux only: worker retirement is observed through /proc.
package nginx
