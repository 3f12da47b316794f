#!/usr/bin/env bash
# Checks for the tools that building, testing and the demo need, and installs
# the missing ones from the Debian/Ubuntu archive with apt-get.
#
# Usage: scripts/install-deps.sh [--bench]
#   --bench   also require firejail, which only `make bench` uses
#
# Running it again when everything is present changes nothing. Go is checked
# but never installed, because Debian 12 packages Go 1.19 and go.mod needs a
# newer toolchain. Exit status: 0 when every tool is present at the end, 1
# otherwise.
set -euo pipefail

bench=0
for arg in "$@"; do
    case "$arg" in
    --bench) bench=1 ;;
    -h | --help)
        sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "install-deps: unknown argument $arg (only --bench is accepted)" >&2
        exit 2
        ;;
    esac
done

# dbus-daemon runs the private session bus of the desktop notification test,
# and tmux the terminal of the monitor's test and benchmark. libc6-dev contains
# libc.a, which the static build (make static, make install) links. bubblewrap
# simulates a Flatpak sandbox in the tests, and is a peer in the benchmark.
packages=(wine64 wine gcc libc6-dev gcc-mingw-w64-x86-64 libseccomp-dev pkg-config dbus-daemon tmux bubblewrap)
if [ "$bench" = 1 ]; then
    packages+=(firejail)
fi

# Prints the name of every missing tool, one per line.
missing_tools() {
    command -v gcc >/dev/null || echo gcc
    command -v x86_64-w64-mingw32-gcc >/dev/null || echo x86_64-w64-mingw32-gcc
    if ! command -v pkg-config >/dev/null; then
        echo pkg-config
    elif ! pkg-config --exists libseccomp; then
        echo "libseccomp (pkg-config --exists libseccomp failed)"
    fi
    # Debian's wine64 package installs only /usr/lib/wine/wine64; the wine
    # package adds the /usr/bin/wine launcher.
    if ! command -v wine >/dev/null && [ ! -x /usr/lib/wine/wine64 ]; then
        echo wine
    fi
    command -v dbus-daemon >/dev/null || echo dbus-daemon
    command -v tmux >/dev/null || echo tmux
    [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || echo "libc.a (libc6-dev)"
    command -v bwrap >/dev/null || echo bwrap
    if [ "$bench" = 1 ]; then
        command -v firejail >/dev/null || echo firejail
    fi
}

# Finds the go command: on PATH, or in /usr/local/go/bin where the official
# tarball is usually unpacked.
find_go() {
    if command -v go >/dev/null; then
        command -v go
    elif [ -x /usr/local/go/bin/go ]; then
        echo /usr/local/go/bin/go
    fi
}

# Checks that Go can build this module. From Go 1.21 on, the go command
# downloads the toolchain that go.mod's go line names when its own is older
# (GOTOOLCHAIN=auto, https://go.dev/doc/toolchain), so Go 1.21 is enough.
check_go() {
    local go version minor
    go=$(find_go)
    if [ -z "$go" ]; then
        cat >&2 <<'EOF'
install-deps: Go is missing. Install Go 1.26 from https://go.dev/dl/, for example:
    curl -fsSLO https://go.dev/dl/go1.26.8.linux-amd64.tar.gz
    sudo tar -C /usr/local -xzf go1.26.8.linux-amd64.tar.gz
    export PATH=/usr/local/go/bin:$PATH
The golang-go package of Debian 12 is Go 1.19, too old for this module (go.mod needs 1.26).
EOF
        return 1
    fi
    version=$("$go" env GOVERSION 2>/dev/null || true)
    minor=$(printf '%s\n' "$version" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
    if [ -z "$minor" ] || [ "$minor" -lt 21 ]; then
        echo "install-deps: $go is ${version:-an unknown version}; this module needs Go 1.26 (Go 1.21 or later can fetch it by itself). Install Go from https://go.dev/dl/." >&2
        return 1
    fi
    if ! command -v go >/dev/null; then
        echo "install-deps: found $go ($version), but it is not on PATH: export PATH=$(dirname "$go"):\$PATH (the Makefile finds it anyway)"
    else
        echo "install-deps: go $version at $go"
    fi
}

# Runs apt-get as root, through sudo when needed. Without either it prints the
# command for the user to run and fails.
install_packages() {
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
        if ! command -v sudo >/dev/null; then
            echo "install-deps: missing packages, and this user is not root and has no sudo. As root, run:" >&2
            echo "    apt-get update && apt-get install -y --no-install-recommends ${packages[*]}" >&2
            return 1
        fi
        sudo=(sudo)
    fi
    echo "install-deps: installing ${packages[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    # Recommended packages (fonts, GStreamer and the like) are not needed to
    # build, test or run the demo's console program.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
}

status=0

missing=$(missing_tools)
if [ -n "$missing" ]; then
    echo "install-deps: missing: $(echo "$missing" | paste -sd, - | sed 's/,/, /g')"
    if ! command -v apt-get >/dev/null; then
        echo "install-deps: apt-get not found. Install the equivalents of these Debian packages with your package manager: ${packages[*]}" >&2
        status=1
    elif ! install_packages; then
        status=1
    else
        missing=$(missing_tools)
        if [ -n "$missing" ]; then
            echo "install-deps: still missing after apt-get install: $(echo "$missing" | paste -sd, - | sed 's/,/, /g')" >&2
            status=1
        fi
    fi
else
    echo "install-deps: gcc, x86_64-w64-mingw32-gcc, pkg-config, libseccomp and wine are present"
    if [ "$bench" = 1 ]; then
        echo "install-deps: bwrap and firejail are present"
    fi
fi

check_go || status=1
exit "$status"
