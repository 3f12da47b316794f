//go:build linux

package supervisor

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/sandbox"
)

// Config holds the rules one supervisor enforces and the sink for its events.
type Config struct {
	Process policy.Process
	// ConnectRateLimit is the number of connection attempts per second one
	// process may make; zero means DefaultConnectRateLimit.
	ConnectRateLimit int
	// LogDestinations writes a network event for each connection attempt;
	// the rate limit applies either way.
	LogDestinations bool
	Network         NetworkConfig
	// Stage names what the sandbox runs, such as "game" or "prefix_init",
	// in the stage field of network anomalies and the network summary, so
	// that what Wine does while it creates a prefix is not held against
	// the game.
	Stage string
	// SharedPID: the sandbox shares the supervisor's pid namespace
	// (sandbox.Spec.SharedPID), so its pids are the supervisor's own.
	SharedPID bool
	// ExecDirs are, for a sandbox without a mount view, the directories
	// Landlock lets it execute from but never write: a program inside one
	// counts as read-only, as one on a read-only mount does.
	ExecDirs []string
	// Sink receives every event, from one goroutine, in order.
	Sink   func(audit.Event)
	Logger *slog.Logger
}

// DefaultConnectRateLimit is the per-process limit on connection attempts
// per second when the configuration sets none.
const DefaultConnectRateLimit = 1000

// Supervisor responds to the seccomp notifications of one sandbox.
type Supervisor struct {
	cfg      Config
	listener *sandbox.Listener
	table    *table
	events   *eventQueue
	log      *slog.Logger

	limits forkLimiter
	rates  rateReporter
	names  *nameStore
	stats  *netStats
	// dnsClients names the processes behind queries the forwarder reports.
	dnsClients dnsClientTable
	// workers counts goroutines finishing emulated calls that may block;
	// workerSlots bounds how many block at once.
	workers     sync.WaitGroup
	workerSlots chan struct{}
	handled     atomic.Int64
	// unverified counts allowed execs whose result could not be compared
	// with the approval, because the process ended first.
	unverified atomic.Int64

	done chan struct{}
	err  error
	wg   sync.WaitGroup
	stop chan struct{}
}

// Start takes over the listener of the sandbox whose init stage has host
// pid initPID and responds to its notifications until the last sandboxed
// process has exited. It owns the listener from then on.
func Start(l *sandbox.Listener, initPID int, cfg Config) (*Supervisor, error) {
	if cfg.Sink == nil {
		return nil, errors.New("supervisor: no event sink")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ConnectRateLimit <= 0 {
		cfg.ConnectRateLimit = DefaultConnectRateLimit
	}
	switch cfg.Network.Mode {
	case "":
		cfg.Network.Mode = ModeObserve
	case ModeObserve, ModeOffline:
	case ModeRestrict:
		if !cfg.Network.DNSUDP.IsValid() || !cfg.Network.DNSTCP.IsValid() {
			return nil, errors.New("supervisor: restrict mode needs the DNS forwarder's addresses")
		}
	default:
		return nil, fmt.Errorf("supervisor: invalid network mode %q", cfg.Network.Mode)
	}
	if cfg.Process.MaxChildProcesses <= 0 {
		cfg.Process.MaxChildProcesses = policy.Default().Process.MaxChildProcesses
	}
	t, err := newTable(initPID, cfg.SharedPID)
	if err != nil {
		return nil, fmt.Errorf("supervisor: %w", err)
	}
	s := &Supervisor{
		cfg: cfg, listener: l, table: t, log: cfg.Logger,
		events: newEventQueue(cfg.Sink),
		names:  newNameStore(), stats: newNetStats(),
		workerSlots: make(chan struct{}, maxEmulationWorkers),
		done:        make(chan struct{}), stop: make(chan struct{}),
	}
	s.rates.init()
	if err := l.SetSyncWakeUp(); err != nil {
		cfg.Logger.Debug("seccomp synchronous wake-up not available", "err", err)
	}
	s.wg.Add(1)
	go s.tick()
	go s.loop()
	return s, nil
}

// Done is closed when the supervisor has stopped: the sandbox is empty, or
// the supervisor failed (see Err).
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// Err returns why the supervisor stopped early, or nil once the sandbox
// ended normally. Valid after Done is closed.
func (s *Supervisor) Err() error { return s.err }

// Close waits for the supervisor to stop, writes its remaining events and
// a summary, and closes the listener. The caller must have ended the
// sandbox first, or Close waits for it.
func (s *Supervisor) Close() {
	<-s.done
	close(s.stop)
	s.wg.Wait()
	s.waitWorkers()
	s.rates.flush(s)
	s.limits.flush(s)
	for _, p := range s.table.reap(nil) {
		s.exitEvent(p)
	}
	summary := s.stats.summary()
	summary.Fields["stage"] = s.cfg.Stage
	s.events.Put(summary)
	s.events.Put(audit.Event{Kind: audit.KindLayer, Layer: "supervisor", Detail: "supervisor summary",
		Fields: map[string]any{"notifications": s.handled.Load(), "unverified_execs": s.unverified.Load()}})
	s.events.Close()
	s.listener.Close()
}

// waitWorkers waits a moment for emulated calls still running. Their
// callers are gone once the sandbox is empty. A connect that the kernel
// keeps retrying is left to time out on its own, and its late response
// then fails on the closed listener.
func (s *Supervisor) waitWorkers() {
	done := make(chan struct{})
	go func() {
		s.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		s.log.Debug("emulated network calls still running at the end of the session")
	}
}

func (s *Supervisor) loop() {
	defer close(s.done)
	// One thread receives and responds, so the kernel's synchronous
	// wake-up always finds the same waiter.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var req sandbox.Request
	for {
		ready, err := s.listener.Wait()
		if err != nil {
			s.err = err
			return
		}
		if !ready {
			return
		}
		if err := s.listener.Receive(&req); err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINTR) {
				continue
			}
			s.err = fmt.Errorf("receiving a seccomp notification: %w", err)
			return
		}
		s.handled.Add(1)
		s.handle(&req)
	}
}

// handle responds to one notification. Every path ends in exactly one
// response, and a response to a thread that is gone is not an error.
func (s *Supervisor) handle(req *sandbox.Request) {
	call, args, err := decode(req)
	if err != nil {
		s.answer(s.listener.Deny(req.ID, unix.EFAULT))
		return
	}
	switch call {
	case callExecve, callExecveat:
		s.handleExec(req, call, args)
	case callFork:
		s.handleFork(req)
	case callConnect, callSendto, callSendmsg, callSendmmsg:
		s.handleNetwork(req, call, args)
	default:
		// The filter sends nothing else; refuse rather than guess.
		s.log.Error("unexpected supervised syscall", "syscall", req.Nr, "arch", req.Arch)
		s.answer(s.listener.Deny(req.ID, unix.ENOSYS))
	}
}

func (s *Supervisor) answer(err error) {
	if err != nil && !errors.Is(err, sandbox.ErrNotificationGone) {
		s.log.Error("responding to a seccomp notification failed", "err", err)
	}
}

// tick runs once a second: rate-limit and process-limit summaries.
func (s *Supervisor) tick() {
	defer s.wg.Done()
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-ticker.C:
			s.rates.flush(s)
			s.limits.flush(s)
			s.reapExited()
		}
	}
}

// reapExited writes a process_exit event for every process that left the
// sandbox since the last look.
func (s *Supervisor) reapExited() {
	_, live, err := s.table.liveCount()
	if err != nil {
		return
	}
	for _, p := range s.table.reap(live) {
		s.exitEvent(p)
	}
}

func (s *Supervisor) exitEvent(p *process) {
	e := audit.Event{Kind: audit.KindProcessExit, Fields: map[string]any{
		"start": p.StartedAt.UTC().Format(time.RFC3339Nano), "exe": quote(p.Exe), "argv": quoteAll(p.Argv),
	}}
	if p.Unverified != "" {
		e.Fields["unverified_exec"] = quote(p.Unverified)
	}
	s.table.mu.Lock()
	code, sig, ok := exitStatus(p.pidfd)
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
		p.pidfd = -1
	}
	s.table.mu.Unlock()
	if ok {
		if sig != 0 {
			e.Signal = unix.SignalName(sig)
		} else {
			e.ExitCode = &code
		}
	}
	s.emit(p, e)
}

// emit queues an event about process p: its pid and parent's pid in the
// sandbox, its image (unless e names one, as a program start does) and the
// images of its ancestors, oldest first.
func (s *Supervisor) emit(p *process, e audit.Event) {
	if p != nil {
		s.table.mu.Lock()
		e.PID = p.NSPID
		if e.Image == "" {
			e.Image = quote(p.name())
		}
		if e.Fields == nil {
			e.Fields = map[string]any{}
		}
		var chain []string
		if p.Parent != nil {
			chain = p.Parent.chain()
		}
		e.Fields["chain"] = quoteAll(chain)
		// Anomalies name their stage, and so does everything of a stage
		// other than the game's, such as the prefix creation.
		if s.cfg.Stage != "" && (e.Kind == audit.KindNetworkAnomaly || s.cfg.Stage != "game") {
			e.Fields["stage"] = s.cfg.Stage
		}
		e.Fields["ppid"] = p.NSPPID
		s.table.mu.Unlock()
	}
	s.events.Put(e)
}
