// Package supervisor responds to the seccomp user notifications of one sandbox.
// It runs in the wrapper process, outside every namespace of the sandbox,
// and receives each program start (execve, execveat), each new process (fork,
// vfork, clone without CLONE_THREAD) and each connection attempt (connect,
// and sendto, sendmsg or sendmmsg with a destination), for both the x86_64
// and the i386 ABI.
//
// It exists because the kernel layers (namespaces, mount view, Landlock,
// seccomp deny rules) say what a game cannot do, but not what it tried.
// The supervisor turns those syscalls into decisions and events: [process]
// rules for program starts, the max_child_processes limit, a per-process
// connection rate limit, a process tree with Windows images, and network
// destinations.
//
// What it assumes and how it stays safe:
//
//   - It reads the caller's memory with process_vm_readv and its /proc
//     entries by pid, in bounded copies, and checks that the notification is
//     still valid afterwards; only then do the copies belong to the waiting
//     thread. This needs ptrace access to the sandbox, which the same user
//     has (Yama's ptrace_scope up to 1 allows it for descendants).
//   - A denial responds with a positive errno (EACCES, EAGAIN, ECONNREFUSED)
//     that the kernel returns as a failure. Nothing is emulated here.
//   - An allowed exec must continue in the kernel, which reads the path
//     again. The post-exec check (execcheck_linux.go) compares what then
//     runs with what was approved and kills a mismatch; Landlock's execute
//     rule remains the hard layer.
//   - Network destinations are observed, not enforced: the kernel reads the
//     address again after the response.
//   - Events leave through one bounded queue. The supervisor never waits for
//     the disk; an overflow is counted and reported as events_dropped.
//   - If the wrapper process dies, the kernel kills the sandbox (the init
//     stage has PR_SET_PDEATHSIG), so no sandboxed process outlives its
//     supervisor. A supervisor that stops with an error makes the wrapper
//     kill the sandbox.
package supervisor
