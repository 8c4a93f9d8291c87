// Package dir is the folder Source: Kubernetes manifests in one directory.
//
// In: a directory of *.yaml, *.yml and *.json files at its top level (not
// recursive; hidden files, subdirectories and other names such as editor
// backups are ignored), each holding one or more documents.
// Out: a source.Snapshot read fresh from the files on every call, in file
// name order, and a change signal driven by fsnotify.
// Invariants: a document that cannot be read is reported in
// Snapshot.LoadErrors (which the build turns into Problems, logged once by
// the controller); a file with such an error keeps serving the objects of
// its last version that read without one (while the Source runs), or else
// what of it could be read; the other files are still served. Only an
// unreadable directory makes Snapshot fail. Every event inside the directory signals a change, so
// editors' save-by-rename and Kubernetes ConfigMap volumes (which swap a
// "..data" symlink) are covered; the parent is watched too, so replacing the
// directory itself (deleted and recreated, or a symlink swapped) is noticed.
package dir
