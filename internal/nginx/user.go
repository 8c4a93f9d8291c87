package nginx

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
)

// workerName is the user nginx's workers run as when archway is root.
const workerName = "nobody"

// WorkerUser returns the user and group nginx's workers should run as:
// nobody and nobody's own group when archway runs as root, nothing otherwise
// (nginx can only switch users as root). nginx takes the group from the
// user's name unless told, and Debian has no "nobody" group, so the group is
// looked up.
func WorkerUser() (name, group string) {
	if os.Geteuid() != 0 {
		return "", ""
	}
	name = workerName
	if u, err := user.Lookup(name); err == nil {
		if g, err := user.LookupGroupId(u.Gid); err == nil {
			group = g.Name
		}
	}
	return name, group
}

// workerIdentity is who nginx's workers are when they are not archway's
// user, for checking which paths they can reach.
type workerIdentity struct {
	name string
	uid  uint32
	gids []uint32 // the primary group and the others (nginx calls initgroups)
}

// lookupWorker returns the workers' identity, or nil when they run as
// archway's own user.
func lookupWorker() (*workerIdentity, error) {
	name, _ := WorkerUser()
	if name == "" {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("nginx's worker user: %w", err)
	}
	ids, err := u.GroupIds()
	if err != nil {
		ids = nil // no supplementary groups known: the primary one decides
	}
	w := &workerIdentity{name: name}
	for i, id := range append([]string{u.Uid, u.Gid}, ids...) {
		n, err := strconv.ParseUint(id, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("nginx's worker user %s: id %q: %w", name, id, err)
		}
		if i == 0 {
			w.uid = uint32(n)
		} else {
			w.gids = append(w.gids, uint32(n))
		}
	}
	return w, nil
}
