package wrapper

import (
	"fmt"
	"os"
	"time"
)

// showProgress draws a spinner with msg on a terminal until the returned
// function is called; on anything else it prints nothing.
func showProgress(out *os.File, msg string) func(ok bool) {
	if out == nil || !isTerminal(out) {
		return func(bool) {}
	}
	done := make(chan bool)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		frames := `|/-\`
		start := time.Now()
		tick := time.NewTicker(120 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case ok := <-done:
				result := "done"
				if !ok {
					result = "failed"
				}
				fmt.Fprintf(out, "\r%s: %s (%.1fs)\n", msg, result, time.Since(start).Seconds())
				return
			case <-tick.C:
				fmt.Fprintf(out, "\r%c %s... %.0fs", frames[i%len(frames)], msg, time.Since(start).Seconds())
			}
		}
	}()
	return func(ok bool) {
		done <- ok
		<-finished
	}
}
