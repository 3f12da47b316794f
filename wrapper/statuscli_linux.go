//go:build linux

package wrapper

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/winewarden/winewarden/audit"
)

// StatusCommand runs `winewarden status`: the running sessions and the
// known games.
func StatusCommand(stdout, stderr io.Writer) int {
	dirs, err := currentDirs()
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	running, err := runningSessions(dirs)
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	fmt.Fprintln(stdout, "Running sessions:")
	if len(running) == 0 {
		fmt.Fprintln(stdout, "  none")
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  SESSION\tGAME\tTIER\tRUNNING FOR\tLOG")
		for _, s := range running {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Session, shortID(s.GameID), s.Tier,
				time.Since(s.Start).Round(time.Second), s.Log)
		}
		tw.Flush()
	}
	fmt.Fprintln(stdout, "\nGames:")
	if err := trustList(dirs, &indented{w: stdout}); err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	return 0
}

// indented prefixes every line written through it with two spaces.
type indented struct {
	w       io.Writer
	midLine bool
}

func (i *indented) Write(p []byte) (int, error) {
	for _, b := range p {
		if !i.midLine {
			if _, err := i.w.Write([]byte("  ")); err != nil {
				return 0, err
			}
		}
		if _, err := i.w.Write([]byte{b}); err != nil {
			return 0, err
		}
		i.midLine = b != '\n'
	}
	return len(p), nil
}

const reportUsage = `Usage: winewarden report [SESSION | --last] [--json] [--no-redact]

Summarizes one session: what was blocked, where the game connected, what it
started and how its trust score changed. Without SESSION it shows the latest.
  --json        the complete report as JSON
  --no-redact   keep your home directory and user name in paths
`

// ReportCommand runs `winewarden report`.
func ReportCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, reportUsage) }
	last := fs.Bool("last", false, "the latest session")
	asJSON := fs.Bool("json", false, "the complete report as JSON")
	noRedact := fs.Bool("no-redact", false, "keep the home directory and user name")
	// Flags may come before or after SESSION.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return 0
			}
			return ExitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) > 1 || (len(positional) == 1 && (*last || positional[0] == "")) {
		fmt.Fprint(stderr, reportUsage)
		return ExitUsage
	}
	dirs, err := currentDirs()
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	dir := audit.StateDir(dirs.StateHome)
	session := ""
	if len(positional) == 1 {
		session = positional[0]
	}
	if session == "" {
		session, err = audit.LastSession(dir)
	}
	var path string
	if err == nil {
		path, err = audit.SessionLogPath(dir, session)
	}
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	r, err := audit.LoadReport(path)
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	if !*noRedact {
		r = audit.Redactor{Home: dirs.Home, User: userName()}.Report(r)
	}
	if *asJSON {
		err = audit.WriteReportJSON(stdout, r)
	} else {
		err = audit.WriteReportText(stdout, r)
	}
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	return 0
}

// userName is the login name that Wine uses for the prefix's user folder.
func userName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}
