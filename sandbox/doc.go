// Package sandbox holds the kernel mechanisms of a WineWarden sandbox and
// nothing else. These are user, mount, pid, ipc and uts namespaces, the mount
// view built on a fresh tmpfs root, Landlock, the seccomp filter, capability
// dropping, and the init stage that runs as pid 1 inside the namespaces.
//
// The wrapper decides what the sandbox should look like and describes it in a
// Spec. Start re-executes the current binary as the init stage with the Spec
// on an inherited file descriptor; the init stage applies the Spec in a fixed
// order (mount view, hostname, capabilities, no_new_privs, Landlock, seccomp
// last), reports which layers are in force, and starts the target.
//
// Go's runtime is multi-threaded, so namespaces are only ever created through
// the clone flags of a re-executed child, never by unshare inside a running Go
// process. This is the only package allowed to use cgo or unsafe.
package sandbox
