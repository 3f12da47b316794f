/*
 * netprobe.c: Windows console program for WineWarden's network tests under Wine.
 *
 * Each subcommand does what a game, or malware shipped with one, does on the network. It looks up
 * a name and connects to it, connects to a raw address, sends a UDP datagram, or asks DNS for a
 * TXT record. deaddrop fetches a page that names the real server as ip:port and connects there.
 *
 * Build: x86_64-w64-mingw32-gcc -O1 -o netprobe.exe netprobe.c -lws2_32 -ldnsapi
 *
 * Output: one line per result on stdout, starting with "OK" or "FAIL"; a FAIL line ends with the
 * Winsock or DNS error (error=<n>). Exit code: 0 if the action succeeded, 1 if it failed, 2 for a
 * usage error. Arguments are ASCII host names, addresses and ports.
 */
#define _WIN32_WINNT 0x0601

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <windns.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

/* Receive timeout, so a silent server cannot hang a test. */
#define RECEIVE_TIMEOUT_MS 5000
#define REPLY_MAX 512

static const char usage_text[] =
    "usage: netprobe <command> [arguments]\n"
    "  resolve <name>                 look up a name, print its IPv4 and IPv6 addresses\n"
    "  fetch <name> <port> <text>     look up a name, connect, send text, print the reply\n"
    "  tcp <ipv4> <port> <text>       connect to an address, send text, print the reply\n"
    "  udp <ipv4> <port> <text>       send text in one datagram with sendto\n"
    "  txt <name>                     ask DNS for the name's TXT record\n"
    "  deaddrop <name> <port>         fetch ip:port from name, then connect there and send \"beacon\"\n";

static int usage(void)
{
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

static void emit(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    fflush(stdout);
}

static int parse_port(const char *text, unsigned short *port)
{
    char *end;
    unsigned long value = strtoul(text, &end, 10);

    if (*text == '\0' || *end != '\0' || value == 0 || value > 65535)
        return 0;
    *port = (unsigned short)value;
    return 1;
}

/* Looks up name for IPv4 and stores the first address in out. Returns 0 or the Winsock error. */
static int lookup4(const char *name, struct sockaddr_in *out)
{
    struct addrinfo hints, *result;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int error = getaddrinfo(name, NULL, &hints, &result);
    if (error)
        return error;
    memcpy(out, result->ai_addr, sizeof *out);
    freeaddrinfo(result);
    return 0;
}

/*
 * Connects to target, sends message, reads until the server closes or REPLY_MAX bytes, and
 * stores the reply with a NUL in reply. Returns 0, or the Winsock error with the failed step in
 * *step.
 */
static int exchange(const struct sockaddr_in *target, const char *message, char *reply, const char **step)
{
    SOCKET sock = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (sock == INVALID_SOCKET) {
        *step = "socket";
        return WSAGetLastError();
    }
    DWORD timeout = RECEIVE_TIMEOUT_MS;
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout, sizeof timeout);

    int error = 0;
    int received = 0;
    if (connect(sock, (const struct sockaddr *)target, sizeof *target) != 0) {
        *step = "connect";
        error = WSAGetLastError();
        goto done;
    }
    if (send(sock, message, (int)strlen(message), 0) == SOCKET_ERROR) {
        *step = "send";
        error = WSAGetLastError();
        goto done;
    }
    shutdown(sock, SD_SEND);
    while (received < REPLY_MAX) {
        int count = recv(sock, reply + received, REPLY_MAX - received, 0);
        if (count == 0)
            break;
        if (count == SOCKET_ERROR) {
            if (received > 0)
                break;
            *step = "receive";
            error = WSAGetLastError();
            goto done;
        }
        received += count;
    }
done:
    reply[received] = '\0';
    closesocket(sock);
    return error;
}

static int cmd_resolve(const char *name)
{
    struct addrinfo hints, *result;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int error = getaddrinfo(name, NULL, &hints, &result);
    if (error) {
        emit("FAIL resolve %s error=%d\n", name, error);
        return EXIT_FAILED;
    }
    printf("OK resolve %s", name);
    for (struct addrinfo *a = result; a; a = a->ai_next) {
        char text[INET6_ADDRSTRLEN];
        const void *address = a->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr
                                                       : (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr;
        if (inet_ntop(a->ai_family, address, text, sizeof text))
            printf(" %s", text);
    }
    emit("\n");
    freeaddrinfo(result);
    return EXIT_OK;
}

static int connect_and_print(const char *label, struct sockaddr_in *target, const char *message)
{
    char reply[REPLY_MAX + 1];
    const char *step = "";
    int error = exchange(target, message, reply, &step);
    if (error) {
        emit("FAIL %s %s error=%d\n", label, step, error);
        return EXIT_FAILED;
    }
    emit("OK %s reply %s\n", label, reply);
    return EXIT_OK;
}

static int cmd_fetch(const char *name, const char *port_text, const char *message)
{
    struct sockaddr_in target;
    unsigned short port;

    if (!parse_port(port_text, &port))
        return usage();
    int error = lookup4(name, &target);
    if (error) {
        emit("FAIL fetch resolve error=%d\n", error);
        return EXIT_FAILED;
    }
    target.sin_port = htons(port);
    return connect_and_print("fetch", &target, message);
}

/* Fills target from an IPv4 address and a port. Returns 0 if either is invalid. */
static int parse_target(const char *address, const char *port_text, struct sockaddr_in *target)
{
    unsigned short port;

    memset(target, 0, sizeof *target);
    target->sin_family = AF_INET;
    if (!parse_port(port_text, &port) || inet_pton(AF_INET, address, &target->sin_addr) != 1)
        return 0;
    target->sin_port = htons(port);
    return 1;
}

static int cmd_tcp(const char *address, const char *port_text, const char *message)
{
    struct sockaddr_in target;

    if (!parse_target(address, port_text, &target))
        return usage();
    return connect_and_print("tcp", &target, message);
}

static int cmd_udp(const char *address, const char *port_text, const char *message)
{
    struct sockaddr_in target;

    if (!parse_target(address, port_text, &target))
        return usage();
    SOCKET sock = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (sock == INVALID_SOCKET) {
        emit("FAIL udp socket error=%d\n", WSAGetLastError());
        return EXIT_FAILED;
    }
    int sent = sendto(sock, message, (int)strlen(message), 0, (const struct sockaddr *)&target, sizeof target);
    int error = sent == SOCKET_ERROR ? WSAGetLastError() : 0;
    closesocket(sock);
    if (error) {
        emit("FAIL udp sendto error=%d\n", error);
        return EXIT_FAILED;
    }
    emit("OK udp sent %d\n", sent);
    return EXIT_OK;
}

static int cmd_txt(const char *name)
{
    PDNS_RECORDA records = NULL;
    DNS_STATUS status = DnsQuery_A(name, DNS_TYPE_TEXT, DNS_QUERY_STANDARD, NULL, (PDNS_RECORD *)&records, NULL);
    if (status != 0) {
        emit("FAIL txt %s error=%ld\n", name, (long)status);
        return EXIT_FAILED;
    }
    int found = 0;
    for (PDNS_RECORDA r = records; r; r = r->pNext) {
        if (r->wType == DNS_TYPE_TEXT && r->Data.TXT.dwStringCount > 0) {
            emit("OK txt %s %s\n", name, r->Data.TXT.pStringArray[0]);
            found = 1;
            break;
        }
    }
    DnsRecordListFree((PDNS_RECORD)records, DnsFreeRecordList);
    if (!found) {
        emit("FAIL txt %s no TXT record\n", name);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/* The dead-drop pattern: the page at name:port names the real server as "ip:port". */
static int cmd_deaddrop(const char *name, const char *port_text)
{
    struct sockaddr_in drop, server;
    unsigned short port;
    char page[REPLY_MAX + 1], address[64];
    const char *step = "";

    if (!parse_port(port_text, &port))
        return usage();
    int error = lookup4(name, &drop);
    if (error) {
        emit("FAIL deaddrop resolve error=%d\n", error);
        return EXIT_FAILED;
    }
    drop.sin_port = htons(port);
    error = exchange(&drop, "GET", page, &step);
    if (error) {
        emit("FAIL deaddrop fetch %s error=%d\n", step, error);
        return EXIT_FAILED;
    }
    unsigned int server_port;
    if (sscanf(page, "%63[0-9.]:%u", address, &server_port) != 2 || server_port == 0 || server_port > 65535) {
        emit("FAIL deaddrop page has no ip:port\n");
        return EXIT_FAILED;
    }
    memset(&server, 0, sizeof server);
    server.sin_family = AF_INET;
    server.sin_port = htons((unsigned short)server_port);
    if (inet_pton(AF_INET, address, &server.sin_addr) != 1) {
        emit("FAIL deaddrop page has no ip:port\n");
        return EXIT_FAILED;
    }
    return connect_and_print("deaddrop", &server, "beacon");
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    WSADATA wsa;
    int error = WSAStartup(MAKEWORD(2, 2), &wsa);
    if (error) {
        emit("FAIL WSAStartup error=%d\n", error);
        return EXIT_FAILED;
    }
    const char *command = argv[1];
    int count = argc - 2;
    char **args = argv + 2;
    int result = EXIT_USAGE;

    if (strcmp(command, "resolve") == 0 && count == 1)
        result = cmd_resolve(args[0]);
    else if (strcmp(command, "fetch") == 0 && count == 3)
        result = cmd_fetch(args[0], args[1], args[2]);
    else if (strcmp(command, "tcp") == 0 && count == 3)
        result = cmd_tcp(args[0], args[1], args[2]);
    else if (strcmp(command, "udp") == 0 && count == 3)
        result = cmd_udp(args[0], args[1], args[2]);
    else if (strcmp(command, "txt") == 0 && count == 1)
        result = cmd_txt(args[0]);
    else if (strcmp(command, "deaddrop") == 0 && count == 2)
        result = cmd_deaddrop(args[0], args[1]);
    else
        usage();
    WSACleanup();
    return result;
}
