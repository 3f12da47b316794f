package main

// The exec check window benchmark: how long a program swapped in during an
// exec runs before the post-exec check kills it.

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/winewarden/winewarden/audit"
)

var execRaceLine = regexp.MustCompile(
	`OK exec-race rounds=(\d+) exited=(\d+) killed=(\d+) denied=(\d+) other_errno=(\d+) other=(\d+)`)

func (b *bench) execWindowBenchmark() string {
	const title = "Exec check window"
	const goalText = "Goal: a blocked program never runs longer than its window."
	const gameID = "bench-race"
	removeConfig, err := b.writeConfig("[process]\nblocked_patterns = [\"blocked-*\"]\n")
	if err != nil {
		return section(title, goalText, "not measured", "Writing config.toml failed: "+markdownCell(err.Error()), "")
	}
	defer removeConfig()
	// The sandbox shows its virtual home at the real HOME path.
	records := filepath.Join(b.home, "race")
	hostRecords := filepath.Join(b.home, ".local", "share", "winewarden", "virtual", gameID, "home", "race")
	if err := os.MkdirAll(hostRecords, 0o700); err != nil {
		return section(title, goalText, "not measured", "Creating the record directory failed: "+
			markdownCell(err.Error()), "")
	}

	const rounds, tries = 300, 20
	argv := b.inGame(gameID, filepath.Join(b.game, "stress"), "exec-race", filepath.Join(b.game, "allowed-tool"),
		filepath.Join(b.game, "blocked-tool"), strconv.Itoa(rounds), strconv.Itoa(tries), records)
	result, err := runOnce(argv, b.env())
	if err != nil {
		return section(title, goalText, "not measured", "The exec race failed: "+markdownCell(err.Error()), "")
	}
	summary := "The exec race printed no summary line"
	if m := execRaceLine.FindSubmatch(result.stdout); m != nil {
		summary = fmt.Sprintf("Of the %s children of the exec race, %s exited normally, %s were killed, %s saw "+
			"every execve fail with EACCES last, %s saw every execve fail with another errno last, and %s "+
			"ended otherwise",
			m[1], m[2], m[3], m[4], m[5], m[6])
	}
	windows := map[int]time.Duration{}
	var windowList []time.Duration
	path := sessionLogPath(result.stderr)
	if path == "" {
		return section(title, goalText, "not measured", "The wrapper named no session log.", "")
	}
	if _, err := countSessionLog(path, func(e audit.Event) {
		if e.Kind == audit.KindPolicyRace {
			window, _ := e.Fields["window_us"].(float64)
			windows[e.PID] = time.Duration(window) * time.Microsecond
			windowList = append(windowList, windows[e.PID])
		}
	}); err != nil {
		return section(title, goalText, "not measured", markdownCell(err.Error()), "")
	}

	check, err := checkAliveRecords(hostRecords, windows)
	if err != nil {
		return section(title, goalText, "not measured", "Reading the records failed: "+markdownCell(err.Error()), "")
	}

	var t strings.Builder
	t.WriteString("| | count | median | p90 | max |\n|---|---|---|---|---|\n")
	row := func(label string, d []time.Duration) {
		if len(d) == 0 {
			fmt.Fprintf(&t, "| %s | 0 | | | |\n", label)
			return
		}
		fmt.Fprintf(&t, "| %s | %d | %s | %s | %s |\n", label, len(d), us(median(d)), us(percentile(d, 0.9)),
			us(percentile(d, 1)))
	}
	row("policy_race window (fields.window_us)", windowList)
	row("run time of a blocked program (.alive record)", check.ran)
	fmt.Fprintf(&t, "\n%s. %d blocked programs were killed before they recorded both times.\n",
		summary, check.unfinished)
	if len(check.violations) > 0 {
		t.WriteString("\n")
		for _, v := range check.violations {
			fmt.Fprintf(&t, "- %s\n", v)
		}
	}
	goal := verdict(len(check.violations) == 0, fmt.Sprintf("%d of %d blocked programs that recorded a run "+
		"time stayed within their window", len(check.ran)-len(check.violations), len(check.ran)))
	return section(title, goalText, goal,
		fmt.Sprintf("`stress exec-race DIR/allowed-tool DIR/blocked-tool %d %d HOME/race` (testdata/elf/stress.c) "+
			"ran in the sandbox with `[process] blocked_patterns = [\"blocked-*\"]`. The programs allowed-tool "+
			"and blocked-tool are copies of stress. In each of %d rounds a child calls execve on a path that a "+
			"second thread keeps rewriting between the two names, up to %d times, so that the kernel may "+
			"start blocked-tool after the supervisor approved allowed-tool. The post-exec check then kills "+
			"the program and reports a policy_race event whose window_us is the time from its last look "+
			"that still found the old program until the kill. A blocked program that got to run records "+
			"its start and its last-seen time (CLOCK_MONOTONIC) in HOME/race/blocked-tool-PID.alive, which "+
			"the benchmark reads from the virtual home on the host and matches to the event by pid. One run.",
			rounds, tries, rounds, tries),
		t.String())
}

// aliveCheck is what the .alive records of the blocked programs show.
type aliveCheck struct {
	ran        []time.Duration // run time of each program that recorded both times
	violations []string        // programs that ran longer than their window, or had none
	unfinished int             // programs killed before they recorded both times
}

// checkAliveRecords reads the blocked-tool-PID.alive records in dir and
// compares each run time with the window of the policy_race event for PID.
func checkAliveRecords(dir string, windows map[int]time.Duration) (aliveCheck, error) {
	var check aliveCheck
	entries, err := os.ReadDir(dir)
	if err != nil {
		return check, err
	}
	for _, entry := range entries {
		pidText, ok := strings.CutPrefix(entry.Name(), "blocked-tool-")
		if !ok {
			continue
		}
		// Two little-endian uint64: start and last-seen time in ns.
		data, err := os.ReadFile(filepath.Join(dir, entry.Name()))
		start, last := uint64(0), uint64(0)
		if err == nil && len(data) >= 16 {
			start, last = binary.LittleEndian.Uint64(data), binary.LittleEndian.Uint64(data[8:])
		}
		if start == 0 || last < start {
			check.unfinished++
			continue
		}

		pid, _ := strconv.Atoi(strings.TrimSuffix(pidText, ".alive"))
		ran := time.Duration(last - start)
		check.ran = append(check.ran, ran)
		window, ok := windows[pid]
		switch {
		case !ok:
			check.violations = append(check.violations,
				fmt.Sprintf("pid %d ran %s with no policy_race event", pid, us(ran)))
		case ran > window:
			check.violations = append(check.violations,
				fmt.Sprintf("pid %d ran %s, its window was %s", pid, us(ran), us(window)))
		}
	}
	return check, nil
}
