//go:build linux

package wrapper

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Decoy is a planted file at a path where stealers look for secrets. No
// game has a reason to open one, so an open is a sensitive-access attempt.
type Decoy struct {
	Rel     string // path below the home
	Label   string
	Content string
}

const decoyMark = "WINEWARDEN-DECOY: this file is bait planted by WineWarden; it holds no secret.\n"

// Decoys are planted in every virtual home.
var Decoys = []Decoy{
	{".ssh/id_rsa", "SSH private key", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + decoyMark + "-----END OPENSSH PRIVATE KEY-----\n"},
	{".ssh/id_ed25519", "SSH private key", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + decoyMark + "-----END OPENSSH PRIVATE KEY-----\n"},
	{".mozilla/firefox/profiles.ini", "Firefox profile list", "[Profile0]\nName=default-release\nIsRelative=1\nPath=ww0decoy.default-release\nDefault=1\n; " + decoyMark},
	{".mozilla/firefox/ww0decoy.default-release/cookies.sqlite", "Firefox cookies", decoyMark},
	{".mozilla/firefox/ww0decoy.default-release/logins.json", "Firefox saved logins", "{}\n"},
	{".config/google-chrome/Default/Cookies", "Chrome cookies", decoyMark},
	{".config/google-chrome/Default/Login Data", "Chrome saved logins", decoyMark},
	{".config/chromium/Default/Cookies", "Chromium cookies", decoyMark},
	{".config/BraveSoftware/Brave-Browser/Default/Cookies", "Brave cookies", decoyMark},
	{".config/discord/Local Storage/leveldb/000003.log", "Discord token store", decoyMark},
	{".local/share/TelegramDesktop/tdata/key_datas", "Telegram session", decoyMark},
	{".steam/steam/config/loginusers.vdf", "Steam login users", "\"users\"\n{\n}\n// " + decoyMark},
	{".steam/steam/config/config.vdf", "Steam client config", "\"InstallConfigStore\"\n{\n}\n// " + decoyMark},
	{".local/share/Steam/config/loginusers.vdf", "Steam login users", "\"users\"\n{\n}\n// " + decoyMark},
	{".gnupg/private-keys-v1.d/decoy.key", "GnuPG private key", decoyMark},
	{".local/share/keyrings/login.keyring", "GNOME keyring", decoyMark},
	{".password-store/.gpg-id", "pass password store", decoyMark},
	{".electrum/wallets/default_wallet", "Electrum wallet", decoyMark},
}

// plantDecoys writes every decoy into the home, repairing any the last
// session changed, and returns the decoys by directory for watching.
func plantDecoys(t *tree) (map[string][]Decoy, error) {
	byDir := map[string][]Decoy{}
	for _, d := range Decoys {
		if err := t.writeFile(d.Rel, []byte(d.Content)); err != nil {
			return nil, err
		}
		dir := filepath.Dir(d.Rel)
		byDir[dir] = append(byDir[dir], d)
	}
	return byDir, nil
}

// decoyWatch reports opens of decoys through inotify. inotify watches
// inodes, so opens from inside the sandbox through the bind mount are seen.
type decoyWatch struct {
	file   *os.File
	dirs   map[int32]string
	byDir  map[string][]Decoy
	report func(Decoy)
	done   chan struct{}
	mu     sync.Mutex
	seen   map[string]int
}

func watchDecoys(t *tree, byDir map[string][]Decoy, report func(Decoy)) (*decoyWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	w := &decoyWatch{file: os.NewFile(uintptr(fd), "inotify"), dirs: map[int32]string{}, byDir: byDir,
		report: report, done: make(chan struct{}), seen: map[string]int{}}
	for dir := range byDir {
		dfd, err := t.dirFD(dir)
		if err != nil {
			w.file.Close()
			return nil, err
		}
		// The magic link names exactly the directory opened without
		// following symlinks.
		wd, err := unix.InotifyAddWatch(fd, fmt.Sprintf("/proc/self/fd/%d", dfd), unix.IN_OPEN|unix.IN_ONLYDIR)
		unix.Close(dfd)
		if err != nil {
			w.file.Close()
			return nil, fmt.Errorf("watching decoys in %s: %w", dir, err)
		}
		w.dirs[int32(wd)] = dir
	}
	go w.loop()
	return w, nil
}

func (w *decoyWatch) loop() {
	defer close(w.done)
	buf := make([]byte, 64*1024)
	for {
		n, err := w.file.Read(buf)
		if err != nil {
			return // deadline after Stop, or the descriptor closed
		}
		w.parse(buf[:n])
	}
}

func (w *decoyWatch) parse(buf []byte) {
	for len(buf) >= unix.SizeofInotifyEvent {
		var ev unix.InotifyEvent
		binary.Read(bytes.NewReader(buf[:unix.SizeofInotifyEvent]), binary.NativeEndian, &ev)
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(buf) {
			return
		}
		name := string(bytes.TrimRight(buf[unix.SizeofInotifyEvent:end], "\x00"))
		buf = buf[end:]
		dir, ok := w.dirs[ev.Wd]
		if !ok || name == "" {
			continue
		}
		for _, d := range w.byDir[dir] {
			if filepath.Base(d.Rel) == name {
				w.mu.Lock()
				w.seen[d.Rel]++
				first := w.seen[d.Rel] == 1
				w.mu.Unlock()
				if first {
					w.report(d)
				}
			}
		}
	}
}

// Stop reads the events still queued (the sandbox has ended, so every open
// it made is queued by now) and closes the watch. It returns how often each
// decoy was opened.
func (w *decoyWatch) Stop() map[string]int {
	// An expired deadline ends the reader goroutine at once. Events still
	// queued are then read here without blocking.
	w.file.SetReadDeadline(time.Now())
	<-w.done
	w.file.SetReadDeadline(time.Time{})
	if raw, err := w.file.SyscallConn(); err == nil {
		buf := make([]byte, 64*1024)
		raw.Read(func(fd uintptr) bool {
			for {
				n, err := unix.Read(int(fd), buf)
				if n <= 0 || err != nil {
					return true
				}
				w.parse(buf[:n])
			}
		})
	}
	w.file.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen
}
