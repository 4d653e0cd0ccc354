/* SPDX-License-Identifier: MIT */
/*
 * Frames for the kernel longer than the exception port transmits (net_tap: its MTU, which DPDK
 * keeps at 1500 for it), cut into IP fragments it does take; the kernel reassembles them.
 */
#ifndef PONTE_DP_DPDK_KFRAG_H
#define PONTE_DP_DPDK_KFRAG_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

/* The frame m's IP datagram cut into fragments of at most mtu bytes of IP (IPv4, its DF bit
 * cleared, or IPv6 with fragment headers), each with m's Ethernet header, into out (nb_out at
 * most: 48 hold 64 KiB at 1500); their data are indirect mbufs of indirect on m's. m may be
 * chained, and is consumed. The number of fragments, or -ENOTSUP (not IP), -EINVAL (a header
 * that does not fit), -ENOMEM, -ENOSPC (no headroom for the Ethernet header). */
int dpdk_kfrag(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *direct,
	       struct rte_mempool *indirect, struct rte_mbuf **out, unsigned nb_out);

#endif
