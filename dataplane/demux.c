/* SPDX-License-Identifier: MIT */
#include <ponte/demux.h>

#define STUN_HEADER_LEN 20
#define STUN_MAGIC 0x2112A442u
#define DTLS_RECORD_HEADER_LEN 13
#define RTP_HEADER_LEN 12
#define RTCP_HEADER_LEN 8

enum ponte_pkt_class ponte_demux_classify(const uint8_t *pkt, size_t len)
{
	uint8_t b;

	if (len == 0)
		return PONTE_PKT_UNKNOWN;
	b = pkt[0];
	/* RFC 7983 §7: the first byte's range decides. */
	if (b <= 3) {
		/* RFC 5389 §6: two zero bits, the length a multiple of 4, the magic cookie. */
		if (len < STUN_HEADER_LEN)
			return PONTE_PKT_UNKNOWN;
		uint32_t cookie = (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 |
				  (uint32_t)pkt[6] << 8 | pkt[7];
		uint16_t body = (uint16_t)(pkt[2] << 8 | pkt[3]);

		if (cookie != STUN_MAGIC || (body & 3) != 0 ||
		    (size_t)body + STUN_HEADER_LEN != len)
			return PONTE_PKT_UNKNOWN;
		return PONTE_PKT_STUN;
	}
	if (b >= 16 && b <= 19)
		return PONTE_PKT_ZRTP;
	if (b >= 20 && b <= 63)
		return len >= DTLS_RECORD_HEADER_LEN ? PONTE_PKT_DTLS : PONTE_PKT_UNKNOWN;
	if (b >= 64 && b <= 79)
		return len >= 4 ? PONTE_PKT_TURN_CHANNEL : PONTE_PKT_UNKNOWN;
	if (b >= 128 && b <= 191) {
		if (len < 2)
			return PONTE_PKT_UNKNOWN;
		/* RFC 5761 §4: RTCP packet types 192..223 occupy RTP payload types 64..95. */
		if (pkt[1] >= 192 && pkt[1] <= 223)
			return len >= RTCP_HEADER_LEN ? PONTE_PKT_RTCP : PONTE_PKT_UNKNOWN;
		return len >= RTP_HEADER_LEN ? PONTE_PKT_RTP : PONTE_PKT_UNKNOWN;
	}
	return PONTE_PKT_UNKNOWN;
}

const char *ponte_demux_class_name(enum ponte_pkt_class cls)
{
	static const char *const names[] = {
		[PONTE_PKT_UNKNOWN] = "unknown", [PONTE_PKT_STUN] = "stun",
		[PONTE_PKT_ZRTP] = "zrtp",	 [PONTE_PKT_DTLS] = "dtls",
		[PONTE_PKT_TURN_CHANNEL] = "turn-channel", [PONTE_PKT_RTP] = "rtp",
		[PONTE_PKT_RTCP] = "rtcp",
	};

	return (unsigned)cls < sizeof(names) / sizeof(names[0]) ? names[cls] : "unknown";
}
