/* SPDX-License-Identifier: MIT */
/*
 * struct ponte_addr and the kernel's socket addresses, for the backends that hold sockets
 * (sock.c's media sockets, dpdk.c's ICE sockets and port reservations). The conversions are
 * inline: the socket backend calls them for every packet it sends.
 */
#ifndef PONTE_DP_SOCKADDR_H
#define PONTE_DP_SOCKADDR_H

#include <ponte/flow.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

static inline void dp_addr_to_sockaddr(const struct ponte_addr *a, struct sockaddr_storage *ss,
				       socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->ip, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->ip, 4);
		*len = sizeof(*s4);
	}
}

/* A family other than IPv4 or IPv6 gives an empty address (family 0). */
static inline void dp_sockaddr_to_addr(const struct sockaddr_storage *ss, struct ponte_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->family = AF_INET6;
		a->port = ntohs(s6->sin6_port);
		memcpy(a->ip, &s6->sin6_addr, 16);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->family = AF_INET;
		a->port = ntohs(s4->sin_port);
		memcpy(a->ip, &s4->sin_addr, 4);
	}
}

/*
 * Bind fd to local: to its port when it has one (or when port_min..port_max is no range),
 * else to the first free port of the range, starting at a random place so that restarts and
 * neighbours spread over it. 0, -EADDRINUSE when the range is full, or bind()'s error.
 */
int dp_bind_in_range(int fd, const struct ponte_addr *local, uint16_t port_min,
		     uint16_t port_max);

#endif
