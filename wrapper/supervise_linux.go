//go:build linux

package wrapper

import (
	"log/slog"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/sandbox"
	"github.com/winewarden/winewarden/supervisor"
)

// startSupervised starts a sandbox whose supervised syscalls get their
// response from a supervisor in this process, which writes its events to sink. The
// supervisor is nil only when the sandbox runs degraded without one.
// layers, if set, receives the layers in force before the supervisor's
// first event. network may be nil for observe mode without DNS forwarding.
// stage names what runs ("game", "prefix_init") in the network events.
func startSupervised(spec *sandbox.Spec, stdio sandbox.Stdio, cfg policy.Config, network *networkSetup, stage string, sink func(audit.Event), logger *slog.Logger,
	layers func([]sandbox.Layer)) (*sandbox.Process, *supervisor.Supervisor, error) {
	var netCfg supervisor.NetworkConfig
	if network != nil {
		netCfg = network.config
	}
	var sup *supervisor.Supervisor
	reported := false
	attach := func(l *sandbox.Listener, initPID int, setup sandbox.Report) error {
		if layers != nil {
			layers(setup.Layers)
			reported = true
		}
		var execDirs []string
		if spec.NoNamespaces {
			execDirs = spec.ExecOnlyDirs()
		}
		var err error
		sup, err = supervisor.Start(l, initPID, supervisor.Config{
			Process:          cfg.Process,
			ConnectRateLimit: cfg.Network.ConnectionRateLimit,
			LogDestinations:  cfg.Network.DestinationMonitoring,
			Network:          netCfg,
			Stage:            stage,
			SharedPID:        spec.SharedPID,
			ExecDirs:         execDirs,
			Sink:             sink,
			Logger:           logger,
		})
		if err == nil && network != nil {
			network.current.Store(sup)
		}
		return err
	}
	spec.Supervised = true
	proc, err := sandbox.Start(spec, stdio, attach)
	if err != nil {
		if sup != nil {
			// The failed launch killed the sandbox, so this returns.
			sup.Close()
		}
		return nil, nil, err
	}
	if layers != nil && !reported {
		layers(proc.Report.Layers)
	}
	return proc, sup, nil
}

// waitSupervised waits for a sandbox started by startSupervised. A
// supervisor that stops with an error while processes still run ends the
// sandbox: nothing may keep running unwatched.
func waitSupervised(proc *sandbox.Process, sup *supervisor.Supervisor, logger *slog.Logger) (int, error) {
	if sup == nil {
		return proc.Wait()
	}
	waited := make(chan struct{})
	var code int
	var err error
	go func() {
		code, err = proc.Wait()
		close(waited)
	}()
	select {
	case <-waited:
	case <-sup.Done():
		if supErr := sup.Err(); supErr != nil {
			logger.Error("the supervisor failed; stopping the sandbox", "err", supErr)
			proc.Kill()
		}
		<-waited
	}
	sup.Close()
	return code, err
}
