/*
 * helper.c: Linux program that WineWarden's integration tests run inside the sandbox.
 *
 * It tries the host-side escapes that a Windows game could reach by starting a Linux program:
 * terminal injection through TIOCSTI and TIOCLINUX, connections to Unix sockets (X11, D-Bus),
 * and file access. It also serves as a marker program that must never run and as a syscall loop
 * for benchmarks.
 *
 * Build: gcc -O1 -o helper helper.c
 *
 * Output: one line per result on stdout, flushed at once, starting with "OK" or "FAIL"; a FAIL
 * line ends with errno=<n>. Exit code: 0 if the action succeeded, 1 if it failed, 2 for a usage
 * error. The terminal commands invert this, see cmd_terminal_ioctl.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <linux/tiocl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

/* Maximum number of bytes shown from file contents. */
#define PREVIEW_MAX 200

/*
 * Bits above the low 32 of an ioctl request. The kernel takes the request as a 32-bit unsigned int
 * and ignores them, but a seccomp filter that compares all 64 bits would let the call through.
 */
#define HIGH_BITS 0xdead000000000000UL

static const char usage_text[] =
    "usage: helper <command> [arguments]\n"
    "  tiocsti                push 'X' into the terminal on stdin with TIOCSTI, plain and with high bits\n"
    "  tioclinux              query the shift state with TIOCLINUX, plain and with high bits\n"
    "  connect-unix <path>    connect a stream socket to a Unix socket path\n"
    "  connect-abstract <name> connect a stream socket to an abstract Unix socket name\n"
    "  touch <path>           create a file or append \"touch\\n\" to it\n"
    "  read <path>            print the size and the first bytes of a file\n"
    "  exit <n>               exit with code n\n"
    "  getppid-loop <n>       call getppid n times\n"
    "  marker <path>          write \"ran\" to path\n"
    "  remove <path>          unlink a file, or remove an empty directory\n"
    "  rename <from> <to>     rename a file or directory\n"
    "  symlink <target> <path> create a symlink at path that points to target\n"
    "  syscalls               try calls a seccomp filter denies, via the x86_64 and i386 ABIs\n"
    "  connect-i386 <ipv4> <port> connect through the i386 ABI, directly and through socketcall\n"
    "  memfd-exec <program>   copy a program into a memfd and execute it from there (fexecve)\n"
    "tiocsti and tioclinux exit with 0 if every attempt failed and 1 if any succeeded.\n";

static void emit(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    fflush(stdout);
}

static int usage(void)
{
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/* Parses a decimal number without sign or trailing characters. */
static int parse_number(const char *text, unsigned long long max, unsigned long long *value)
{
    char *end;

    if (text[0] < '0' || text[0] > '9')
        return 0;
    errno = 0;
    *value = strtoull(text, &end, 10);
    return errno == 0 && *end == '\0' && *value <= max;
}

/* Prints the result of one ioctl attempt. Returns 1 if it succeeded. */
static int report_attempt(const char *command, const char *variant, long result, int error)
{
    if (result < 0) {
        emit("FAIL %s %s errno=%d\n", command, variant, error);
        return 0;
    }
    emit("OK %s %s\n", command, variant);
    return 1;
}

/*
 * Runs a terminal ioctl on stdin twice: through ioctl(), then through syscall() with HIGH_BITS in
 * the request. Exits with 0 if both attempts failed and 1 if either succeeded, so that 0 means
 * the terminal is protected.
 */
static int cmd_terminal_ioctl(const char *command, unsigned long request, void *argument)
{
    int succeeded = 0;

    long result = ioctl(0, request, argument);
    succeeded |= report_attempt(command, "plain", result, errno);

    result = syscall(SYS_ioctl, 0, request | HIGH_BITS, argument);
    succeeded |= report_attempt(command, "highbits", result, errno);

    return succeeded ? EXIT_FAILED : EXIT_OK;
}

static int connect_unix(const char *command, const char *label, const struct sockaddr_un *address,
                        socklen_t length)
{
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        emit("FAIL %s %s socket errno=%d\n", command, label, errno);
        return EXIT_FAILED;
    }
    if (connect(sock, (const struct sockaddr *)address, length) != 0) {
        emit("FAIL %s %s errno=%d\n", command, label, errno);
        close(sock);
        return EXIT_FAILED;
    }
    close(sock);
    emit("OK %s %s\n", command, label);
    return EXIT_OK;
}

static int cmd_connect_unix(const char *path)
{
    struct sockaddr_un address;

    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof address.sun_path) {
        fprintf(stderr, "helper: socket path %s is longer than %zu bytes\n", path, sizeof address.sun_path - 1);
        return EXIT_USAGE;
    }
    strcpy(address.sun_path, path);
    return connect_unix("connect-unix", path, &address, sizeof address);
}

static int cmd_connect_abstract(const char *name)
{
    struct sockaddr_un address;
    size_t length = strlen(name);

    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    if (length + 1 > sizeof address.sun_path) {
        fprintf(stderr, "helper: abstract socket name %s is longer than %zu bytes\n", name, sizeof address.sun_path - 1);
        return EXIT_USAGE;
    }
    /* An abstract name starts with a NUL byte, and its length comes from the address length. */
    memcpy(address.sun_path + 1, name, length);
    return connect_unix("connect-abstract", name, &address,
                        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length));
}

/* Prints the result of a call on one or two paths and returns the exit code. */
static int report_path_call(const char *command, const char *path, int result)
{
    if (result != 0) {
        emit("FAIL %s %s errno=%d\n", command, path, errno);
        return EXIT_FAILED;
    }
    emit("OK %s %s\n", command, path);
    return EXIT_OK;
}

static int write_text(const char *command, const char *path, int flags, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
    if (fd < 0) {
        emit("FAIL %s %s errno=%d\n", command, path, errno);
        return EXIT_FAILED;
    }
    size_t length = strlen(text);
    ssize_t written = write(fd, text, length);
    int error = errno;
    if (close(fd) != 0 && written == (ssize_t)length) {
        written = -1;
        error = errno;
    }
    if (written != (ssize_t)length) {
        emit("FAIL %s %s errno=%d\n", command, path, written < 0 ? error : EIO);
        return EXIT_FAILED;
    }
    emit("OK %s %s\n", command, path);
    return EXIT_OK;
}

static int cmd_read(const char *path)
{
    static unsigned char buffer[65536];
    char preview[PREVIEW_MAX + 1];
    size_t preview_length = 0;
    unsigned long long total = 0;

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        emit("FAIL read %s errno=%d\n", path, errno);
        return EXIT_FAILED;
    }
    for (;;) {
        ssize_t count = read(fd, buffer, sizeof buffer);
        if (count < 0) {
            if (errno == EINTR)
                continue;
            emit("FAIL read %s errno=%d\n", path, errno);
            close(fd);
            return EXIT_FAILED;
        }
        if (count == 0)
            break;
        for (ssize_t i = 0; i < count && preview_length < PREVIEW_MAX; i++)
            preview[preview_length++] = (buffer[i] >= 0x20 && buffer[i] < 0x7f) ? (char)buffer[i] : '.';
        total += (unsigned long long)count;
    }
    close(fd);
    preview[preview_length] = '\0';
    emit("OK read %llu bytes: %s\n", total, preview);
    return EXIT_OK;
}

/* Calls getppid through syscall(), because a libc could return a cached value without entering the kernel. */
static int cmd_getppid_loop(unsigned long long count)
{
    for (unsigned long long i = 0; i < count; i++)
        syscall(SYS_getppid);
    emit("OK loop %llu\n", count);
    return EXIT_OK;
}

/* Issues a 32-bit syscall through int 0x80, which the kernel handles with the i386 ABI. */
static long syscall_i386(long nr, long a, long b, long c)
{
    long result;
    __asm__ volatile("int $0x80"
                     : "=a"(result)
                     : "a"(nr), "b"(a), "c"(b), "d"(c)
                     : "memory", "r8", "r9", "r10", "r11");
    return result;
}

static void report_syscall(const char *name, const char *abi, long result)
{
    if (result < 0)
        emit("RESULT %s %s errno=%ld\n", name, abi, -result);
    else
        emit("RESULT %s %s ok\n", name, abi);
}

static long raw64(long nr, long a, long b, long c)
{
    long result = syscall(nr, a, b, c);
    return result < 0 ? -errno : result;
}

/* i386 numbers from arch/x86/entry/syscalls/syscall_32.tbl and include/uapi/linux/net.h. */
#define I386_SOCKETCALL 102
#define I386_CONNECT 362
#define I386_SYS_CONNECT 3

/*
 * Connects two TCP sockets to ipv4:port through the i386 ABI (int 0x80): one with the direct
 * connect syscall, one through socketcall(SYS_CONNECT). The i386 ABI takes 32-bit pointers, so
 * the address and the socketcall arguments live in a page mapped below 4 GiB.
 */
static int cmd_connect_i386(const char *ip, const char *port_text)
{
    unsigned long long port;
    struct sockaddr_in target;

    memset(&target, 0, sizeof target);
    target.sin_family = AF_INET;
    if (!parse_number(port_text, 65535, &port) || inet_pton(AF_INET, ip, &target.sin_addr) != 1)
        return usage();
    target.sin_port = htons((unsigned short)port);

    unsigned char *low_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low_page == MAP_FAILED) {
        emit("FAIL connect-i386 mmap errno=%d\n", errno);
        return EXIT_FAILED;
    }
    memcpy(low_page, &target, sizeof target);
    unsigned int *socketcall_args = (unsigned int *)(low_page + 64);

    int failed = 0;
    for (int variant = 0; variant < 2; variant++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) {
            emit("FAIL connect-i386 socket errno=%d\n", errno);
            return EXIT_FAILED;
        }
        long result;
        const char *name;
        if (variant == 0) {
            name = "direct";
            result = syscall_i386(I386_CONNECT, fd, (long)(unsigned long)low_page, sizeof target);
        } else {
            name = "socketcall";
            socketcall_args[0] = (unsigned int)fd;
            socketcall_args[1] = (unsigned int)(unsigned long)low_page;
            socketcall_args[2] = sizeof target;
            result = syscall_i386(I386_SOCKETCALL, I386_SYS_CONNECT, (long)(unsigned long)socketcall_args, 0);
        }
        report_syscall("connect", name, result);
        failed |= result < 0;
        close(fd);
    }
    return failed ? EXIT_FAILED : EXIT_OK;
}

/*
 * Runs a program without a file on disk: copies it into a memfd and executes that. Returns only
 * if the exec fails.
 */
static int cmd_memfd_exec(const char *program)
{
    int source = open(program, O_RDONLY | O_CLOEXEC);
    if (source < 0) {
        emit("FAIL memfd-exec open errno=%d\n", errno);
        return EXIT_FAILED;
    }
    int memfd = memfd_create("payload", MFD_CLOEXEC);
    if (memfd < 0) {
        emit("FAIL memfd-exec memfd_create errno=%d\n", errno);
        return EXIT_FAILED;
    }
    char buffer[65536];
    ssize_t n;
    while ((n = read(source, buffer, sizeof buffer)) > 0) {
        if (write(memfd, buffer, (size_t)n) != n) {
            emit("FAIL memfd-exec write errno=%d\n", errno);
            return EXIT_FAILED;
        }
    }
    close(source);
    char *argv[] = {(char *)program, NULL};
    char *envp[] = {NULL};
    fflush(stdout);
    fexecve(memfd, argv, envp);
    emit("FAIL memfd-exec errno=%d\n", errno);
    return EXIT_FAILED;
}

/*
 * Tries syscalls whose result differs between a seccomp denial and the kernel's own error (for
 * example clone3(NULL) is EINVAL without a filter and ENOSYS with one), through both the
 * x86_64 ABI and the i386 ABI (int 0x80). Prints one RESULT line per call and exits 0.
 */
static int cmd_syscalls(void)
{
    report_syscall("clone3", "x86_64", raw64(SYS_clone3, 0, 0, 0));
    report_syscall("keyctl", "x86_64", raw64(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
    report_syscall("io_uring_setup", "x86_64", raw64(SYS_io_uring_setup, 1, 0, 0));
    report_syscall("perf_event_open", "x86_64", raw64(SYS_perf_event_open, 0, 0, 0));
    report_syscall("open_tree", "x86_64", raw64(SYS_open_tree, AT_FDCWD, (long)"/", 0));
    report_syscall("personality_query", "x86_64", raw64(SYS_personality, 0xffffffffL, 0, 0));
    long old = raw64(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */, 0, 0);
    report_syscall("personality_no_aslr", "x86_64", old);
    if (old >= 0)
        raw64(SYS_personality, old, 0, 0);

    /* i386 numbers from arch/x86/entry/syscalls/syscall_32.tbl. */
    report_syscall("getpid", "i386", syscall_i386(20, 0, 0, 0));
    report_syscall("clone3", "i386", syscall_i386(435, 0, 0, 0));
    report_syscall("keyctl", "i386", syscall_i386(288, 0, -3, 0));
    report_syscall("io_uring_setup", "i386", syscall_i386(425, 1, 0, 0));
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *command = argv[1];
    int count = argc - 2;
    char **args = argv + 2;
    unsigned long long number;

    if (strcmp(command, "tiocsti") == 0 && count == 0) {
        char c = 'X';
        return cmd_terminal_ioctl(command, TIOCSTI, &c);
    }
    if (strcmp(command, "tioclinux") == 0 && count == 0) {
        /*
         * TIOCL_GETSHIFTSTATE only reads, so a run on a real virtual console changes nothing.
         * The attack uses the paste subcodes, but a seccomp filter on the TIOCLINUX request
         * rejects every subcode. On a pseudo-terminal the ioctl fails with ENOTTY even without a
         * sandbox.
         */
        char subcode[2] = {TIOCL_GETSHIFTSTATE, 0};
        return cmd_terminal_ioctl(command, TIOCLINUX, subcode);
    }
    if (strcmp(command, "connect-unix") == 0 && count == 1)
        return cmd_connect_unix(args[0]);
    if (strcmp(command, "connect-abstract") == 0 && count == 1)
        return cmd_connect_abstract(args[0]);
    if (strcmp(command, "touch") == 0 && count == 1)
        return write_text(command, args[0], O_APPEND, "touch\n");
    if (strcmp(command, "read") == 0 && count == 1)
        return cmd_read(args[0]);
    if (strcmp(command, "exit") == 0 && count == 1 && parse_number(args[0], 255, &number))
        return (int)number;
    if (strcmp(command, "getppid-loop") == 0 && count == 1 && parse_number(args[0], ~0ULL, &number))
        return cmd_getppid_loop(number);
    if (strcmp(command, "syscalls") == 0 && count == 0)
        return cmd_syscalls();
    if (strcmp(command, "memfd-exec") == 0 && count == 1)
        return cmd_memfd_exec(args[0]);
    if (strcmp(command, "connect-i386") == 0 && count == 2)
        return cmd_connect_i386(args[0], args[1]);
    if (strcmp(command, "marker") == 0 && count == 1)
        return write_text(command, args[0], O_TRUNC, "ran");
    if (strcmp(command, "remove") == 0 && count == 1)
        return report_path_call(command, args[0], remove(args[0]));
    if (strcmp(command, "rename") == 0 && count == 2)
        return report_path_call(command, args[0], rename(args[0], args[1]));
    if (strcmp(command, "symlink") == 0 && count == 2)
        return report_path_call(command, args[1], symlink(args[0], args[1]));
    return usage();
}
