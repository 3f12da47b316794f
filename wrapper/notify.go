package wrapper

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/godbus/dbus/v5"
)

// notifyTimeout bounds one notification, because a desktop that does not
// reply must not hold up the end of a session.
const notifyTimeout = 3 * time.Second

// urgencyCritical is the freedesktop.org urgency level of an emergency.
const urgencyCritical = byte(2)

// notifier sends desktop notifications (org.freedesktop.Notifications) on
// the user's session bus from the wrapper, outside every sandbox. It sends
// at most one emergency notification per session, in the background, so a
// slow desktop never delays the supervisor.
type notifier struct {
	enabled bool
	address string
	game    string
	logger  *slog.Logger

	once    sync.Once
	pending sync.WaitGroup
}

// newNotifier finds the session bus: DBUS_SESSION_BUS_ADDRESS, or the
// socket $XDG_RUNTIME_DIR/bus that systemd user sessions provide. Without
// one, notifications are off. It never starts a bus of its own.
func newNotifier(enabled bool, game string, logger *slog.Logger) *notifier {
	n := &notifier{enabled: enabled, game: game, logger: logger}
	if !enabled {
		return n
	}
	n.address = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if n.address == "" {
		if dir := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(dir) {
			if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil {
				n.address = "unix:path=" + filepath.Join(dir, "bus")
			}
		}
	}
	if n.address == "" {
		n.enabled = false
		logger.Info("desktop notifications off: no session bus (DBUS_SESSION_BUS_ADDRESS is unset)")
	}
	return n
}

// emergency sends the session's one emergency notification the first time
// it is called.
func (n *notifier) emergency(what string) {
	if !n.enabled {
		return
	}
	n.once.Do(func() {
		n.pending.Add(1)
		go func() {
			defer n.pending.Done()
			n.send("WineWarden: suspicious action by "+n.game, "The game "+what+". Run `winewarden report --last` for details.", urgencyCritical)
		}()
	})
}

// summary sends a notification at the end of a session, and waits for it.
func (n *notifier) summary(body string) {
	if n.enabled {
		n.send("WineWarden: "+n.game+" ended", body, 1)
	}
}

// wait lets a pending emergency notification finish before the wrapper
// exits.
func (n *notifier) wait() { n.pending.Wait() }

func (n *notifier) send(summary, body string, urgency byte) {
	summary, body = plainText(summary), plainText(body)
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	if err := sendNotification(ctx, n.address, summary, body, urgency); err != nil {
		n.logger.Warn("desktop notification failed", "err", err)
		return
	}
	n.logger.Info("desktop notification sent", "summary", summary)
}

// maxNotificationText bounds the summary and the body of a notification.
const maxNotificationText = 300

// plainText prepares text that contains names the game chose (program and
// file names) for a notification: control characters become spaces, and the
// characters of the markup that notification servers may interpret (<, >
// and &) are dropped, so a name cannot add markup or links.
func plainText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxNotificationText {
			b.WriteString("...")
			break
		}
		switch {
		case r == '<' || r == '>' || r == '&':
		case unicode.IsControl(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sendNotification calls org.freedesktop.Notifications.Notify on the bus
// at address.
func sendNotification(ctx context.Context, address, summary, body string, urgency byte) error {
	conn, err := dbus.Connect(address, dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("connecting to the session bus %s: %w", address, err)
	}
	defer conn.Close()
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(urgency)}
	call := obj.CallWithContext(ctx, "org.freedesktop.Notifications.Notify", 0,
		"WineWarden", uint32(0), "dialog-warning", summary, body, []string{}, hints, int32(-1))
	if call.Err != nil {
		return fmt.Errorf("sending a desktop notification: %w", call.Err)
	}
	return nil
}
