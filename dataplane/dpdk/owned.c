/* SPDX-License-Identifier: MIT */
/*
 * The UDP port range the fast path owns (struct ponte_dp_dpdk_config.owned_port_min..max; the
 * daemon's dpdk.owned_ports, by default the SIP media range). A port of that range opened with
 * ponte_dp_port_open() has no kernel socket: its number is a bit in a bitmap of its local
 * address, and nothing but the fast path ever answers for it. That takes three things, all
 * here, so that the kernel behind the exception interface never acts on such a port:
 *
 *  - the kernel gives none of those numbers to a socket of its own: the range goes into the
 *    network namespace's ip_local_reserved_ports at start (merged with what is there, and
 *    what was added taken out again at stop), so that no ephemeral bind (port 0, a connect()
 *    of an unbound socket) lands there. Explicit binds are not refused by the kernel: the
 *    control plane must not make any in the range (the configuration refuses a webrtc port
 *    range that overlaps it);
 *  - the kernel never sees a datagram for such a port: the lcores drop, and count
 *    (owned_port_drops), UDP to a port of the range that has no Ponte port (never opened, or
 *    closed since), and the first fragment of a fragmented datagram to one (its UDP header
 *    names the port; the later fragments carry none and go to the kernel, which cannot
 *    reassemble without the first and lets them expire silently: RFC 792 and Linux send a
 *    reassembly time-out only when fragment zero arrived). Were they punted to the kernel, it
 *    would answer ICMP port unreachable, which tears down a peer's connected UDP socket. An
 *    open port's datagrams that no flow takes (STUN, RTP before the flows are installed or
 *    after they are deleted) are still punted to the control plane (lcore.c), never to the
 *    kernel;
 *  - two ports never share a number: ponte_dp_port_open() takes numbers from the bitmap of
 *    their local address and refuses a taken one with -EADDRINUSE, as bind() would.
 */
#include "dpdk.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#define RESERVED_PATH "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define PORT_WORDS (65536 / 64)
/* The kernel takes one page per write() of the sysctl: a longer list would be parsed in
 * pieces, a number perhaps cut in two. */
#define RESERVED_MAX 4000

/* The numbers in use on one local address: bit i is port owned.min + i. */
struct dpdk_owned_addr {
	struct ponte_addr ip; /* port 0 */
	uint32_t nb_used;
	uint64_t bits[];
};

static bool bit_get(const uint64_t *b, uint32_t i)
{
	return (b[i >> 6] >> (i & 63)) & 1;
}

static void bit_set(uint64_t *b, uint32_t i, bool on)
{
	if (on)
		b[i >> 6] |= 1ull << (i & 63);
	else
		b[i >> 6] &= ~(1ull << (i & 63));
}

/* ---- ip_local_reserved_ports ---- */

/* "1,3-5,40000-49999" (what the kernel prints and takes) into bits; 0 or -errno. */
static int reserved_parse(const char *text, uint64_t *bits)
{
	const char *p = text;

	memset(bits, 0, PORT_WORDS * sizeof(*bits));
	while (*p != '\0') {
		unsigned long a, b;
		char *end;

		while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			b = strtoul(p, &end, 10);
		}
		if (b < a || b > 65535)
			return -EINVAL;
		for (unsigned long i = a; i <= b; i++)
			bit_set(bits, (uint32_t)i, true);
		p = end;
	}
	return 0;
}

/* bits as the kernel's list into out (len bytes): the length, or -E2BIG. */
static int reserved_format(const uint64_t *bits, char *out, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -E2BIG;
	out[0] = '\0';
	for (uint32_t i = 0; i < 65536; i++) {
		uint32_t j = i;
		int n;

		if (!bit_get(bits, i))
			continue;
		while (j + 1 < 65536 && bit_get(bits, j + 1))
			j++;
		n = j == i ? snprintf(out + off, len - off, "%s%u", off ? "," : "", i)
			   : snprintf(out + off, len - off, "%s%u-%u", off ? "," : "", i, j);
		if (n < 0 || (size_t)n >= len - off)
			return -E2BIG;
		off += (size_t)n;
		i = j;
	}
	return (int)off;
}

static int reserved_read(uint64_t *bits)
{
	char buf[RESERVED_MAX * 2];
	ssize_t n;
	int fd = open(RESERVED_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	/* Longer than this, it would be cut here and written back cut. */
	if ((size_t)n == sizeof(buf) - 1)
		return -E2BIG;
	buf[n] = '\0';
	return reserved_parse(buf, bits);
}

static int reserved_write(const uint64_t *bits)
{
	char buf[RESERVED_MAX + 2];
	int n = reserved_format(bits, buf, RESERVED_MAX), fd;
	ssize_t w;

	if (n < 0)
		return n;
	/* An empty list clears the set; the kernel wants at least a newline. */
	buf[n++] = '\n';
	fd = open(RESERVED_PATH, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, buf, (size_t)n);
	n = w == n ? 0 : w < 0 ? -errno : -EIO;
	close(fd);
	return n;
}

/* ---- life ---- */

int dpdk_owned_start(struct dpdk_dp *d, const struct ponte_dp_dpdk_config *dc)
{
	struct dpdk_owned *o = &d->owned;
	uint64_t *cur;
	bool is_new = false;
	int rc;

	o->min = 0;
	o->nb = 0;
	if (dc->owned_port_min == 0 && dc->owned_port_max == 0)
		return 0;
	if (dc->owned_port_min == 0 || dc->owned_port_max < dc->owned_port_min) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.owned_ports: %u-%u is no port range (MIN-MAX, 1 <= MIN <= MAX <= "
			 "65535)",
			 dc->owned_port_min, dc->owned_port_max);
		return -EINVAL;
	}
	cur = calloc(PORT_WORDS, sizeof(*cur));
	o->added = calloc(PORT_WORDS, sizeof(*o->added));
	if (cur == NULL || o->added == NULL) {
		free(cur);
		return -ENOMEM;
	}
	rc = reserved_read(cur);
	for (uint32_t p = dc->owned_port_min; rc == 0 && p <= dc->owned_port_max; p++) {
		if (!bit_get(cur, p)) {
			bit_set(o->added, p, true);
			bit_set(cur, p, true);
			is_new = true;
		}
	}
	if (rc == 0 && is_new)
		rc = reserved_write(cur);
	free(cur);
	if (rc != 0) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.owned_ports: cannot add %u-%u to %s: %s (the kernel could give "
			 "those numbers to sockets of its own; it takes CAP_NET_ADMIN in the "
			 "gateway's network namespace; or set dpdk.owned_ports: off)",
			 dc->owned_port_min, dc->owned_port_max, RESERVED_PATH, strerror(-rc));
		free(o->added);
		o->added = NULL;
		return rc;
	}
	o->has_reserved = is_new;
	o->min = dc->owned_port_min;
	o->nb = (uint32_t)dc->owned_port_max - dc->owned_port_min + 1;
	dpdk_log(d, DPDK_LOG_INFO,
		 "dpdk: UDP ports %u-%u of the NICs' addresses are the fast path's: no kernel "
		 "socket, in %s%s",
		 dc->owned_port_min, dc->owned_port_max, RESERVED_PATH, is_new ? "" : " already");
	return 0;
}

void dpdk_owned_stop(struct dpdk_dp *d)
{
	struct dpdk_owned *o = &d->owned;

	/* Take out what start added, leaving what others added since. */
	if (o->has_reserved) {
		uint64_t *cur = calloc(PORT_WORDS, sizeof(*cur));
		int rc = cur != NULL ? reserved_read(cur) : -ENOMEM;

		for (uint32_t w = 0; rc == 0 && w < PORT_WORDS; w++)
			cur[w] &= ~o->added[w];
		if (rc == 0)
			rc = reserved_write(cur);
		if (rc != 0)
			dpdk_log(d, DPDK_LOG_WARN,
				 "dpdk.owned_ports: cannot take %u-%u out of %s again: %s", o->min,
				 o->min + o->nb - 1, RESERVED_PATH, strerror(-rc));
		free(cur);
		o->has_reserved = false;
	}
	for (unsigned i = 0; i < o->nb_addrs; i++)
		free(o->addrs[i]);
	free(o->addrs);
	free(o->added);
	o->addrs = NULL;
	o->added = NULL;
	o->nb_addrs = o->cap_addrs = 0;
	o->nb = 0;
}

/* ---- numbers ---- */

/* The numbers of local's address (its port ignored); created when create is set. A linear
 * search: the owned range lives on the NICs' addresses, a handful. */
static struct dpdk_owned_addr *addr_of(struct dpdk_owned *o, const struct ponte_addr *local,
				       bool create)
{
	struct dpdk_owned_addr *a;
	size_t ip_len = local->family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < o->nb_addrs; i++) {
		a = o->addrs[i];
		if (a->ip.family == local->family && memcmp(a->ip.ip, local->ip, ip_len) == 0)
			return a;
	}
	if (!create)
		return NULL;
	if (o->nb_addrs == o->cap_addrs) {
		unsigned cap = o->cap_addrs ? 2 * o->cap_addrs : 4;
		struct dpdk_owned_addr **n = realloc(o->addrs, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		o->addrs = n;
		o->cap_addrs = cap;
	}
	a = calloc(1, sizeof(*a) + (o->nb + 63) / 64 * sizeof(uint64_t));
	if (a == NULL)
		return NULL;
	a->ip = *local;
	a->ip.port = 0;
	o->addrs[o->nb_addrs++] = a;
	return a;
}

int dpdk_owned_take(struct dpdk_dp *d, struct ponte_addr *local, uint16_t port_min,
		    uint16_t port_max)
{
	struct dpdk_owned *o = &d->owned;
	struct dpdk_owned_addr *a;
	uint32_t lo, hi, span, start;
	char shown[64];

	if (o->nb == 0)
		return 1;
	if (local->port != 0) {
		if (!dpdk_owned_has_range(o, local->port))
			return 1;
		lo = hi = local->port - o->min;
	} else if (port_min == 0 && port_max == 0) {
		/* Any port: one of the range, which needs no socket. */
		lo = 0;
		hi = o->nb - 1;
	} else {
		uint32_t omax = o->min + o->nb - 1;

		if (port_max < port_min || port_max < o->min || port_min > omax)
			return 1;
		if (!dpdk_owned_has_range(o, port_min) || !dpdk_owned_has_range(o, port_max)) {
			dpdk_log(
			    d, DPDK_LOG_ERROR,
			    "dpdk: a port in %u-%u on %s: that range straddles the owned range "
			    "%u-%u (dpdk.owned_ports); ask for one inside or outside it",
			    port_min, port_max, ponte_addr_str(local, shown, sizeof(shown)), o->min,
			    omax);
			return -EINVAL;
		}
		lo = port_min - o->min;
		hi = port_max - o->min;
	}
	a = addr_of(o, local, true);
	if (a == NULL)
		return -ENOMEM;
	span = hi - lo + 1;
	start = span > 1 ? (uint32_t)random() % span : 0;
	for (uint32_t n = 0; n < span; n++) {
		uint32_t i = lo + (start + n) % span;

		if (bit_get(a->bits, i))
			continue;
		bit_set(a->bits, i, true);
		a->nb_used++;
		local->port = (uint16_t)(o->min + i);
		return 0;
	}
	return -EADDRINUSE;
}

void dpdk_owned_put(struct dpdk_dp *d, const struct ponte_addr *local)
{
	struct dpdk_owned *o = &d->owned;
	struct dpdk_owned_addr *a;

	if (!dpdk_owned_has_range(o, local->port) || (a = addr_of(o, local, false)) == NULL)
		return;
	if (bit_get(a->bits, local->port - o->min)) {
		bit_set(a->bits, local->port - o->min, false);
		a->nb_used--;
	}
}

bool dpdk_owned_is_taken(const struct dpdk_dp *d, const struct ponte_addr *local)
{
	struct dpdk_owned_addr *a;

	if (!dpdk_owned_has_range(&d->owned, local->port) ||
	    (a = addr_of((struct dpdk_owned *)&d->owned, local, false)) == NULL)
		return false;
	return bit_get(a->bits, local->port - d->owned.min);
}

/* ---- the lcores' check ---- */

/*
 * The UDP destination port of a frame parse.c gives to the kernel (IPv4 options, a fragment,
 * IPv6 extension headers), when the frame carries one: not for a fragment other than the
 * first, nor for what is not UDP. m is untagged by then (parse.c took a VLAN tag out) and
 * only its first segment is looked at.
 */
static bool kernel_udp_port(const struct rte_mbuf *m, uint16_t *port)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len, off = RTE_ETHER_HDR_LEN;
	uint16_t type;
	uint8_t next;

	if (len < RTE_ETHER_HDR_LEN)
		return false;
	type = (uint16_t)(f[12] << 8 | f[13]);
	if (type == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + off);

		if (len < off + sizeof(*ip) || ip->next_proto_id != IPPROTO_UDP ||
		    (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) != 0)
			return false;
		off += (ip->version_ihl & 0x0fu) * 4u;
		next = IPPROTO_UDP;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		if (len < off + 40)
			return false;
		next = f[off + 6];
		off += 40;
		/* RFC 8200 §4: hop-by-hop, routing and destination options (8-byte units after
		 * the first 8), and the fragment header (§4.5: offset 0 is the first). */
		for (int h = 0; h < 8 && next != IPPROTO_UDP; h++) {
			if (len < off + 8)
				return false;
			if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
			    next == IPPROTO_DSTOPTS) {
				next = f[off];
				off += (f[off + 1] + 1u) * 8u;
			} else if (next == IPPROTO_FRAGMENT) {
				if (((f[off + 2] << 8 | f[off + 3]) & 0xfff8) != 0)
					return false;
				next = f[off];
				off += 8;
			} else {
				return false;
			}
		}
		if (next != IPPROTO_UDP)
			return false;
	} else {
		return false;
	}
	if (len < off + sizeof(struct rte_udp_hdr))
		return false;
	*port = (uint16_t)(f[off + 2] << 8 | f[off + 3]);
	return true;
}

bool dpdk_owned_drop(struct dpdk_lcore *l, struct rte_mbuf *m, const struct dpdk_pkt *pkt)
{
	uint16_t port;

	if (l->d->owned.nb == 0)
		return false;
	if (pkt->verdict == DPKT_UDP)
		port = pkt->dst.port;
	else if (pkt->verdict != DPKT_KERNEL || !kernel_udp_port(m, &port))
		return false;
	if (!dpdk_owned_has_range(&l->d->owned, port))
		return false;
	LSTAT_ADD(l, owned_port_drops, 1);
	rte_pktmbuf_free(m);
	return true;
}
