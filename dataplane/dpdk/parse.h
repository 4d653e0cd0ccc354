/* SPDX-License-Identifier: MIT */
/*
 * Frames in and out of the fast path: what an Ethernet frame from a NIC is (parse), and the
 * Ethernet/IP/UDP headers put in front of a payload the pipeline produced (build).
 *
 * The parser decides only what the frame is, not what to do with it: a frame is either
 * dropped (malformed, or not of the port's VLAN: counted by reason), given to the kernel
 * (anything the fast path does not handle: ARP, ICMP, TCP, IP options, fragments, VLAN tags on
 * an untagged port, extension headers), or a UDP datagram whose addresses and payload the
 * caller looks up in the flow table. No allocation, no state: any thread may call these
 * functions.
 *
 * VLAN (802.1Q). A port on a VLAN (dpdk.ports[].vlan) takes only frames tagged with it: the
 * tag is gone once parsed (the NIC stripped it, or the parser did), so that everything
 * downstream, the kernel's TAP included, sees untagged frames; what goes out is tagged again
 * (dpdk_build(), dpdk_vlan_tag()), by the NIC where it offers to.
 */
#ifndef PONTE_DP_DPDK_PARSE_H
#define PONTE_DP_DPDK_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <ponte/dataplane.h>
#include <ponte/flow.h>

enum dpdk_verdict {
	DPKT_UDP,    /* a well-formed UDP datagram: look it up */
	DPKT_KERNEL, /* the kernel's business: to the exception port */
	DPKT_DROP,   /* malformed: dropped, counted under reason */
};

/* Why a frame goes to the kernel (only some are counted apart). */
enum dpdk_kernel_reason {
	DPKT_K_OTHER,	 /* not IP/UDP, a VLAN tag (untagged port), an IPv6 extension header */
	DPKT_K_OPTIONS,	 /* IPv4 options (RFC 791 §3.1): the kernel handles them */
	DPKT_K_FRAGMENT, /* an IP fragment: the kernel reassembles, then its socket delivers */
	DPKT_K_TOO_BIG,	 /* UDP with more than DPDK_MEDIA_MAX bytes: never media (a jumbo frame's
			  * SIP, a datagram net_af_packet reassembled) */
};

/* The largest UDP payload dpdk_parse() calls UDP: the pipeline's largest packet
 * (DP_PIPE_PKT_MAX, as the socket backend reads at most); larger ones are the kernel's. */
#define DPDK_MEDIA_MAX 1984

/* What dpdk_parse() found. Addresses are in struct ponte_addr form (ports host order). */
struct dpdk_pkt {
	uint8_t verdict;      /* enum dpdk_verdict */
	uint8_t reason;	      /* enum ponte_dp_frame_drop or enum dpdk_kernel_reason */
	uint8_t is_cksum_partial; /* UDP: its checksum was a sender's unfinished offload,
				   * completed by dpdk_parse() (udp_cksum_ok() in parse.c) */
	uint16_t payload_off; /* from the start of the frame */
	uint16_t payload_len;
	struct ponte_addr src, dst;
	struct rte_ether_addr src_mac;
};

/*
 * Parse the frame in m (one segment; a chained mbuf goes to the kernel). A frame longer than
 * its IP datagram (Ethernet padding) is trimmed to it. The IPv4 header checksum is checked here
 * unless the NIC vouched for the header (RTE_MBUF_F_RX_IP_CKSUM_GOOD or _NONE), and so is the
 * UDP checksum of every UDP datagram unless the NIC gave its verdict (L4_CKSUM_GOOD, _NONE;
 * _BAD drops it): a NIC that says nothing of it (net_af_packet, net_memif, rings) no longer
 * lets a corrupted datagram through (PONTE_DP_DROP_BAD_UDP_CHECKSUM). A zero checksum is
 * taken over IPv4 (none sent, RFC 768) and dropped over IPv6 (RFC 8200 §8.1); a checksum a
 * sender's kernel left to an offload (CHECKSUM_PARTIAL, a veth peer's) is completed in the
 * frame and is_cksum_partial set. Those two bytes are the only ones of the datagram written.
 *
 * vlan: the port's VLAN, 0 for none. With one, the frame must carry that VLAN id, either
 * stripped by the NIC (RTE_MBUF_F_RX_VLAN_STRIPPED, vlan_tci) or as an 802.1Q tag in the frame,
 * which is then removed; the VLAN flags are cleared, so that m is an untagged frame from then
 * on (parse it again with vlan 0: a frame handed to another lcore). Untagged frames, other
 * VLANs' and 802.1ad ones are dropped (PONTE_DP_DROP_WRONG_VLAN).
 */
void dpdk_parse(struct rte_mbuf *m, uint16_t vlan, struct dpdk_pkt *p);

/* The IPv4 or IPv6 destination of a frame the kernel sent, and its destination MAC, when it
 * is unicast IP: what the kernel's neighbour table and routes chose for that address. */
bool dpdk_parse_egress(const struct rte_mbuf *m, struct ponte_addr *dst,
		       struct rte_ether_addr *dst_mac);

/* How a port transmits: the checksums it computes (RTE_ETH_TX_OFFLOAD_*), and its VLAN. */
struct dpdk_tx_offload {
	bool has_ipv4_cksum;
	bool has_udp_cksum;
	bool has_vlan_insert; /* RTE_ETH_TX_OFFLOAD_VLAN_INSERT: the port writes the tag */
	uint16_t vlan;	      /* 802.1Q VLAN id of what it sends, 0: untagged */
};

/* The most bytes dpdk_build() puts in front of a payload (Ethernet, 802.1Q, IPv6, UDP). */
#define DPDK_HDR_MAX (RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN + 40 + 8)

/*
 * Put Ethernet, IPv4 or IPv6, and UDP headers in front of the payload that m holds (its whole
 * data), from src to dst (the same family), between src_mac and dst_mac. Checksums are left
 * to the port where off says it computes them, else computed here; so is off->vlan's tag.
 * 0, -EAFNOSUPPORT, -ENOSPC (no headroom) or -EMSGSIZE.
 */
int dpdk_build(struct rte_mbuf *m, const struct ponte_addr *src, const struct ponte_addr *dst,
	       const struct rte_ether_addr *src_mac, const struct rte_ether_addr *dst_mac,
	       const struct dpdk_tx_offload *off);

/* Complete in software the checksums dpdk_build() left to the port (a frame that goes another
 * way, through the kernel's raw socket). */
void dpdk_finish_cksum(struct rte_mbuf *m);

/* Tag the untagged frame m (one the kernel sent) with off->vlan, for a port on a VLAN: the
 * port inserts it where it can, else it is written here. 0 (also when off->vlan is 0), or
 * -ENOSPC (no headroom, or too short a frame: nothing changed). */
int dpdk_vlan_tag(struct rte_mbuf *m, const struct dpdk_tx_offload *off);

#endif
