# Builds, tests, benchmarks and installs WineWarden.
#
#   make deps      check for the build and test tools, install missing ones with apt-get
#   make build     build bin/winewarden
#   make test      build, then run every test; WINEWARDEN_TEST_STRICT=1 turns skips into failures
#   make demo      deps, build, then run scripts/demo.sh against a throwaway home
#   make bench     deps with bubblewrap and firejail, build, then measure against bare runs and
#                  those peers into docs/benchmarks.md
#   make static    build bin/winewarden-static, linked statically (libseccomp included)
#   make install   install the static build as $(PREFIX)/bin/winewarden (PREFIX defaults to
#                  ~/.local), with shell completions and the man page
#   make clean     remove bin/ and build/

# The official Go tarball unpacks to /usr/local/go, which is often not on PATH
# for other users or in non-login shells.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
# Tests and tools that run `go` themselves find the same toolchain.
ifneq ($(filter /%,$(GO)),)
export PATH := $(patsubst %/,%,$(dir $(GO))):$(PATH)
endif
PREFIX ?= $(HOME)/.local
BIN := bin/winewarden
STATIC := bin/winewarden-static

# The integration tests run real Wine and build PE programs, so the default
# 10-minute limit of go test is too short on a slow machine. -count=1: go test
# cannot see Wine, the kernel or the compilers, so cached results could hide a
# change in them.
TESTFLAGS ?= -timeout 20m -count=1

# Passed through to go test: with 1, a test that has to skip fails instead.
export WINEWARDEN_TEST_STRICT

.PHONY: all build static deps demo test bench install clean check-cgo

all: build

# The sandbox package links libseccomp through cgo, and cgo finds it with
# pkg-config. Checking first turns a long compiler error into one line.
check-cgo:
	@command -v pkg-config >/dev/null && pkg-config --exists libseccomp || \
		{ echo "build: libseccomp not found through pkg-config: run 'make deps' (Debian packages libseccomp-dev and pkg-config)" >&2; exit 1; }
	@test -x "$(GO)" || command -v "$(GO)" >/dev/null || \
		{ echo "build: Go not found (tried PATH and /usr/local/go/bin): run 'make deps' for how to install it" >&2; exit 1; }

build: check-cgo
	CGO_ENABLED=1 $(GO) build -o $(BIN) ./cmd/winewarden

# Steam runs its compatibility tools inside the Steam Linux Runtime, whose
# libraries differ from the host's, so the installed binary brings its own.
# osusergo and netgo keep glibc's NSS, which cannot be linked statically, out.
static: check-cgo
	CGO_ENABLED=1 $(GO) build -tags osusergo,netgo -ldflags '-linkmode external -extldflags "-static"' -o $(STATIC) ./cmd/winewarden

deps:
	scripts/install-deps.sh

# The steps run one after another even under make -j, because the build needs
# what deps installs.
demo:
	scripts/install-deps.sh
	$(MAKE) build
	scripts/demo.sh

test: build
	CGO_ENABLED=1 $(GO) test $(TESTFLAGS) ./...

# The peers are installed first, so that a fresh machine measures them too.
bench:
	scripts/install-deps.sh --bench
	$(MAKE) build
	$(GO) run ./tests/bench -bin $(BIN) -out docs/benchmarks.md

install: static
	install -D -m 0755 $(STATIC) $(DESTDIR)$(PREFIX)/bin/winewarden
	install -D -m 0644 dist/winewarden.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/winewarden
	install -D -m 0644 dist/winewarden.zsh $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_winewarden
	install -D -m 0644 dist/winewarden.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/winewarden.fish
	install -D -m 0644 dist/winewarden.1 $(DESTDIR)$(PREFIX)/share/man/man1/winewarden.1

clean:
	rm -rf bin build
