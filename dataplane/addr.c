/* SPDX-License-Identifier: MIT */
/* Plain-data addresses and flow spec helpers of include/ponte/flow.h. */
#include <ponte/flow.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int ponte_addr_parse(struct ponte_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->port = port;
	if (inet_pton(AF_INET, ip, a->ip) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, ip, a->ip) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *ponte_addr_str(const struct ponte_addr *a, char *buf, unsigned long size)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family != AF_INET && a->family != AF_INET6) {
		snprintf(buf, size, "any");
		return buf;
	}
	inet_ntop(a->family, a->ip, ip, sizeof(ip));
	snprintf(buf, size, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, a->port);
	return buf;
}

bool ponte_addr_equal(const struct ponte_addr *a, const struct ponte_addr *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, n) == 0;
}

void ponte_flow_spec_init(struct ponte_flow_spec *spec, uint64_t id, uint32_t port_id)
{
	memset(spec, 0, sizeof(*spec));
	spec->id = id;
	spec->port_id = port_id;
	spec->rtcp = PONTE_RTCP_FORWARD;
	spec->mirror_pt = PONTE_PT_KEEP;
}

struct ponte_flow_output *ponte_flow_add_output(struct ponte_flow_spec *spec, uint32_t port_id,
						const struct ponte_addr *dst)
{
	struct ponte_flow_output *o;

	if (spec->nb_outputs >= PONTE_FLOW_MAX_OUTPUTS)
		return NULL;
	o = &spec->outputs[spec->nb_outputs++];
	memset(o, 0, sizeof(*o));
	o->port_id = port_id;
	o->dst = *dst;
	o->kinds = PONTE_OUT_RTP | PONTE_OUT_RTCP;
	memset(o->pt_map, PONTE_PT_KEEP, sizeof(o->pt_map));
	return o;
}
