/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: what the dataplane does to a packet before and after SRTP: RFC 7983
 * classification, RTP and RTCP header checks, and the output rewrites (payload type map, SSRC
 * translation with sequence and timestamp deltas, RTCP SSRC fields). Invariants: a packet
 * judged valid is rewritten in place without growing, its length never changes, and no byte
 * outside it is touched (ASan checks the reads).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ponte/demux.h>

#include "rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ponte_flow_output out;
	uint8_t *pkt;
	enum ponte_pkt_class cls = ponte_demux_classify(data, size);

	(void)ponte_demux_class_name(cls);
	if (size > 4096)
		return 0;
	/* An exact-size copy: any read past the end is ASan's to catch. */
	pkt = malloc(size ? size : 1);
	if (pkt == NULL)
		return 0;
	memcpy(pkt, data, size);
	memset(&out, 0, sizeof(out));
	memset(out.pt_map, PONTE_PT_KEEP, sizeof(out.pt_map));
	out.pt_map[0] = 8;
	out.pt_map[13] = PONTE_PT_DROP;
	out.nb_ssrc_maps = 2;
	/* Map whatever SSRC the input carries, so the rewrite paths run. */
	out.ssrc_maps[0].from = size >= 12 ? dp_rd32(data + 8) : 1;
	out.ssrc_maps[0].to = 0x01020304;
	out.ssrc_maps[0].seq_delta = 1000;
	out.ssrc_maps[0].ts_delta = 0xfffffff0u;
	out.ssrc_maps[1].from = size >= 8 ? dp_rd32(data + 4) : 2;
	out.ssrc_maps[1].to = 0x0a0b0c0d;
	if (cls == PONTE_PKT_RTP && dp_rtp_is_valid(pkt, size)) {
		dp_rtp_rewrite(pkt, &out);
		if (!dp_rtp_is_valid(pkt, size))
			abort(); /* a rewrite must never break the header */
	}
	if (cls == PONTE_PKT_RTCP && dp_rtcp_is_valid(pkt, size)) {
		dp_rtcp_rewrite(pkt, size, &out);
		if (!dp_rtcp_is_valid(pkt, size))
			abort();
	}
	/* The checks must also hold on inputs the classifier would not pass to them. */
	(void)dp_rtp_is_valid(pkt, size);
	if (dp_rtcp_is_valid(pkt, size))
		dp_rtcp_rewrite(pkt, size, &out);
	free(pkt);
	return 0;
}
