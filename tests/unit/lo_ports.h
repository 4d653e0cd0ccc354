/* SPDX-License-Identifier: MIT */
/*
 * Ports on 127.0.0.1 for the SIP unit tests' peers (SIPp): bind_lo(), and free_port(), a port
 * free for UDP and TCP whose successor is free for UDP (SIPp's media port).
 *
 * free_port() picks in 10000..19999, below the kernel's ephemeral range (32768..60999 by
 * default) and the gateway's default media ranges (webrtc 20000.., sip.rtp 40000..): a port
 * the kernel handed out as ephemeral and that we closed could be taken again, by another
 * test's socket, before SIPp binds it (SIPp then exits 254). Include once per test program.
 */
#ifndef PONTE_TESTS_LO_PORTS_H
#define PONTE_TESTS_LO_PORTS_H

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LO_PORT_MIN 10000
#define LO_PORT_SPAN 9998

static int bind_lo(int type, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static int free_port(void)
{
	static unsigned int seed;

	if (seed == 0)
		seed = (unsigned int)getpid() ^ (unsigned int)time(NULL);
	for (int tries = 0; tries < 200; tries++) {
		int port = LO_PORT_MIN + (int)(rand_r(&seed) % LO_PORT_SPAN);
		int u = bind_lo(SOCK_DGRAM, port);
		int t = u >= 0 ? bind_lo(SOCK_STREAM, port) : -1;
		int u2 = t >= 0 ? bind_lo(SOCK_DGRAM, port + 1) : -1;

		if (u >= 0)
			close(u);
		if (t >= 0)
			close(t);
		if (u2 >= 0) {
			close(u2);
			return port;
		}
	}
	return -1;
}

#endif
