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
// connection rate limit, a process tree with Windows images, and the network
// policy: destinations with the DNS names they came from (recorded by the
// forwarder in package dnsforward), anomalies, and the observe, offline and
// restrict modes.
//
// What it assumes and how it stays safe:
//
//   - It reads the caller's memory with process_vm_readv and its /proc
//     entries by pid, in bounded copies, and checks that the notification is
//     still valid afterwards; only then do the copies belong to the waiting
//     thread. This needs ptrace access to the sandbox, which the same user
//     has (Yama's ptrace_scope up to 1 allows it for descendants).
//   - A denial responds with a positive errno (EACCES, EAGAIN, ECONNREFUSED)
//     that the kernel returns as a failure.
//   - An allowed exec must continue in the kernel, which reads the path
//     again. The post-exec check (execcheck_linux.go) compares what then
//     runs with what was approved and kills a mismatch; Landlock's execute
//     rule remains the hard layer.
//   - In observe mode destinations are logged, not enforced: the kernel
//     reads the address again after the response. Offline mode is held by
//     the sandbox's own network namespace. Restrict mode never continues a
//     network call. The supervisor copies the socket (pidfd_getfd), the
//     address and the data, checks the copy and makes the call itself
//     (emulate_linux.go, netemulate_linux.go). It does so for every socket
//     family, because a racing thread could otherwise swap the descriptor.
//   - DNS queries to port 53 of any address are sent to the forwarder the
//     same way, in observe and restrict mode.
//   - Events leave through one bounded queue. The supervisor never waits for
//     the disk; an overflow is counted and reported as events_dropped.
//   - If the wrapper process dies, the kernel kills the sandbox (the init
//     stage has PR_SET_PDEATHSIG), so no sandboxed process outlives its
//     supervisor. A supervisor that stops with an error makes the wrapper
//     kill the sandbox.
package supervisor
