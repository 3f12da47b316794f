// Package dnsforward is the DNS forwarder that the supervisor runs on
// loopback for one sandbox.
//
// It exists because connection attempts carry only addresses. The forwarder
// records which names the game resolved and which addresses the answers
// contained, so that a connection to an address that no DNS answer produced
// can be flagged. In restrict mode it responds with NXDOMAIN for names the
// policy does not allow, without contacting an upstream resolver.
//
// What it assumes and how it stays safe:
//
//   - The supervisor redirects every DNS query of the sandbox (UDP and TCP to
//     port 53) to UDPAddr and TCPAddr. Both listen on 127.0.0.1 only.
//   - Both sides are untrusted: the game writes the queries, and an upstream
//     may answer anything. Messages are parsed with
//     golang.org/x/net/dns/dnsmessage. No buffer sized by a length from the
//     wire exceeds 65535 bytes. At most 256 queries are in flight, 16 of them
//     from one TCP client, and 64 TCP clients are connected. UDP queries over
//     the limit are dropped and counted, TCP clients over the limit are
//     closed, and a TCP client idle for 10 seconds is closed.
//   - Forwarded responses go back unchanged apart from the message ID. The
//     exception is a response larger than a UDP client accepts, which is
//     replaced by the header with TC set and the question. The Exchange passed to Config.Observe is what this package parsed, and a
//     client's parser may read a malformed answer differently.
//   - Each upstream attempt uses a new connected UDP socket and a random
//     message ID, and accepts only a response with that ID and the same
//     question. This defends against off-path spoofing. It does not defend
//     against a hostile upstream, whose answers are passed on as they are.
//   - The forwarder neither caches nor validates DNSSEC.
package dnsforward
