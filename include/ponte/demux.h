/* SPDX-License-Identifier: MIT */
/**
 * @file demux.h
 * Telling apart the protocols that share one media port (RFC 7983, RFC 5761 §4).
 *
 * Pure functions on a borrowed buffer; safe from any thread, including the fast path.
 */
#ifndef PONTE_DEMUX_H
#define PONTE_DEMUX_H

#include <stddef.h>
#include <stdint.h>

/** What a packet received on a media port is. */
enum ponte_pkt_class {
	PONTE_PKT_UNKNOWN = 0, /**< too short or outside every range: drop and count */
	PONTE_PKT_STUN, /**< first byte 0..3 and the RFC 5389 magic cookie */
	PONTE_PKT_ZRTP, /**< first byte 16..19 */
	PONTE_PKT_DTLS, /**< first byte 20..63, a whole record header present */
	PONTE_PKT_TURN_CHANNEL, /**< first byte 64..79 */
	PONTE_PKT_RTP, /**< first byte 128..191, payload type outside 64..95 */
	PONTE_PKT_RTCP, /**< first byte 128..191, packet type 192..223 (RFC 5761 §4) */
};

/**
 * Classify one UDP payload.
 * @param pkt the payload (borrowed, not modified)
 * @param len its length in bytes
 * @return the class; PONTE_PKT_UNKNOWN when it fits none, or is too short for its header
 */
enum ponte_pkt_class ponte_demux_classify(const uint8_t *pkt, size_t len);

/** A short lower-case name for logs and counters ("stun", "rtp", ...). */
const char *ponte_demux_class_name(enum ponte_pkt_class cls);

#endif
