/*
 * stress.c: Linux program that WineWarden's integration tests run inside the sandbox to stress the
 * seccomp user-notification supervisor.
 *
 * It forks until the process limit stops it, races a second thread against execve to swap the
 * checked path for a blocked one, floods connect and sends UDP datagrams past the network rate
 * limit, and passes hostile arguments to execve. The alive command is the program that the exec
 * race starts: it records in a file how long it ran. connect-time times single blocking connects,
 * so that the benchmark can compare the cost of one supervised syscall with a bare run.
 *
 * Build: gcc -O1 -Wall -pthread -o stress stress.c -lresolv
 *
 * Output: one line per result on stdout, flushed at once, starting with "OK" or "FAIL"; a FAIL
 * line ends with errno=<n>. Exit code: 0 if the action succeeded, 1 if it failed, 2 for a usage
 * error. alive prints nothing unless it fails; hostile-exec prints nothing when execve succeeds,
 * and the exit code is then that of the program it started.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

/* Exit codes of an exec-race child whose execve calls all failed, or that could not start. */
#define RACE_EXIT_DENIED 10
#define RACE_EXIT_OTHER_ERRNO 11
#define RACE_EXIT_SETUP 12

/* Upper bounds for counts and durations, so that a mistyped argument fails as a usage error. */
#define MAX_COUNT 10000000ULL
#define MAX_HOLD_MS 600000ULL

/* How long a blocked alive program runs, far longer than the supervisor should take to kill it. */
#define BLOCKED_ALIVE_NS 2000000000ULL

/* Argument count for hostile-exec many-args, besides the program path. */
#define MANY_ARGS_COUNT 100000

static const char usage_text[] =
    "usage: stress <command> [arguments]\n"
    "  forkbomb <n> <hold_ms>      fork n times; each child sleeps hold_ms milliseconds\n"
    "  alive <dir>                 record start and last-seen times in <dir>/<name>-<pid>.alive\n"
    "  exec-race <allowed> <blocked> <rounds> <tries> <dir>\n"
    "                              per round, execve a path that a thread flips between two programs\n"
    "  connect-flood <ipv4> <port> <n>\n"
    "                              open n non-blocking TCP connections as fast as possible\n"
    "  connect-time <ipv4> <port> <n>\n"
    "                              time n blocking TCP connects, one after the other\n"
    "  connect-rate <ipv4> <port> <per-second> <seconds>\n"
    "                              make blocking TCP connects at a steady rate for a number of seconds\n"
    "  udp-send <mode> <ipv4> <port>\n"
    "                              send a datagram with sendto, sendmsg or sendmmsg\n"
    "  hostile-exec <mode> <path>  execve path with many-args, non-utf8, unterminated-path,\n"
    "                              unterminated-arg or bad-pointer arguments\n"
    "  sockaddr-race <tcp|udp> <good_ipv4> <good_port> <bad_ipv4> <bad_port> <n>\n"
    "                              n connects (or sendtos) while a thread flips the address between two\n"
    "  udp-stream <ipv4> <port> <rate> <n>\n"
    "                              send n numbered datagrams with sendto at rate packets per second\n"
    "  resolve-time <server_ipv4> <port> <name> <n>\n"
    "                              time n A queries for name with glibc's resolver over TCP to that server\n";

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

/* Parses a dotted IPv4 address and a port number into a socket address. */
static int parse_ipv4(const char *text, const char *port_text, struct sockaddr_in *address)
{
    unsigned long long port;

    memset(address, 0, sizeof *address);
    address->sin_family = AF_INET;
    if (!parse_number(port_text, 65535, &port))
        return 0;
    address->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, text, &address->sin_addr) == 1;
}

static uint64_t monotonic_ns(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

static void sleep_ms(unsigned long long ms)
{
    struct timespec left = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};

    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

/* Waits for one child, retrying after a signal. Returns the result of waitpid. */
static pid_t wait_child(pid_t pid, int *status)
{
    pid_t result;

    do
        result = waitpid(pid, status, 0);
    while (result < 0 && errno == EINTR);
    return result;
}

/*
 * Forks as fast as possible, so that the supervisor must handle many new processes at once. The
 * children stay alive for hold_ms, which keeps them counted against the process limit.
 */
static int cmd_forkbomb(unsigned long long count, unsigned long long hold_ms)
{
    unsigned long long started = 0, eagain = 0, other = 0;

    for (unsigned long long i = 0; i < count; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            sleep_ms(hold_ms);
            _exit(0);
        }
        if (pid > 0)
            started++;
        else if (errno == EAGAIN)
            eagain++;
        else
            other++;
    }
    emit("OK forkbomb started=%llu eagain=%llu other=%llu\n", started, eagain, other);

    for (unsigned long long left = started; left > 0; left--) {
        if (wait_child(-1, NULL) < 0)
            break;
    }
    return EXIT_OK;
}

/*
 * Builds <dir>/<basename of the executable>-<pid>.alive. The name comes from /proc/self/exe
 * rather than argv[0], because the exec race passes its flipping buffer as argv[0], which may
 * name the other program. Returns the basename, or NULL on failure.
 */
static const char *alive_path(const char *dir, char *path, size_t size)
{
    static char exe[PATH_MAX];

    ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (length < 0)
        return NULL;
    exe[length] = '\0';
    const char *slash = strrchr(exe, '/');
    const char *name = slash != NULL ? slash + 1 : exe;

    int written = snprintf(path, size, "%s/%s-%d.alive", dir, name, (int)getpid());
    if (written < 0 || (size_t)written >= size) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return name;
}

/* Creates the 16-byte record file and maps it, so that the times survive a SIGKILL. */
static volatile uint64_t *map_record(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return NULL;
    void *record = MAP_FAILED;
    if (ftruncate(fd, 2 * sizeof(uint64_t)) == 0)
        record = mmap(NULL, 2 * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int error = errno;
    close(fd);
    errno = error;
    return record == MAP_FAILED ? NULL : record;
}

/*
 * Records how long this program ran: the start time taken at the top of main, then the last time
 * it was seen running. A program named blocked* keeps going for BLOCKED_ALIVE_NS, so the record
 * shows how long it ran before the supervisor killed it.
 */
static int cmd_alive(const char *dir, uint64_t start)
{
    char path[PATH_MAX];

    const char *name = alive_path(dir, path, sizeof path);
    if (name == NULL) {
        emit("FAIL alive %s errno=%d\n", dir, errno);
        return EXIT_FAILED;
    }
    volatile uint64_t *record = map_record(path);
    if (record == NULL) {
        emit("FAIL alive %s errno=%d\n", path, errno);
        return EXIT_FAILED;
    }

    uint64_t limit = strncmp(name, "blocked", strlen("blocked")) == 0 ? BLOCKED_ALIVE_NS : 0;
    record[0] = htole64(start);
    uint64_t now;
    do {
        now = monotonic_ns();
        record[1] = htole64(now);
    } while (now - start < limit);
    return EXIT_OK;
}

/* Shared state of one exec race: the path buffer that the thread rewrites while execve reads it. */
struct race {
    volatile char *buffer;
    volatile int flipping; /* set once the thread has written the buffer */
    const char *paths[2];
    size_t sizes[2]; /* including the terminating NUL */
};

/* Copies through a volatile pointer, so that the compiler keeps every store to the shared buffer. */
static void copy_volatile(volatile char *to, const char *from, size_t size)
{
    for (size_t i = 0; i < size; i++)
        to[i] = from[i];
}

/* Swaps the paths without locks, so that the kernel may read either one, or a mix of both. */
static void *flip_paths(void *arg)
{
    struct race *race = arg;

    for (int i = 1;; i ^= 1) {
        copy_volatile(race->buffer, race->paths[i], race->sizes[i]);
        race->flipping = 1;
    }
    return NULL;
}

/*
 * Runs in the forked child of one exec-race round and never returns. The supervisor checks the
 * path when execve starts, and the thread tries to replace it before the kernel reads it again.
 */
static void race_child(const char *allowed, const char *blocked, unsigned long long tries, const char *dir)
{
    static struct race race;
    pthread_t thread;

    race.paths[0] = allowed;
    race.paths[1] = blocked;
    race.sizes[0] = strlen(allowed) + 1;
    race.sizes[1] = strlen(blocked) + 1;
    race.buffer = malloc(race.sizes[0] > race.sizes[1] ? race.sizes[0] : race.sizes[1]);
    if (race.buffer == NULL)
        _exit(RACE_EXIT_SETUP);
    copy_volatile(race.buffer, allowed, race.sizes[0]);
    if (pthread_create(&thread, NULL, flip_paths, &race) != 0)
        _exit(RACE_EXIT_SETUP);
    /* Without this wait the first execve often runs before the thread does, and there is no race. */
    while (!race.flipping)
        ;

    char *path = (char *)race.buffer;
    char *args[] = {path, "alive", (char *)dir, NULL};
    int error = 0;
    for (unsigned long long i = 0; i < tries; i++) {
        execve(path, args, environ);
        error = errno;
    }
    _exit(error == EACCES ? RACE_EXIT_DENIED : RACE_EXIT_OTHER_ERRNO);
}

static int cmd_exec_race(const char *allowed, const char *blocked, unsigned long long rounds,
                         unsigned long long tries, const char *dir)
{
    unsigned long long exited = 0, killed = 0, denied = 0, other_errno = 0, other = 0;

    for (unsigned long long round = 0; round < rounds; round++) {
        pid_t pid = fork();
        if (pid < 0) {
            emit("FAIL exec-race fork errno=%d\n", errno);
            return EXIT_FAILED;
        }
        if (pid == 0)
            race_child(allowed, blocked, tries, dir);

        int status;
        if (wait_child(pid, &status) < 0) {
            emit("FAIL exec-race waitpid errno=%d\n", errno);
            return EXIT_FAILED;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            exited++;
        else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            killed++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == RACE_EXIT_DENIED)
            denied++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == RACE_EXIT_OTHER_ERRNO)
            other_errno++;
        else
            other++;
    }
    emit("OK exec-race rounds=%llu exited=%llu killed=%llu denied=%llu other_errno=%llu other=%llu\n",
         rounds, exited, killed, denied, other_errno, other);
    return EXIT_OK;
}

enum connect_result { CONNECT_OK, CONNECT_REFUSED, CONNECT_EAGAIN, CONNECT_OTHER, CONNECT_RESULTS };

static enum connect_result classify_error(int error)
{
    switch (error) {
    case EINPROGRESS:
        return CONNECT_OK;
    case ECONNREFUSED:
        return CONNECT_REFUSED;
    case EAGAIN:
        return CONNECT_EAGAIN;
    default:
        return CONNECT_OTHER;
    }
}

/*
 * Connects once and returns the class of the result. A failed socket() counts by its errno like a
 * failed connect, because the rate limit may hit either.
 * NOTE: on loopback a non-blocking connect to a closed port returned EINPROGRESS (Linux 6.18),
 * so refused can stay 0 even when nothing listens.
 */
static enum connect_result connect_once(const struct sockaddr_in *address)
{
    int sock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return classify_error(errno);
    enum connect_result result = CONNECT_OK;
    if (connect(sock, (const struct sockaddr *)address, sizeof *address) != 0)
        result = classify_error(errno);
    close(sock);
    return result;
}

/* elapsed_ns comes last, so that a pattern matching the counts before it still matches. */
static int cmd_connect_flood(const struct sockaddr_in *address, unsigned long long attempts)
{
    unsigned long long counts[CONNECT_RESULTS] = {0};

    uint64_t start = monotonic_ns();
    for (unsigned long long i = 0; i < attempts; i++)
        counts[connect_once(address)]++;
    uint64_t elapsed = monotonic_ns() - start;
    emit("OK connect-flood attempts=%llu ok=%llu refused=%llu eagain=%llu other=%llu elapsed_ns=%llu\n",
         attempts, counts[CONNECT_OK], counts[CONNECT_REFUSED], counts[CONNECT_EAGAIN], counts[CONNECT_OTHER],
         (unsigned long long)elapsed);
    return EXIT_OK;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Returns the nearest-rank percentile (0 < percent <= 100) of n sorted values. n must be positive. */
static uint64_t percentile_of(const uint64_t *sorted, size_t n, unsigned percent)
{
    size_t rank = (n * percent + 99) / 100;

    return sorted[rank > 0 ? rank - 1 : 0];
}

/*
 * Makes n blocking TCP connects one after the other and times only the connect() call, so that the
 * socket setup and close stay out of the numbers. A failed connect is counted and not timed.
 */
static int cmd_connect_time(const struct sockaddr_in *address, unsigned long long count)
{
    uint64_t *times = malloc((count > 0 ? count : 1) * sizeof *times);
    size_t timed = 0;
    unsigned long long failed = 0;

    if (times == NULL) {
        emit("FAIL connect-time malloc errno=%d\n", errno);
        return EXIT_FAILED;
    }
    for (unsigned long long i = 0; i < count; i++) {
        int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0) {
            int error = errno;
            free(times);
            emit("FAIL connect-time socket errno=%d\n", error);
            return EXIT_FAILED;
        }
        uint64_t before = monotonic_ns();
        int result = connect(sock, (const struct sockaddr *)address, sizeof *address);
        uint64_t after = monotonic_ns();
        close(sock);
        if (result == 0)
            times[timed++] = after - before;
        else
            failed++;
    }
    uint64_t median = 0, p90 = 0;
    if (timed > 0) {
        qsort(times, timed, sizeof *times, compare_u64);
        median = percentile_of(times, timed, 50);
        p90 = percentile_of(times, timed, 90);
    }
    free(times);
    emit("OK connect-time n=%llu median_ns=%llu p90_ns=%llu failed=%llu\n", count, (unsigned long long)median,
         (unsigned long long)p90, failed);
    return EXIT_OK;
}

/* Connects at per_second connects per second, on an absolute schedule, for seconds seconds. */
static int cmd_connect_rate(const struct sockaddr_in *address, unsigned long long per_second, unsigned long long seconds)
{
    unsigned long long total = per_second * seconds, failed = 0;
    struct timespec next;

    clock_gettime(CLOCK_MONOTONIC, &next);
    for (unsigned long long i = 0; i < total; i++) {
        int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0) {
            emit("FAIL connect-rate socket errno=%d\n", errno);
            return EXIT_FAILED;
        }
        if (connect(sock, (const struct sockaddr *)address, sizeof *address) != 0)
            failed++;
        close(sock);
        next.tv_nsec += (long)(1000000000ULL / per_second);
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
            ;
    }
    emit("OK connect-rate n=%llu failed=%llu\n", total, failed);
    return EXIT_OK;
}

static const char datagram[] = "winewarden\n";

/* Fills one message that names its destination, because a supervisor must check each message. */
static void fill_message(struct msghdr *message, struct iovec *part, const struct sockaddr_in *address)
{
    part->iov_base = (void *)datagram;
    part->iov_len = sizeof datagram - 1;
    memset(message, 0, sizeof *message);
    message->msg_name = (void *)address;
    message->msg_namelen = sizeof *address;
    message->msg_iov = part;
    message->msg_iovlen = 1;
}

/* Returns the number of messages sent, or -1 with errno set. */
static int send_datagrams(int sock, const char *mode, const struct sockaddr_in *address)
{
    struct iovec parts[2];
    struct mmsghdr messages[2];

    memset(messages, 0, sizeof messages);
    fill_message(&messages[0].msg_hdr, &parts[0], address);
    fill_message(&messages[1].msg_hdr, &parts[1], address);
    if (strcmp(mode, "sendto") == 0)
        return sendto(sock, datagram, sizeof datagram - 1, 0, (const struct sockaddr *)address,
                      sizeof *address) < 0 ? -1 : 1;
    if (strcmp(mode, "sendmsg") == 0)
        return sendmsg(sock, &messages[0].msg_hdr, 0) < 0 ? -1 : 1;
    return sendmmsg(sock, messages, 2, 0);
}

static int cmd_udp_send(const char *mode, const struct sockaddr_in *address)
{
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        emit("FAIL udp-send %s errno=%d\n", mode, errno);
        return EXIT_FAILED;
    }
    int sent = send_datagrams(sock, mode, address);
    int error = errno;
    close(sock);
    if (sent < 0) {
        emit("FAIL udp-send %s errno=%d\n", mode, error);
        return EXIT_FAILED;
    }
    emit("OK udp-send %s sent=%d\n", mode, sent);
    return EXIT_OK;
}

static int is_udp_mode(const char *mode)
{
    return strcmp(mode, "sendto") == 0 || strcmp(mode, "sendmsg") == 0 || strcmp(mode, "sendmmsg") == 0;
}

/* The address that sockaddr-race's flipping thread rewrites while the main thread uses it. */
static struct sockaddr_in race_target;
static struct sockaddr_in race_good, race_bad;
static volatile int race_done;

/* Holds each address for a few microseconds, so that either can be the one a reader sees. */
static void *flip_address(void *arg)
{
    (void)arg;
    while (!race_done) {
        copy_volatile((volatile char *)&race_target, (const char *)&race_bad, sizeof race_target);
        for (volatile int spin = 0; spin < 2000; spin++)
            ;
        copy_volatile((volatile char *)&race_target, (const char *)&race_good, sizeof race_target);
        for (volatile int spin = 0; spin < 2000; spin++)
            ;
    }
    return NULL;
}

/*
 * Connects (tcp) or sends a datagram (udp) n times to race_target while a second thread flips it
 * between a listed and an unlisted address. A program does this to slip past a check that reads
 * the address before the kernel does.
 */
static int cmd_sockaddr_race(const char *protocol, unsigned long long attempts)
{
    int udp = strcmp(protocol, "udp") == 0;
    pthread_t flipper;
    unsigned long long succeeded = 0, failed = 0;

    race_target = race_good;
    if (pthread_create(&flipper, NULL, flip_address, NULL) != 0) {
        emit("FAIL sockaddr-race pthread_create\n");
        return EXIT_FAILED;
    }
    for (unsigned long long i = 0; i < attempts; i++) {
        int sock = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (sock < 0) {
            failed++;
            continue;
        }
        int ok = udp ? sendto(sock, datagram, sizeof datagram - 1, 0, (struct sockaddr *)&race_target,
                              sizeof race_target) >= 0
                     : connect(sock, (struct sockaddr *)&race_target, sizeof race_target) == 0;
        if (ok)
            succeeded++;
        else
            failed++;
        close(sock);
    }
    race_done = 1;
    pthread_join(flipper, NULL);
    emit("OK sockaddr-race %s attempts=%llu succeeded=%llu failed=%llu\n", protocol, attempts, succeeded, failed);
    return EXIT_OK;
}

/* Sends n datagrams "seq <i>" at a steady rate, then reports how many sendto calls failed. */
static int cmd_udp_stream(const struct sockaddr_in *address, unsigned long long rate, unsigned long long count)
{
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        emit("FAIL udp-stream errno=%d\n", errno);
        return EXIT_FAILED;
    }
    uint64_t start = monotonic_ns();
    unsigned long long failed = 0;
    for (unsigned long long i = 0; i < count; i++) {
        uint64_t due = start + i * 1000000000ULL / rate;
        uint64_t now = monotonic_ns();
        if (due > now) {
            struct timespec pause = {(time_t)((due - now) / 1000000000ULL), (long)((due - now) % 1000000000ULL)};
            nanosleep(&pause, NULL);
        }
        char text[32];
        int length = snprintf(text, sizeof text, "seq %llu", i);
        if (sendto(sock, text, (size_t)length, 0, (const struct sockaddr *)address, sizeof *address) < 0)
            failed++;
    }
    uint64_t elapsed = monotonic_ns() - start;
    close(sock);
    emit("OK udp-stream sent=%llu failed=%llu elapsed_ns=%llu\n", count - failed, failed, (unsigned long long)elapsed);
    return EXIT_OK;
}

/*
 * Times n queries for the A record of name, each a res_nquery over TCP (RES_USEVC) to the given
 * server, as glibc sends them in the sandbox, where its resolv.conf sets use-vc.
 */
static int cmd_resolve_time(const struct sockaddr_in *server, const char *name, unsigned long long count)
{
    struct __res_state state;
    unsigned char answer[4096];

    memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) {
        emit("FAIL resolve-time res_ninit\n");
        return EXIT_FAILED;
    }
    state.nscount = 1;
    state.nsaddr_list[0] = *server;
    state.options |= RES_USEVC;
    state.retry = 1;
    uint64_t *times = calloc(count ? count : 1, sizeof *times);
    if (!times) {
        emit("FAIL resolve-time out of memory\n");
        return EXIT_FAILED;
    }
    unsigned long long failed = 0;
    for (unsigned long long i = 0; i < count; i++) {
        uint64_t begin = monotonic_ns();
        if (res_nquery(&state, name, ns_c_in, ns_t_a, answer, sizeof answer) < 0)
            failed++;
        times[i] = monotonic_ns() - begin;
    }
    res_nclose(&state);
    qsort(times, count, sizeof *times, compare_u64);
    emit("OK resolve-time n=%llu median_ns=%llu p90_ns=%llu failed=%llu\n", count,
         (unsigned long long)percentile_of(times, count, 50), (unsigned long long)percentile_of(times, count, 90), failed);
    free(times);
    return EXIT_OK;
}

/* Reports a failure before execve, in a line that cannot be mistaken for an execve errno. */
static void setup_failed(const char *mode, const char *call)
{
    emit("FAIL hostile-exec %s %s errno=%d\n", mode, call, errno);
    exit(EXIT_FAILED);
}

static void exec_many_args(const char *path)
{
    char **args = calloc(MANY_ARGS_COUNT + 2, sizeof *args);
    if (args == NULL)
        setup_failed("many-args", "calloc");
    args[0] = (char *)path;
    for (int i = 1; i <= MANY_ARGS_COUNT; i++)
        args[i] = "x";
    execve(path, args, environ);
}

static void exec_non_utf8(const char *path)
{
    char *args[] = {(char *)path, "\xff\xfe\xc3\x28", "caf\xe9", NULL};

    execve(path, args, environ);
}

/*
 * Returns a page full of 'A' followed by an unmapped page, so that a string starting there has
 * no NUL before memory ends. A supervisor reading it must stop at the gap instead of crashing or
 * reading garbage.
 */
static char *unterminated_page(const char *mode)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    char *pages = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED)
        setup_failed(mode, "mmap");
    if (munmap(pages + page, page) != 0)
        setup_failed(mode, "munmap");
    memset(pages, 'A', page);
    return pages;
}

/*
 * NOTE: the kernel copies at most PATH_MAX (4096) bytes of a path, so with 4 KiB pages execve
 * fails with ENAMETOOLONG before it reaches the unmapped page. A supervisor may still read on.
 */
static void exec_unterminated_path(const char *path)
{
    char *args[] = {(char *)path, NULL};

    execve(unterminated_page("unterminated-path"), args, environ);
}

static void exec_unterminated_arg(const char *path)
{
    char *args[] = {(char *)path, unterminated_page("unterminated-arg"), NULL};

    execve(path, args, environ);
}

/*
 * An argv pointer in the unmapped first page of the address space. It goes through a volatile
 * variable because gcc warns that a constant address is a region too small for argv.
 */
static void exec_bad_pointer(const char *path)
{
    volatile uintptr_t address = 0x10;

    execve(path, (char **)address, environ);
}

static int cmd_hostile_exec(const char *mode, const char *path)
{
    if (strcmp(mode, "many-args") == 0)
        exec_many_args(path);
    else if (strcmp(mode, "non-utf8") == 0)
        exec_non_utf8(path);
    else if (strcmp(mode, "unterminated-path") == 0)
        exec_unterminated_path(path);
    else if (strcmp(mode, "unterminated-arg") == 0)
        exec_unterminated_arg(path);
    else if (strcmp(mode, "bad-pointer") == 0)
        exec_bad_pointer(path);
    else
        return usage();
    emit("FAIL hostile-exec %s errno=%d\n", mode, errno);
    return EXIT_FAILED;
}

int main(int argc, char **argv)
{
    /* Taken first, so that alive's record covers as much of the run as possible. */
    uint64_t start = monotonic_ns();

    if (argc < 2)
        return usage();
    const char *command = argv[1];
    int count = argc - 2;
    char **args = argv + 2;
    unsigned long long first, second;
    struct sockaddr_in address;

    if (strcmp(command, "alive") == 0 && count == 1)
        return cmd_alive(args[0], start);
    if (strcmp(command, "forkbomb") == 0 && count == 2 && parse_number(args[0], MAX_COUNT, &first) &&
        parse_number(args[1], MAX_HOLD_MS, &second))
        return cmd_forkbomb(first, second);
    if (strcmp(command, "exec-race") == 0 && count == 5 && parse_number(args[2], MAX_COUNT, &first) &&
        parse_number(args[3], MAX_COUNT, &second) && second > 0)
        return cmd_exec_race(args[0], args[1], first, second, args[4]);
    if (strcmp(command, "connect-flood") == 0 && count == 3 && parse_ipv4(args[0], args[1], &address) &&
        parse_number(args[2], MAX_COUNT, &first))
        return cmd_connect_flood(&address, first);
    if (strcmp(command, "connect-time") == 0 && count == 3 && parse_ipv4(args[0], args[1], &address) &&
        parse_number(args[2], MAX_COUNT, &first))
        return cmd_connect_time(&address, first);
    if (strcmp(command, "connect-rate") == 0 && count == 4 && parse_ipv4(args[0], args[1], &address) &&
        parse_number(args[2], 1000000, &first) && first > 0 && parse_number(args[3], 3600, &second))
        return cmd_connect_rate(&address, first, second);
    if (strcmp(command, "udp-send") == 0 && count == 3 && is_udp_mode(args[0]) &&
        parse_ipv4(args[1], args[2], &address))
        return cmd_udp_send(args[0], &address);
    if (strcmp(command, "hostile-exec") == 0 && count == 2)
        return cmd_hostile_exec(args[0], args[1]);
    if (strcmp(command, "sockaddr-race") == 0 && count == 6 &&
        (strcmp(args[0], "tcp") == 0 || strcmp(args[0], "udp") == 0) && parse_ipv4(args[1], args[2], &race_good) &&
        parse_ipv4(args[3], args[4], &race_bad) && parse_number(args[5], MAX_COUNT, &first))
        return cmd_sockaddr_race(args[0], first);
    if (strcmp(command, "resolve-time") == 0 && count == 4 && parse_ipv4(args[0], args[1], &address) &&
        parse_number(args[3], MAX_COUNT, &first) && first > 0)
        return cmd_resolve_time(&address, args[2], first);
    if (strcmp(command, "udp-stream") == 0 && count == 4 && parse_ipv4(args[0], args[1], &address) &&
        parse_number(args[2], 1000000, &first) && first > 0 && parse_number(args[3], MAX_COUNT, &second))
        return cmd_udp_stream(&address, first, second);
    return usage();
}
