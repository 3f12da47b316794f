/*
 * probe.c: Windows console program that WineWarden's integration tests run under Wine.
 *
 * Each subcommand performs one action that a game, or malware shipped with a game, might take:
 * file access through Win32 and through raw Linux syscalls, process creation, shared memory,
 * sockets, and saves in the user's shell folders. A test runs the probe inside and outside the
 * sandbox and compares its result lines with what the policy allows.
 *
 * Build: x86_64-w64-mingw32-gcc -O1 -o probe.exe probe.c -lws2_32 -lshell32
 *
 * Output: one line per result on stdout, flushed at once, starting with "OK" or "FAIL". A FAIL
 * line ends with the Win32 error (error=<GetLastError()>), the Winsock error, the HRESULT, or, for
 * raw syscalls, the Linux errno (errno=<n>). Exit code: 0 if the action succeeded, 1 if it failed,
 * 2 for a usage error.
 *
 * Arguments are read as UTF-16 with CommandLineToArgvW, because the narrow argv of the C runtime
 * is converted to the ANSI code page and loses characters outside it. Text that the probe writes
 * to files or sends over sockets is UTF-8.
 */
#define _WIN32_WINNT 0x0601
#define __USE_MINGW_ANSI_STDIO 1

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <shellapi.h>
#include <shlobj.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

/* Maximum number of bytes shown from file contents and socket replies. */
#define PREVIEW_MAX 200

/* x86_64 Linux system call numbers. */
#define LINUX_SYS_READ 0
#define LINUX_SYS_OPEN 2
#define LINUX_SYS_CLOSE 3
#define LINUX_SYS_EXECVE 59
#define LINUX_O_RDONLY 0

/* Layout of the shared memory that "shm" passes to its child. */
#define SHM_SIZE 4096
#define SHM_REPLY_OFFSET 2048
#define SHM_CHILD_TIMEOUT_MS 60000

/* Receive timeout for "tcp", so a silent server cannot hang the test. */
#define TCP_RECEIVE_TIMEOUT_MS 10000

static unsigned char io_buffer[65536];

static const char usage_text[] =
    "usage: probe <command> [arguments]\n"
    "  read <path>...             print the size and the first bytes of each file\n"
    "  rawread <unixpath>         the same through raw Linux open/read/close syscalls\n"
    "  list <dir>                 list a directory\n"
    "  write <path> <text>        create or truncate a file and write text\n"
    "  append <path> <text>       append text to a file, creating it if missing\n"
    "  mkdirs <path>              create a directory and all missing parents\n"
    "  copy <src> <dst>           copy a file, replacing dst\n"
    "  exec <commandline>         start a process, wait and print its exit code\n"
    "  rawexec <unixpath>         replace this process through a raw Linux execve syscall\n"
    "  exit <n>                   exit with code n\n"
    "  threads <n>                start n threads that meet at a barrier\n"
    "  shm                        exchange a token with a child through a named file mapping\n"
    "  tcp <ipv4> <port> <text>   connect, send text, print the reply\n"
    "  save <game> <text>         write save.txt under Documents\\My Games\\<game> and AppData\\<game>\n"
    "  load <game>                read both save files back\n"
    "  sleep <ms>                 start a child that sleeps ms milliseconds, then sleep as long\n"
    "  printenv <name>            print an environment variable\n"
    "Commands that take text join all remaining arguments with spaces.\n";

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
    fflush(stderr);
    return EXIT_USAGE;
}

static void *checked_malloc(size_t size)
{
    void *memory = malloc(size ? size : 1);

    if (!memory) {
        emit("FAIL out of memory\n");
        exit(EXIT_FAILED);
    }
    return memory;
}

/* Converts UTF-16 to a newly allocated UTF-8 string. */
static char *to_utf8(const wchar_t *wide)
{
    int size = WideCharToMultiByte(CP_UTF8, 0, wide, -1, NULL, 0, NULL, NULL);
    char *text = checked_malloc(size > 0 ? (size_t)size : 1);

    if (size <= 0 || !WideCharToMultiByte(CP_UTF8, 0, wide, -1, text, size, NULL, NULL))
        text[0] = '\0';
    return text;
}

/* Converts UTF-8 to a newly allocated UTF-16 string. */
static wchar_t *to_wide(const char *text)
{
    int size = MultiByteToWideChar(CP_UTF8, 0, text, -1, NULL, 0);
    wchar_t *wide = checked_malloc((size > 0 ? (size_t)size : 1) * sizeof(wchar_t));

    if (size <= 0 || !MultiByteToWideChar(CP_UTF8, 0, text, -1, wide, size))
        wide[0] = L'\0';
    return wide;
}

/* Joins count arguments with single spaces into a newly allocated UTF-16 string. */
static wchar_t *join_wide(int count, wchar_t **args)
{
    size_t length = 1;

    for (int i = 0; i < count; i++)
        length += wcslen(args[i]) + 1;
    wchar_t *joined = checked_malloc(length * sizeof(wchar_t));
    joined[0] = L'\0';
    for (int i = 0; i < count; i++) {
        if (i > 0)
            wcscat(joined, L" ");
        wcscat(joined, args[i]);
    }
    return joined;
}

static wchar_t *concat_wide(const wchar_t *first, const wchar_t *second, const wchar_t *third)
{
    size_t length = wcslen(first) + wcslen(second) + wcslen(third) + 1;
    wchar_t *joined = checked_malloc(length * sizeof(wchar_t));

    wcscpy(joined, first);
    wcscat(joined, second);
    wcscat(joined, third);
    return joined;
}

/* Parses a decimal number without sign or trailing characters. */
static BOOL parse_number(const wchar_t *text, unsigned long max, unsigned long *value)
{
    wchar_t *end;

    if (text[0] < L'0' || text[0] > L'9')
        return FALSE;
    errno = 0;
    *value = wcstoul(text, &end, 10);
    return errno == 0 && *end == L'\0' && *value <= max;
}

/* Copies up to PREVIEW_MAX bytes into preview as text, with every non-printable byte as '.'. */
static void make_preview(const unsigned char *data, size_t length, char preview[PREVIEW_MAX + 1])
{
    if (length > PREVIEW_MAX)
        length = PREVIEW_MAX;
    for (size_t i = 0; i < length; i++)
        preview[i] = (data[i] >= 0x20 && data[i] < 0x7f) ? (char)data[i] : '.';
    preview[length] = '\0';
}

/* Reads a whole file, keeping its first PREVIEW_MAX bytes. Returns 0 or the Win32 error. */
static DWORD read_file(const wchar_t *path, unsigned char head[PREVIEW_MAX], size_t *head_length,
                       unsigned long long *total)
{
    HANDLE file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                              NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return GetLastError();

    *head_length = 0;
    *total = 0;
    for (;;) {
        DWORD count;
        if (!ReadFile(file, io_buffer, sizeof io_buffer, &count, NULL)) {
            DWORD error = GetLastError();
            CloseHandle(file);
            return error;
        }
        if (count == 0)
            break;
        size_t keep = PREVIEW_MAX - *head_length;
        if (keep > count)
            keep = count;
        memcpy(head + *head_length, io_buffer, keep);
        *head_length += keep;
        *total += count;
    }
    CloseHandle(file);
    return 0;
}

/* Writes text to a file, truncating it or appending to it. Returns 0 or the Win32 error. */
static DWORD write_file(const wchar_t *path, const char *text, BOOL append)
{
    HANDLE file = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ, NULL,
                              append ? OPEN_ALWAYS : CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return GetLastError();

    DWORD error = 0;
    LARGE_INTEGER zero = {0};
    DWORD length = (DWORD)strlen(text);
    DWORD written = 0;
    if (append && !SetFilePointerEx(file, zero, NULL, FILE_END))
        error = GetLastError();
    else if (!WriteFile(file, text, length, &written, NULL))
        error = GetLastError();
    else if (written != length)
        error = ERROR_WRITE_FAULT;
    if (!CloseHandle(file) && error == 0)
        error = GetLastError();
    return error;
}

static BOOL is_separator(wchar_t c)
{
    return c == L'\\' || c == L'/';
}

/*
 * Creates path and every missing parent. Returns 0 or the Win32 error. An existing file in the way
 * gives ERROR_ALREADY_EXISTS. The path is modified while parents are created and restored after.
 */
static DWORD make_dirs(wchar_t *path)
{
    DWORD attributes = GetFileAttributesW(path);
    if (attributes != INVALID_FILE_ATTRIBUTES)
        return (attributes & FILE_ATTRIBUTE_DIRECTORY) ? 0 : ERROR_ALREADY_EXISTS;

    wchar_t *separator = NULL;
    for (wchar_t *c = path; *c; c++) {
        if (is_separator(*c))
            separator = c;
    }
    if (separator && separator > path) {
        wchar_t saved = *separator;
        *separator = L'\0';
        DWORD error = make_dirs(path);
        *separator = saved;
        if (error)
            return error;
    }

    if (!CreateDirectoryW(path, NULL)) {
        DWORD error = GetLastError();
        if (error != ERROR_ALREADY_EXISTS)
            return error;
    }
    return 0;
}

/*
 * Starts a process with this process's standard handles. Returns 0 or the Win32 error.
 * command_line must be writable, as CreateProcessW requires.
 */
static DWORD start_process(wchar_t *command_line, PROCESS_INFORMATION *process)
{
    STARTUPINFOW startup;
    DWORD std_ids[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
    HANDLE std_handles[3];

    for (int i = 0; i < 3; i++) {
        std_handles[i] = GetStdHandle(std_ids[i]);
        /* A handle that stays non-inheritable only costs the child that stream, so errors are ignored. */
        SetHandleInformation(std_handles[i], HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    }
    memset(&startup, 0, sizeof startup);
    startup.cb = sizeof startup;
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = std_handles[0];
    startup.hStdOutput = std_handles[1];
    startup.hStdError = std_handles[2];

    fflush(stdout);
    if (!CreateProcessW(NULL, command_line, NULL, NULL, TRUE, 0, NULL, NULL, &startup, process))
        return GetLastError();
    return 0;
}

/* Builds the command line "<this exe>" <arguments> for a child copy of the probe. */
static wchar_t *self_command_line(const wchar_t *arguments)
{
    wchar_t exe[32768];
    DWORD length = GetModuleFileNameW(NULL, exe, sizeof exe / sizeof exe[0]);

    if (length == 0 || length >= sizeof exe / sizeof exe[0])
        return NULL;
    return concat_wide(L"\"", exe, concat_wide(L"\" ", arguments, L""));
}

/* Issues a Linux system call with the syscall instruction. Returns the result or -errno. */
static long long linux_syscall3(long long number, long long arg1, long long arg2, long long arg3)
{
    long long result;

    /* The kernel preserves all registers except rax (result), rcx and r11. */
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(arg1), "S"(arg2), "d"(arg3)
                     : "rcx", "r11", "memory");
    return result;
}

static int cmd_read(const wchar_t *path)
{
    char *name = to_utf8(path);
    unsigned char head[PREVIEW_MAX];
    size_t head_length;
    unsigned long long total;
    char preview[PREVIEW_MAX + 1];

    DWORD error = read_file(path, head, &head_length, &total);
    if (error) {
        emit("FAIL read %s error=%lu\n", name, error);
        return EXIT_FAILED;
    }
    make_preview(head, head_length, preview);
    emit("OK read %llu bytes: %s\n", total, preview);
    return EXIT_OK;
}

/* Reads a Linux path with raw syscalls, so the access bypasses Wine's file handling. */
static int cmd_rawread(const wchar_t *wide_path)
{
    char *path = to_utf8(wide_path);
    unsigned char head[PREVIEW_MAX];
    size_t head_length = 0;
    unsigned long long total = 0;
    char preview[PREVIEW_MAX + 1];

    long long fd = linux_syscall3(LINUX_SYS_OPEN, (long long)(INT_PTR)path, LINUX_O_RDONLY, 0);
    if (fd < 0) {
        emit("FAIL rawread %s open errno=%lld\n", path, -fd);
        return EXIT_FAILED;
    }
    for (;;) {
        long long count = linux_syscall3(LINUX_SYS_READ, fd, (long long)(INT_PTR)io_buffer, sizeof io_buffer);
        if (count < 0) {
            linux_syscall3(LINUX_SYS_CLOSE, fd, 0, 0);
            emit("FAIL rawread %s read errno=%lld\n", path, -count);
            return EXIT_FAILED;
        }
        if (count == 0)
            break;
        size_t keep = PREVIEW_MAX - head_length;
        if (keep > (size_t)count)
            keep = (size_t)count;
        memcpy(head + head_length, io_buffer, keep);
        head_length += keep;
        total += (unsigned long long)count;
    }
    linux_syscall3(LINUX_SYS_CLOSE, fd, 0, 0);
    make_preview(head, head_length, preview);
    emit("OK rawread %llu bytes: %s\n", total, preview);
    return EXIT_OK;
}

static int cmd_list(const wchar_t *dir)
{
    char *name = to_utf8(dir);
    DWORD attributes = GetFileAttributesW(dir);
    if (attributes == INVALID_FILE_ATTRIBUTES) {
        emit("FAIL list %s error=%lu\n", name, GetLastError());
        return EXIT_FAILED;
    }
    if (!(attributes & FILE_ATTRIBUTE_DIRECTORY)) {
        emit("FAIL list %s error=%lu\n", name, (DWORD)ERROR_DIRECTORY);
        return EXIT_FAILED;
    }

    size_t length = wcslen(dir);
    wchar_t *pattern = concat_wide(dir, (length > 0 && is_separator(dir[length - 1])) ? L"" : L"\\", L"*");
    WIN32_FIND_DATAW entry;
    HANDLE search = FindFirstFileW(pattern, &entry);
    if (search == INVALID_HANDLE_VALUE) {
        DWORD error = GetLastError();
        /* A drive root has no "." and ".." entries, so an empty root matches nothing. */
        if (error == ERROR_FILE_NOT_FOUND) {
            emit("OK listed 0\n");
            return EXIT_OK;
        }
        emit("FAIL list %s error=%lu\n", name, error);
        return EXIT_FAILED;
    }

    unsigned long count = 0;
    do {
        if (wcscmp(entry.cFileName, L".") == 0 || wcscmp(entry.cFileName, L"..") == 0)
            continue;
        emit("OK entry %s\n", to_utf8(entry.cFileName));
        count++;
    } while (FindNextFileW(search, &entry));
    DWORD error = GetLastError();
    FindClose(search);
    if (error != ERROR_NO_MORE_FILES) {
        emit("FAIL list %s error=%lu\n", name, error);
        return EXIT_FAILED;
    }
    emit("OK listed %lu\n", count);
    return EXIT_OK;
}

static int cmd_write(const char *command, const wchar_t *path, const char *text, BOOL append)
{
    char *name = to_utf8(path);
    DWORD error = write_file(path, text, append);

    if (error) {
        emit("FAIL %s %s error=%lu\n", command, name, error);
        return EXIT_FAILED;
    }
    emit("OK %s %s %lu bytes\n", command, name, (DWORD)strlen(text));
    return EXIT_OK;
}

static int cmd_mkdirs(const wchar_t *argument)
{
    char *name = to_utf8(argument);
    wchar_t *path = concat_wide(argument, L"", L"");
    size_t length = wcslen(path);

    while (length > 1 && is_separator(path[length - 1]))
        path[--length] = L'\0';
    DWORD error = make_dirs(path);
    if (error) {
        emit("FAIL mkdirs %s error=%lu\n", name, error);
        return EXIT_FAILED;
    }
    emit("OK mkdirs %s\n", name);
    return EXIT_OK;
}

static int cmd_copy(const wchar_t *source, const wchar_t *destination)
{
    char *source_name = to_utf8(source);
    char *destination_name = to_utf8(destination);

    if (!CopyFileW(source, destination, FALSE)) {
        emit("FAIL copy %s %s error=%lu\n", source_name, destination_name, GetLastError());
        return EXIT_FAILED;
    }
    emit("OK copy %s %s\n", source_name, destination_name);
    return EXIT_OK;
}

/*
 * Runs the command line and waits for it. Quotes that the caller's shell removed are not restored,
 * so an argument with spaces must carry its own quotes inside one argument.
 */
static int cmd_exec(int count, wchar_t **args)
{
    wchar_t *command_line = join_wide(count, args);
    char *name = to_utf8(command_line);
    PROCESS_INFORMATION process;
    DWORD code;

    DWORD error = start_process(command_line, &process);
    if (error) {
        emit("FAIL exec %s error=%lu\n", name, error);
        return EXIT_FAILED;
    }
    CloseHandle(process.hThread);
    WaitForSingleObject(process.hProcess, INFINITE);
    if (!GetExitCodeProcess(process.hProcess, &code)) {
        emit("FAIL exec %s exit code error=%lu\n", name, GetLastError());
        CloseHandle(process.hProcess);
        return EXIT_FAILED;
    }
    CloseHandle(process.hProcess);
    emit("OK exit %lu\n", code);
    return EXIT_OK;
}

/* Replaces the whole Wine process with a Linux program; returns only if execve fails. */
static int cmd_rawexec(const wchar_t *wide_path)
{
    char *path = to_utf8(wide_path);
    char *argv[2] = {path, NULL};
    char *envp[1] = {NULL};

    fflush(stdout);
    long long result = linux_syscall3(LINUX_SYS_EXECVE, (long long)(INT_PTR)path, (long long)(INT_PTR)argv,
                                      (long long)(INT_PTR)envp);
    emit("FAIL rawexec %s errno=%lld\n", path, -result);
    return EXIT_FAILED;
}

struct barrier {
    volatile LONG arrived;
    LONG total;
    HANDLE all_arrived;
};

static DWORD WINAPI barrier_thread(void *parameter)
{
    struct barrier *barrier = parameter;

    if (InterlockedIncrement(&barrier->arrived) == barrier->total)
        SetEvent(barrier->all_arrived);
    WaitForSingleObject(barrier->all_arrived, INFINITE);
    return 0;
}

static int cmd_threads(unsigned long total)
{
    struct barrier barrier = {0, (LONG)total, CreateEventW(NULL, TRUE, FALSE, NULL)};
    HANDLE *threads = checked_malloc(total * sizeof(HANDLE));
    unsigned long started = 0;
    DWORD error = 0;

    if (!barrier.all_arrived) {
        emit("FAIL threads event error=%lu\n", GetLastError());
        return EXIT_FAILED;
    }
    for (; started < total; started++) {
        /* A 64 KiB stack reservation keeps the address space of thousands of threads small. */
        threads[started] = CreateThread(NULL, 64 * 1024, barrier_thread, &barrier,
                                        STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
        if (!threads[started]) {
            error = GetLastError();
            /* Releases the threads already waiting, because the barrier can no longer fill. */
            SetEvent(barrier.all_arrived);
            break;
        }
    }
    for (unsigned long i = 0; i < started; i++) {
        WaitForSingleObject(threads[i], INFINITE);
        CloseHandle(threads[i]);
    }
    CloseHandle(barrier.all_arrived);

    if (error) {
        emit("FAIL threads started=%lu of %lu error=%lu\n", started, total, error);
        return EXIT_FAILED;
    }
    if ((unsigned long)barrier.arrived != total) {
        emit("FAIL threads arrived=%ld of %lu\n", barrier.arrived, total);
        return EXIT_FAILED;
    }
    emit("OK threads %lu\n", total);
    return EXIT_OK;
}

/* Parent side of "shm": writes a token, starts a child copy of the probe that writes a reply, checks it. */
static int cmd_shm(void)
{
    char name[64];
    char token[64];
    char expected_reply[80];

    snprintf(name, sizeof name, "winewarden-probe-%lu", GetCurrentProcessId());
    snprintf(token, sizeof token, "token-%lu-%llu", GetCurrentProcessId(), GetTickCount64());
    snprintf(expected_reply, sizeof expected_reply, "reply %s", token);

    HANDLE mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, SHM_SIZE, to_wide(name));
    if (!mapping) {
        emit("FAIL shm create %s error=%lu\n", name, GetLastError());
        return EXIT_FAILED;
    }
    char *view = MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, SHM_SIZE);
    if (!view) {
        emit("FAIL shm map %s error=%lu\n", name, GetLastError());
        CloseHandle(mapping);
        return EXIT_FAILED;
    }
    strcpy(view, token);

    char arguments[160];
    snprintf(arguments, sizeof arguments, "shm-child %s %s", name, token);
    wchar_t *command_line = self_command_line(to_wide(arguments));
    PROCESS_INFORMATION process;
    DWORD error = command_line ? start_process(command_line, &process) : GetLastError();
    if (error) {
        emit("FAIL shm start child error=%lu\n", error);
        return EXIT_FAILED;
    }
    CloseHandle(process.hThread);

    int result = EXIT_FAILED;
    DWORD code = 0;
    DWORD wait = WaitForSingleObject(process.hProcess, SHM_CHILD_TIMEOUT_MS);
    if (wait != WAIT_OBJECT_0) {
        TerminateProcess(process.hProcess, 1);
        emit("FAIL shm child timed out after %d ms\n", SHM_CHILD_TIMEOUT_MS);
    } else if (!GetExitCodeProcess(process.hProcess, &code) || code != 0) {
        emit("FAIL shm child exit %lu\n", code);
    } else if (strncmp(view + SHM_REPLY_OFFSET, expected_reply, SHM_SIZE - SHM_REPLY_OFFSET) != 0) {
        char preview[PREVIEW_MAX + 1];
        make_preview((unsigned char *)view + SHM_REPLY_OFFSET,
                     strnlen(view + SHM_REPLY_OFFSET, SHM_SIZE - SHM_REPLY_OFFSET), preview);
        emit("FAIL shm reply %s, expected %s\n", preview, expected_reply);
    } else {
        emit("OK shm %s\n", name);
        result = EXIT_OK;
    }
    CloseHandle(process.hProcess);
    UnmapViewOfFile(view);
    CloseHandle(mapping);
    return result;
}

/* Child side of "shm". Prints only on failure, so the parent's line is the single result. */
static int cmd_shm_child(const wchar_t *wide_name, const wchar_t *wide_token)
{
    char *name = to_utf8(wide_name);
    char *token = to_utf8(wide_token);

    HANDLE mapping = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, wide_name);
    if (!mapping) {
        emit("FAIL shm-child open %s error=%lu\n", name, GetLastError());
        return EXIT_FAILED;
    }
    char *view = MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, SHM_SIZE);
    if (!view) {
        emit("FAIL shm-child map %s error=%lu\n", name, GetLastError());
        CloseHandle(mapping);
        return EXIT_FAILED;
    }
    int result = EXIT_OK;
    if (strnlen(view, SHM_REPLY_OFFSET) == SHM_REPLY_OFFSET || strcmp(view, token) != 0) {
        emit("FAIL shm-child token mismatch in %s\n", name);
        result = EXIT_FAILED;
    } else {
        snprintf(view + SHM_REPLY_OFFSET, SHM_SIZE - SHM_REPLY_OFFSET, "reply %s", token);
    }
    UnmapViewOfFile(view);
    CloseHandle(mapping);
    return result;
}

static int cmd_tcp(const wchar_t *wide_address, const wchar_t *wide_port, const char *message)
{
    char *address = to_utf8(wide_address);
    unsigned long port;
    struct sockaddr_in target;

    memset(&target, 0, sizeof target);
    target.sin_family = AF_INET;
    if (!parse_number(wide_port, 65535, &port) || port == 0
        || inet_pton(AF_INET, address, &target.sin_addr) != 1) {
        fprintf(stderr, "probe: invalid tcp target %s:%s: use an IPv4 address and a port from 1 to 65535\n",
                address, to_utf8(wide_port));
        return EXIT_USAGE;
    }
    target.sin_port = htons((u_short)port);

    WSADATA wsa;
    int error = WSAStartup(MAKEWORD(2, 2), &wsa);
    if (error) {
        emit("FAIL tcp WSAStartup error=%d\n", error);
        return EXIT_FAILED;
    }
    SOCKET sock = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (sock == INVALID_SOCKET) {
        emit("FAIL tcp socket error=%d\n", WSAGetLastError());
        WSACleanup();
        return EXIT_FAILED;
    }
    DWORD timeout = TCP_RECEIVE_TIMEOUT_MS;
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout, sizeof timeout);

    int result = EXIT_FAILED;
    if (connect(sock, (struct sockaddr *)&target, sizeof target) != 0) {
        emit("FAIL tcp connect %s:%lu error=%d\n", address, port, WSAGetLastError());
        goto done;
    }
    int length = (int)strlen(message);
    for (int sent = 0; sent < length;) {
        int count = send(sock, message + sent, length - sent, 0);
        if (count == SOCKET_ERROR) {
            emit("FAIL tcp send error=%d\n", WSAGetLastError());
            goto done;
        }
        sent += count;
    }
    /* Signals the end of the message to servers that read until end of stream. */
    shutdown(sock, SD_SEND);

    char reply[PREVIEW_MAX];
    int received = 0;
    while (received < PREVIEW_MAX) {
        int count = recv(sock, reply + received, PREVIEW_MAX - received, 0);
        if (count == 0)
            break;
        if (count == SOCKET_ERROR) {
            /* A server that replies but keeps the connection open ends in the receive timeout. */
            if (received > 0)
                break;
            emit("FAIL tcp receive error=%d\n", WSAGetLastError());
            goto done;
        }
        received += count;
    }
    char preview[PREVIEW_MAX + 1];
    make_preview((unsigned char *)reply, (size_t)received, preview);
    emit("OK tcp reply %s\n", preview);
    result = EXIT_OK;

done:
    closesocket(sock);
    WSACleanup();
    return result;
}

/*
 * Builds the two save directories of a game: Documents\My Games\<game> and AppData\<game> (the
 * roaming AppData). Returns S_OK or the HRESULT of SHGetFolderPathW.
 */
static HRESULT get_save_dirs(const wchar_t *game, wchar_t **documents_dir, wchar_t **appdata_dir)
{
    wchar_t folder[MAX_PATH];

    HRESULT result = SHGetFolderPathW(NULL, CSIDL_PERSONAL, NULL, SHGFP_TYPE_CURRENT, folder);
    if (FAILED(result))
        return result;
    *documents_dir = concat_wide(folder, L"\\My Games\\", game);

    result = SHGetFolderPathW(NULL, CSIDL_APPDATA, NULL, SHGFP_TYPE_CURRENT, folder);
    if (FAILED(result))
        return result;
    *appdata_dir = concat_wide(folder, L"\\", game);
    return S_OK;
}

static int cmd_save(const wchar_t *game, const char *text)
{
    wchar_t *dirs[2];

    HRESULT folder_result = get_save_dirs(game, &dirs[0], &dirs[1]);
    if (FAILED(folder_result)) {
        emit("FAIL save folder hresult=0x%08lx\n", (unsigned long)folder_result);
        return EXIT_FAILED;
    }

    int result = EXIT_OK;
    for (int i = 0; i < 2; i++) {
        wchar_t *path = concat_wide(dirs[i], L"\\save.txt", L"");
        char *name = to_utf8(path);
        DWORD error = make_dirs(dirs[i]);
        if (!error)
            error = write_file(path, text, FALSE);
        if (error) {
            emit("FAIL save %s error=%lu\n", name, error);
            result = EXIT_FAILED;
        } else {
            emit("OK save %s\n", name);
        }
    }
    return result;
}

static int cmd_load(const wchar_t *game)
{
    wchar_t *dirs[2];

    HRESULT folder_result = get_save_dirs(game, &dirs[0], &dirs[1]);
    if (FAILED(folder_result)) {
        emit("FAIL load folder hresult=0x%08lx\n", (unsigned long)folder_result);
        return EXIT_FAILED;
    }

    int result = EXIT_OK;
    for (int i = 0; i < 2; i++) {
        wchar_t *path = concat_wide(dirs[i], L"\\save.txt", L"");
        char *name = to_utf8(path);
        unsigned char head[PREVIEW_MAX];
        size_t head_length;
        unsigned long long total;
        char preview[PREVIEW_MAX + 1];

        DWORD error = read_file(path, head, &head_length, &total);
        if (error) {
            emit("FAIL load %s error=%lu\n", name, error);
            result = EXIT_FAILED;
            continue;
        }
        make_preview(head, head_length, preview);
        emit("OK load %s: %s\n", name, preview);
    }
    return result;
}

/* Starts a child that sleeps as long as this process and does not wait for it. */
static int cmd_sleep(const wchar_t *milliseconds_text, unsigned long milliseconds)
{
    PROCESS_INFORMATION process;
    wchar_t *command_line = self_command_line(concat_wide(L"sleep-child ", milliseconds_text, L""));
    DWORD error = command_line ? start_process(command_line, &process) : GetLastError();

    if (error) {
        emit("FAIL sleep start child error=%lu\n", error);
        return EXIT_FAILED;
    }
    CloseHandle(process.hThread);
    CloseHandle(process.hProcess);
    emit("OK sleep child windows-pid=%lu\n", process.dwProcessId);
    Sleep(milliseconds);
    return EXIT_OK;
}

static int cmd_printenv(const wchar_t *name)
{
    char *variable = to_utf8(name);
    DWORD size = GetEnvironmentVariableW(name, NULL, 0);

    if (size == 0) {
        emit("FAIL env %s error=%lu\n", variable, GetLastError());
        return EXIT_FAILED;
    }
    wchar_t *value = checked_malloc(size * sizeof(wchar_t));
    DWORD length = GetEnvironmentVariableW(name, value, size);
    if (length == 0 && GetLastError() != ERROR_SUCCESS) {
        emit("FAIL env %s error=%lu\n", variable, GetLastError());
        return EXIT_FAILED;
    }
    value[length < size ? length : size - 1] = L'\0';
    emit("OK env %s=%s\n", variable, to_utf8(value));
    return EXIT_OK;
}

int main(void)
{
    /* Binary mode keeps "\n" from becoming "\r\n" in the output the tests parse. */
    _setmode(_fileno(stdout), _O_BINARY);

    int argc;
    wchar_t **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    if (!argv || argc < 2)
        return usage();
    const wchar_t *command = argv[1];
    int count = argc - 2;
    wchar_t **args = argv + 2;
    unsigned long number;

    if (wcscmp(command, L"read") == 0 && count >= 1) {
        int result = EXIT_OK;
        for (int i = 0; i < count; i++)
            if (cmd_read(args[i]) != EXIT_OK)
                result = EXIT_FAILED;
        return result;
    }
    if (wcscmp(command, L"rawread") == 0 && count == 1)
        return cmd_rawread(args[0]);
    if (wcscmp(command, L"list") == 0 && count == 1)
        return cmd_list(args[0]);
    if (wcscmp(command, L"write") == 0 && count >= 2)
        return cmd_write("write", args[0], to_utf8(join_wide(count - 1, args + 1)), FALSE);
    if (wcscmp(command, L"append") == 0 && count >= 2)
        return cmd_write("append", args[0], to_utf8(join_wide(count - 1, args + 1)), TRUE);
    if (wcscmp(command, L"mkdirs") == 0 && count == 1)
        return cmd_mkdirs(args[0]);
    if (wcscmp(command, L"copy") == 0 && count == 2)
        return cmd_copy(args[0], args[1]);
    if (wcscmp(command, L"exec") == 0 && count >= 1)
        return cmd_exec(count, args);
    if (wcscmp(command, L"rawexec") == 0 && count == 1)
        return cmd_rawexec(args[0]);
    /* Wine passes only the low 8 bits of the code to the Linux parent. */
    if (wcscmp(command, L"exit") == 0 && count == 1 && parse_number(args[0], 0xffffffffUL, &number))
        return (int)number;
    if (wcscmp(command, L"threads") == 0 && count == 1 && parse_number(args[0], 0x7fffffffUL, &number) && number > 0)
        return cmd_threads(number);
    if (wcscmp(command, L"shm") == 0 && count == 0)
        return cmd_shm();
    if (wcscmp(command, L"shm-child") == 0 && count == 2)
        return cmd_shm_child(args[0], args[1]);
    if (wcscmp(command, L"tcp") == 0 && count >= 3)
        return cmd_tcp(args[0], args[1], to_utf8(join_wide(count - 2, args + 2)));
    if (wcscmp(command, L"save") == 0 && count >= 2)
        return cmd_save(args[0], to_utf8(join_wide(count - 1, args + 1)));
    if (wcscmp(command, L"load") == 0 && count == 1)
        return cmd_load(args[0]);
    if (wcscmp(command, L"sleep") == 0 && count == 1 && parse_number(args[0], 0x7fffffffUL, &number))
        return cmd_sleep(args[0], number);
    if (wcscmp(command, L"sleep-child") == 0 && count == 1 && parse_number(args[0], 0x7fffffffUL, &number)) {
        Sleep(number);
        return EXIT_OK;
    }
    if (wcscmp(command, L"printenv") == 0 && count == 1)
        return cmd_printenv(args[0]);
    return usage();
}
