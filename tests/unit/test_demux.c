/* SPDX-License-Identifier: MIT */
/* RFC 7983 demultiplexing of STUN, DTLS, RTP and RTCP sharing one port. */
#include <ponte/demux.h>

#include "tap.h"

int main(void)
{
	/* A STUN binding request: type 0x0001, length 0, magic cookie, transaction id. */
	uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42};
	uint8_t dtls[13] = {22, 0xfe, 0xfd};
	uint8_t rtp[12] = {0x80, 111};
	uint8_t rtcp[8] = {0x81, 200, 0x00, 0x01};
	uint8_t buf[64] = {0};

	CHECK(ponte_demux_classify(stun, sizeof(stun)) == PONTE_PKT_STUN, "STUN binding request");
	stun[7] = 0x43;
	CHECK(ponte_demux_classify(stun, sizeof(stun)) == PONTE_PKT_UNKNOWN,
	      "STUN range without the magic cookie");
	stun[7] = 0x42;
	stun[3] = 4;
	CHECK(ponte_demux_classify(stun, sizeof(stun)) == PONTE_PKT_UNKNOWN,
	      "STUN whose length field disagrees with the datagram");
	CHECK(ponte_demux_classify(stun, 19) == PONTE_PKT_UNKNOWN, "truncated STUN header");
	CHECK(ponte_demux_classify(dtls, sizeof(dtls)) == PONTE_PKT_DTLS, "DTLS handshake record");
	CHECK(ponte_demux_classify(dtls, 12) == PONTE_PKT_UNKNOWN, "truncated DTLS header");
	CHECK(ponte_demux_classify(rtp, sizeof(rtp)) == PONTE_PKT_RTP, "RTP, Opus PT 111");
	rtp[1] = 0x80 | 96;
	CHECK(ponte_demux_classify(rtp, sizeof(rtp)) == PONTE_PKT_RTP, "RTP with marker, PT 96");
	CHECK(ponte_demux_classify(rtp, 11) == PONTE_PKT_UNKNOWN, "truncated RTP header");
	CHECK(ponte_demux_classify(rtcp, sizeof(rtcp)) == PONTE_PKT_RTCP, "RTCP sender report");
	rtcp[1] = 206;
	CHECK(ponte_demux_classify(rtcp, sizeof(rtcp)) == PONTE_PKT_RTCP, "RTCP PSFB (PLI)");
	CHECK(ponte_demux_classify(rtcp, 7) == PONTE_PKT_UNKNOWN, "truncated RTCP header");
	buf[0] = 17;
	CHECK(ponte_demux_classify(buf, 20) == PONTE_PKT_ZRTP, "ZRTP range");
	buf[0] = 70;
	CHECK(ponte_demux_classify(buf, 20) == PONTE_PKT_TURN_CHANNEL, "TURN channel range");
	int nb_wrong = 0;

	for (int b = 0; b < 256; b++) {
		buf[0] = (uint8_t)b;
		if (((b >= 4 && b <= 15) || (b >= 80 && b <= 127) || b >= 192) &&
		    ponte_demux_classify(buf, sizeof(buf)) != PONTE_PKT_UNKNOWN)
			nb_wrong++;
	}
	CHECK(nb_wrong == 0, "first bytes outside RFC 7983 ranges are unknown (%d wrong)",
	      nb_wrong);
	CHECK(ponte_demux_classify(buf, 0) == PONTE_PKT_UNKNOWN, "empty datagram");
	CHECK(ponte_demux_classify(NULL, 0) == PONTE_PKT_UNKNOWN, "NULL, 0");
	CHECK(strcmp(ponte_demux_class_name(PONTE_PKT_RTCP), "rtcp") == 0, "class names");
	return tap_done();
}
