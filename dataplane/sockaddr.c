/* SPDX-License-Identifier: MIT */
/* A socket bound in a port range (sockaddr.h). */
#include "sockaddr.h"

#include <errno.h>
#include <stdlib.h>

int dp_bind_in_range(int fd, const struct ponte_addr *local, uint16_t port_min,
		     uint16_t port_max)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint32_t span = port_max >= port_min && port_min != 0 ? port_max - port_min + 1u : 0;
	uint32_t start = span ? (uint32_t)random() % span : 0;

	if (local->port != 0 || span == 0) {
		dp_addr_to_sockaddr(local, &ss, &len);
		return bind(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : -errno;
	}
	for (uint32_t i = 0; i < span; i++) {
		struct ponte_addr a = *local;

		a.port = (uint16_t)(port_min + (start + i) % span);
		dp_addr_to_sockaddr(&a, &ss, &len);
		if (bind(fd, (struct sockaddr *)&ss, len) == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -errno;
	}
	return -EADDRINUSE;
}
