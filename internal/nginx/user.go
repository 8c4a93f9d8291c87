package nginx

import (
	"os"
	"os/user"
)

// WorkerUser returns the user and group nginx's workers should run as:
// nobody and nobody's own group when archway runs as root, nothing otherwise
// (nginx can only switch users as root). nginx takes the group from the
// user's name unless told, and Debian has no "nobody" group, so the group is
// looked up.
func WorkerUser() (name, group string) {
	if os.Geteuid() != 0 {
		return "", ""
	}
	name = "nobody"
	if u, err := user.Lookup(name); err == nil {
		if g, err := user.LookupGroupId(u.Gid); err == nil {
			group = g.Name
		}
	}
	return name, group
}
