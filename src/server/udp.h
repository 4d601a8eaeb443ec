/*
 * udp.h: memcached's UDP front end (-U PORT). Each datagram carries the
 * 8-byte frame header protocol.txt describes (request id, sequence number,
 * datagram count, reserved) and one whole request stream of text and meta
 * commands, or of binary requests (its first byte is 0x80); the replies go back split into datagrams of at most
 * UDP_DATAGRAM_MAX bytes, each with the same request id and its sequence
 * number. UDP is off unless -U names a port.
 */
#ifndef MNEMO_SERVER_UDP_H
#define MNEMO_SERVER_UDP_H

#include <stddef.h>

#define UDP_HEADER_LEN 8
#define UDP_DATAGRAM_MAX 1400 /* memcached's UDP_MAX_PAYLOAD_SIZE, header included */

struct server;
struct udp_port;

/* Bind -U on every -l address and attach each socket to a worker's loop
 * (round-robin). 0, or -1 with err filled. Workers must be running. */
int udp_start(struct server *srv, struct udp_port **out, char *err, size_t errlen);

/* Detach and close. Workers must be stopped first. Sets *p to NULL. */
void udp_stop(struct udp_port **p);

#endif
