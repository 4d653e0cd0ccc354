/* SPDX-License-Identifier: MIT */
/*
 * Next-hop MACs for the frames the fast path sends, never configured: learned from frames.
 *  - The kernel's choice: a unicast IP frame the kernel sends out through the exception port
 *    carries the MAC that its neighbour table and routes picked for that destination (the
 *    peer's own, or a router's for an address beyond the link). STUN and DTLS answers go out
 *    this way before any media, so an ICE peer is known before its first media packet.
 *  - The flow's own packets: the source MAC of media received from an address is the way
 *    back to it (the peer, or the router it came through).
 * A destination known by neither is sent through the kernel (a raw socket on the exception
 * interface, lcore.c), which resolves it; its frame then teaches us the MAC.
 *
 * The table (address -> MAC, the MAC kept in the data word itself) has one writer, lcore 0;
 * the other lcores queue what they see to it through a ring. Entries are updated in place and
 * never deleted, so readers need no grace period. When full, nothing more is learned and
 * the kernel path carries the rest.
 */
#include "dpdk.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_hash_crc.h>

#define MAC_VALID (1ull << 48)

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36 /* <linux/in6.h>: the IPv6 header is ours, as IPPROTO_RAW's is in IPv4 */
#endif

struct nkey {
	uint16_t family;
	uint16_t nic; /* next hops are per NIC */
	uint8_t ip[16];
	/* Zero. 32 bytes: rte_hash compares keys of 16, 32, 48... bytes with vector code, and
	 * others with a call to memcmp() (a tenth of the lcore's time with 20 bytes). */
	uint8_t zero[12];
};

struct learn_msg {
	struct nkey key;
	uint8_t mac[6];
	uint16_t pad;
};
_Static_assert(sizeof(struct learn_msg) % 4 == 0, "rte_ring element size");

_Static_assert(sizeof(struct nkey) == 32, "nkey_make() writes four words");

#define NEIGH_HASH_INIT 0x85ebca6bu

/* The key of (nic, ip), and its hash (the table's: rte_hash_crc() over the key), computed
 * from the fields' own loads, the key stored 16 bytes at a time (dpdk_store_words()): read back
 * just after it was written field by field (memset, 2-byte stores), each 8-byte load of the
 * hash and 16-byte load of the key compare would wait for those stores to reach the cache
 * instead of being forwarded from them (a store-forwarding stall, which the lcore's profile
 * showed at a third of a lookup). */
static hash_sig_t nkey_make(struct nkey *k, unsigned nic, const struct ponte_addr *ip)
{
	uint32_t a0, a3 = 0;
	uint64_t w[4] = {0};
	hash_sig_t h = NEIGH_HASH_INIT;

	memcpy(&a0, ip->ip, 4);
	if (ip->family != AF_INET) {
		memcpy(&w[1], ip->ip + 4, 8);
		memcpy(&a3, ip->ip + 12, 4);
	}
	w[0] = ip->family | (uint64_t)(uint16_t)nic << 16 | (uint64_t)a0 << 32;
	w[2] = a3;
	for (unsigned i = 0; i < 4; i++)
		h = rte_hash_crc_8byte(w[i], h);
	dpdk_store_words(k, w, 4);
	return h;
}

static uint64_t mac_word(const struct rte_ether_addr *mac)
{
	uint64_t w = MAC_VALID;

	for (int i = 0; i < 6; i++)
		w |= (uint64_t)mac->addr_bytes[i] << (8 * i);
	return w;
}

/* Raw sockets bound to NIC k's exception interface: the kernel routes what we give it there,
 * whatever its other routes say, and resolves the next hop on that NIC's network. Without
 * CAP_NET_RAW there are none, and media to a next hop not learned yet is dropped (counted,
 * lcore.c). */
static void raw_open(struct dpdk_dp *d, unsigned k)
{
	const char *ifname = d->tap_name[k];
	int on = 1;

	d->raw_fd4[k] = d->raw_fd6[k] = -1;
	if (ifname[0] == '\0')
		return;
	d->raw_fd4[k] = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW);
	d->raw_fd6[k] = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW);
	if (d->raw_fd6[k] >= 0)
		setsockopt(d->raw_fd6[k], IPPROTO_IPV6, IPV6_HDRINCL, &on, sizeof(on));
	for (int i = 0; i < 2; i++) {
		int fd = i == 0 ? d->raw_fd4[k] : d->raw_fd6[k];

		if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
					  (socklen_t)strlen(ifname)) != 0)
			dpdk_log(d, DPDK_LOG_WARN, "dpdk: raw socket on %s: %s", ifname,
				 strerror(errno));
	}
	if (d->raw_fd4[k] < 0 || d->raw_fd6[k] < 0)
		dpdk_log(d, DPDK_LOG_WARN,
			 "dpdk: no raw socket on %s (%s): media to a next hop not yet learned "
			 "is dropped until one is",
			 ifname, strerror(errno));
}

int dpdk_neigh_create(struct dpdk_dp *d)
{
	struct rte_hash_parameters p = {
	    .name = "ponte_neigh",
	    .entries = d->max_flows < 1024 ? 1024 : d->max_flows,
	    .key_len = sizeof(struct nkey),
	    .hash_func = rte_hash_crc,
	    .hash_func_init_val = NEIGH_HASH_INIT,
	    .socket_id = (int)rte_socket_id(),
	    .extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	d->neigh = rte_hash_create(&p);
	d->learn = rte_ring_create_elem("ponte_learn", sizeof(struct learn_msg), DPDK_LEARN_RING,
					(int)rte_socket_id(), RING_F_SC_DEQ);
	if (d->neigh == NULL || d->learn == NULL)
		return -ENOMEM;
	for (unsigned k = 0; k < d->nb_nics; k++)
		raw_open(d, k);
	return 0;
}

void dpdk_neigh_destroy(struct dpdk_dp *d)
{
	rte_hash_free(d->neigh);
	rte_ring_free(d->learn);
	d->neigh = NULL;
	d->learn = NULL;
	for (unsigned k = 0; k < DPDK_MAX_NICS; k++) {
		if (d->raw_fd4[k] >= 0)
			close(d->raw_fd4[k]);
		if (d->raw_fd6[k] >= 0)
			close(d->raw_fd6[k]);
		d->raw_fd4[k] = d->raw_fd6[k] = -1;
	}
}

int dpdk_neigh_via_kernel(struct dpdk_lcore *l, unsigned nic, struct rte_mbuf *m,
			  const struct ponte_addr *dst)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	int fd = dst->family == AF_INET ? l->d->raw_fd4[nic] : l->d->raw_fd6[nic];
	ssize_t n;

	if (fd < 0) {
		rte_pktmbuf_free(m);
		return -ENETUNREACH;
	}
	memset(&ss, 0, sizeof(ss));
	if (dst->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, dst->ip, 4);
		slen = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, dst->ip, 16);
		slen = sizeof(*s6);
	}
	/* The kernel takes the IP datagram as it is: the checksums must be there. */
	dpdk_finish_cksum(m);
	n = sendto(fd, rte_pktmbuf_mtod_offset(m, const void *, m->l2_len),
		   rte_pktmbuf_data_len(m) - m->l2_len, MSG_DONTWAIT, (struct sockaddr *)&ss, slen);
	rte_pktmbuf_free(m);
	return n < 0 ? -errno : 0;
}

bool dpdk_neigh_lookup(const struct dpdk_dp *d, unsigned nic, const struct ponte_addr *ip,
		       struct rte_ether_addr *mac)
{
	struct nkey k;
	void *data;
	uint64_t w;

	if (rte_hash_lookup_with_hash_data(d->neigh, &k, nkey_make(&k, nic, ip), &data) < 0)
		return false;
	w = (uint64_t)(uintptr_t)data;
	if (!(w & MAC_VALID))
		return false;
	/* Stored as rte_ether_addr_copy() will load it, 4 bytes then 2: loads that span byte
	 * stores wait for them to reach the cache (a quarter of dpdk_build()'s time when this
	 * was a loop of six). */
	{
		uint32_t lo = (uint32_t)w;
		uint16_t hi = (uint16_t)(w >> 32);

		memcpy(mac->addr_bytes, &lo, 4);
		memcpy(mac->addr_bytes + 4, &hi, 2);
	}
	return true;
}

static void store(struct dpdk_dp *d, const struct nkey *k, uint64_t w)
{
	void *data;
	bool is_new = rte_hash_lookup_data(d->neigh, k, &data) < 0;

	if (!is_new && (uint64_t)(uintptr_t)data == w)
		return;
	/* An existing key's data is replaced with one atomic store: readers see the old MAC or
	 * the new one. What the flows saw of it before is stale from then on. */
	if (rte_hash_add_key_data(d->neigh, k, (void *)(uintptr_t)w) == 0 && !is_new)
		atomic_fetch_add_explicit(&d->neigh_gen, 1, memory_order_release);
}

bool dpdk_neigh_learn(struct dpdk_lcore *l, unsigned nic, const struct ponte_addr *ip,
		      const struct rte_ether_addr *mac)
{
	struct dpdk_dp *d = l->d;
	struct learn_msg m;
	struct rte_ether_addr have;

	if (!rte_is_unicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return false;
	if (dpdk_neigh_lookup(d, nic, ip, &have) && rte_is_same_ether_addr(&have, mac))
		return true;
	(void)nkey_make(&m.key, nic, ip);
	if (l->idx == 0) {
		store(d, &m.key, mac_word(mac));
		return false;
	}
	memcpy(m.mac, mac->addr_bytes, 6);
	m.pad = 0;
	/* Full: lcore 0 is behind; the next frame from there will tell us again. */
	rte_ring_mp_enqueue_elem(d->learn, &m, sizeof(m));
	return false;
}

void dpdk_neigh_drain(struct dpdk_lcore *l)
{
	struct learn_msg msgs[32];
	unsigned n;

	while ((n = rte_ring_sc_dequeue_burst_elem(l->d->learn, msgs, sizeof(msgs[0]), 32, NULL)) >
	       0) {
		for (unsigned i = 0; i < n; i++) {
			struct rte_ether_addr mac;

			memcpy(mac.addr_bytes, msgs[i].mac, 6);
			store(l->d, &msgs[i].key, mac_word(&mac));
		}
	}
}
