// Package testprog builds the C test programs under testdata for integration tests and
// benchmarks. Windows programs (PE) come from testdata/pe and are built with mingw-w64, and
// Linux programs (ELF) come from testdata/elf and are built with gcc.
//
// Each program is compiled at most once per process into a temporary cache directory that other
// users can read, so a sandbox running as another user can execute the binaries. Callers remove
// the directory when they finish, usually in TestMain:
//
//	code := m.Run()
//	os.RemoveAll(testprog.Dir())
//	os.Exit(code)
package testprog

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"
)

// modulePath identifies the repository root while walking up from a start directory.
const modulePath = "github.com/winewarden/winewarden"

// buildTimeout is the maximum time for one compiler run.
const buildTimeout = 2 * time.Minute

// toolchain describes how one kind of test program is compiled.
type toolchain struct {
	sourceDir     string // folder under testdata that contains <name>.c
	compiler      string
	debianPackage string // package that installs compiler
	suffix        string // file name suffix of the binary
	libraries     []string
}

var (
	peToolchain = toolchain{
		sourceDir:     "pe",
		compiler:      "x86_64-w64-mingw32-gcc",
		debianPackage: "gcc-mingw-w64-x86-64",
		suffix:        ".exe",
		libraries:     []string{"-lws2_32", "-lshell32", "-ldnsapi"},
	}
	elfToolchain = toolchain{
		sourceDir:     "elf",
		compiler:      "gcc",
		debianPackage: "gcc",
		libraries:     []string{"-pthread", "-lresolv"}, // stress.c starts threads and calls the resolver
	}
)

// programName limits names to plain file names, so a name cannot leave testdata/pe or testdata/elf.
var programName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// buildResult is the outcome of compiling one program, shared by every caller that asks for it.
type buildResult struct {
	once sync.Once
	path string
	err  error
}

var (
	mu       sync.Mutex
	results  = map[string]*buildResult{}
	cacheDir string

	rootOnce sync.Once
	root     string
	rootErr  error
)

// BuildPE compiles testdata/pe/<name>.c with mingw-w64 and returns the path of <name>.exe.
func BuildPE(name string) (string, error) {
	return build(peToolchain, name)
}

// BuildELF compiles testdata/elf/<name>.c with gcc and returns the path of the binary.
func BuildELF(name string) (string, error) {
	return build(elfToolchain, name)
}

// Dir returns the cache directory that holds the built programs, or "" if nothing was built yet.
func Dir() string {
	mu.Lock()
	defer mu.Unlock()
	return cacheDir
}

func build(chain toolchain, name string) (string, error) {
	if !programName.MatchString(name) {
		return "", fmt.Errorf("invalid test program name %q: use letters, digits, '_' and '-' only", name)
	}

	mu.Lock()
	key := chain.sourceDir + "/" + name
	result, ok := results[key]
	if !ok {
		result = &buildResult{}
		results[key] = result
	}
	mu.Unlock()

	result.once.Do(func() {
		result.path, result.err = compile(chain, name)
	})
	return result.path, result.err
}

func compile(chain toolchain, name string) (string, error) {
	compiler, err := exec.LookPath(chain.compiler)
	if err != nil {
		return "", fmt.Errorf("compiler %s not found, install the Debian package %s: %w", chain.compiler, chain.debianPackage, err)
	}
	repo, err := repoRoot()
	if err != nil {
		return "", err
	}
	source := filepath.Join(repo, "testdata", chain.sourceDir, name+".c")
	if _, err := os.Stat(source); err != nil {
		return "", fmt.Errorf("test program source: %w", err)
	}
	dir, err := ensureCacheDir()
	if err != nil {
		return "", err
	}

	binary := filepath.Join(dir, name+chain.suffix)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	args := append([]string{"-O1", "-Wall", "-o", binary, source}, chain.libraries...)
	output, err := exec.CommandContext(ctx, compiler, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("compile %s with %s: %w\n%s", source, chain.compiler, err, output)
	}
	// The compiler applies the umask, and other users must be able to run the binary.
	if err := os.Chmod(binary, 0o755); err != nil {
		return "", fmt.Errorf("make test program readable: %w", err)
	}
	return binary, nil
}

// ensureCacheDir creates the cache directory on first use.
func ensureCacheDir() (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if cacheDir != "" {
		return cacheDir, nil
	}
	dir, err := os.MkdirTemp("", "winewarden-testprog-")
	if err != nil {
		return "", fmt.Errorf("create test program cache directory: %w", err)
	}
	// MkdirTemp creates the directory with mode 0700.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("make test program cache directory readable: %w", err)
	}
	cacheDir = dir
	return dir, nil
}

// repoRoot finds the directory of the module's go.mod, starting from this source file and then
// from the working directory. The source file path is unusable in binaries built with -trimpath.
func repoRoot() (string, error) {
	rootOnce.Do(func() {
		var starts []string
		if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
			starts = append(starts, filepath.Dir(file))
		}
		if wd, err := os.Getwd(); err == nil {
			starts = append(starts, wd)
		}
		for _, start := range starts {
			for dir := start; ; dir = filepath.Dir(dir) {
				if declaresModule(filepath.Join(dir, "go.mod")) {
					root = dir
					return
				}
				if filepath.Dir(dir) == dir {
					break
				}
			}
		}
		rootErr = fmt.Errorf("repository root not found: no go.mod of module %s in or above %s; run from inside the repository", modulePath, strings.Join(starts, " or "))
	})
	return root, rootErr
}

// declaresModule reports whether the go.mod file at path declares modulePath.
func declaresModule(path string) bool {
	file, err := os.Open(path)
	if err != nil {
		return false
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == modulePath
		}
	}
	return false
}
