/* SPDX-License-Identifier: MIT */
/*
 * Frames for the kernel that are larger than the exception port takes, cut into IP fragments
 * that it does take; the kernel behind it reassembles them (kfrag.h).
 *
 * net_tap writes no frame longer than its ethdev MTU and 22 bytes, and DPDK refuses that MTU
 * above 1500 for it (its max_rx_pktlen is 1522), whatever the kernel interface's own MTU. Yet
 * the NIC delivers larger frames: jumbo frames (dpdk.ports[].mtu), and whole datagrams that
 * net_af_packet reassembled from IP fragments (its socket fanout always defragments). Without
 * this, those were lost at the TAP (counted exception_full). The kernel is the datagram's
 * destination here, not a hop on its way: an IPv4 DF bit is cleared (RFC 791 §3.2: DF forbids
 * fragmenting on the path, which this is not; the local stack reassembles at once).
 */
#include "kfrag.h"

#include <errno.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>

int dpdk_kfrag(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *direct,
	       struct rte_mempool *indirect, struct rte_mbuf **out, unsigned nb_out)
{
	struct rte_ether_hdr eth;
	int32_t n = -ENOTSUP;

	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr)) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	memcpy(&eth, rte_pktmbuf_mtod(m, const void *), sizeof(eth));
	rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
	if (eth.ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
		uint16_t hlen = (uint16_t)((ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) *
					   RTE_IPV4_IHL_MULTIPLIER);

		/* A header that fits the first segment and the MTU; the fragments' data in
		 * multiples of 8 bytes (RFC 791 §3.1), however long the header. */
		if ((ip->version_ihl >> 4) == 4 && hlen >= sizeof(*ip) &&
		    hlen <= rte_pktmbuf_data_len(m) && hlen + 8u <= mtu) {
			ip->fragment_offset &= rte_cpu_to_be_16((uint16_t)~RTE_IPV4_HDR_DF_FLAG);
			n = rte_ipv4_fragment_packet(
			    m, out, (uint16_t)nb_out,
			    (uint16_t)(hlen + RTE_ALIGN_FLOOR(mtu - hlen, 8u)), direct, indirect);
			/* The library leaves each fragment's header checksum to the port: the TAP
			 * has no offload to do it, so it is done here. */
			for (int32_t i = 0; i < n; i++) {
				ip = rte_pktmbuf_mtod(out[i], struct rte_ipv4_hdr *);
				ip->hdr_checksum = 0;
				ip->hdr_checksum = rte_ipv4_cksum(ip);
			}
		}
	} else if (eth.ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) &&
		   rte_pktmbuf_data_len(m) >= sizeof(struct rte_ipv6_hdr) && mtu >= 1280) {
		/* RFC 8200 §4.5: a fragment header after the fixed one, the data of each but the
		 * last in multiples of 8 bytes. */
		n = rte_ipv6_fragment_packet(
		    m, out, (uint16_t)nb_out,
		    (uint16_t)(RTE_ALIGN_FLOOR(mtu - sizeof(struct rte_ipv6_hdr) -
						   sizeof(struct rte_ipv6_fragment_ext),
					       8u) +
			       sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_ipv6_fragment_ext)),
		    direct, indirect);
	}
	/* The fragments hold references to m's data (indirect mbufs), not m itself. */
	rte_pktmbuf_free(m);
	if (n <= 0)
		return n < 0 ? (int)n : -EINVAL;
	for (int32_t i = 0; i < n; i++) {
		struct rte_ether_hdr *h =
		    (struct rte_ether_hdr *)rte_pktmbuf_prepend(out[i], RTE_ETHER_HDR_LEN);

		if (h == NULL) {
			for (int32_t j = 0; j < n; j++)
				rte_pktmbuf_free(out[j]);
			return -ENOSPC;
		}
		memcpy(h, &eth, sizeof(eth));
	}
	return (int)n;
}
