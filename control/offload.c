/* SPDX-License-Identifier: MIT */
#include "offload.h"

#include <errno.h>
#include <string.h>

#include "log.h"

static uint64_t next_id = 1;

uint64_t ponte_offload_new_id(void)
{
	return next_id++;
}

static int install(struct ponte_dp *dp, struct ponte_flow_spec *spec, bool is_update)
{
	int rc = is_update ? ponte_dp_flow_modify(dp, spec) : ponte_dp_flow_add(dp, spec);

	/* The spec carried keys by value; this copy is ours to wipe. */
	explicit_bzero(spec, sizeof(*spec));
	return rc;
}

/* Whether the leg's peer sends video: a video SSRC announced, or a payload type of the 90 kHz
 * clock every RTP video format uses (RFC 3551 §5). */
static bool sends_video(const struct ponte_media_leg *leg)
{
	if (leg->ssrcs[PONTE_SLOT_VIDEO].peer != 0)
		return true;
	for (unsigned pt = 0; pt < sizeof(leg->clock_khz); pt++)
		if (leg->clock_khz[pt] == 90)
			return true;
	return false;
}

int ponte_offload_forward(struct ponte_dp *dp, uint64_t id, const struct ponte_media_leg *from,
			  const struct ponte_offload_out *outs, unsigned nb_outs, bool is_update)
{
	struct ponte_flow_spec spec;

	struct ponte_flow_output *back;

	if (nb_outs > PONTE_OFFLOAD_MAX_OUTS)
		return -E2BIG;
	/* Everything arriving on the port: a WebRTC port serves one transport, and its remote
	 * may change with the selected pair, so the flow does not pin the source. */
	ponte_flow_spec_init(&spec, id, from->port_id);
	spec.srtp = from->rx;
	/* SR/RR per leg: each receiver gets SRs that count what it was sent, and the gateway
	 * reports on what it receives from this leg through the way back. */
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.report_ssrc = from->report_ssrc;
	/* Audio alone: every 5 s, as a browser reports on audio; with video, every second. */
	spec.report_interval_ms = sends_video(from) ? PONTE_REPORT_MS_VIDEO : PONTE_REPORT_MS_AUDIO;
	memcpy(spec.report_cname, from->cname, sizeof(spec.report_cname));
	memcpy(spec.clock_khz, from->clock_khz, sizeof(spec.clock_khz));
	back = ponte_flow_add_output(&spec, from->port_id, &from->remote);
	back->srtp = from->tx;
	back->kinds = PONTE_OUT_REPORTS;
	for (unsigned i = 0; i < nb_outs; i++) {
		struct ponte_flow_output *o = ponte_flow_add_output(&spec, outs[i].to->port_id,
								    &outs[i].to->remote);

		o->srtp = outs[i].to->tx;
		o->nb_ssrc_maps = outs[i].nb_maps;
		memcpy(o->ssrc_maps, outs[i].maps, outs[i].nb_maps * sizeof(o->ssrc_maps[0]));
		if (outs[i].has_pt_map)
			memcpy(o->pt_map, outs[i].pt_map, sizeof(o->pt_map));
	}
	return install(dp, &spec, is_update);
}

int ponte_offload_echo(struct ponte_dp *dp, uint64_t id, const struct ponte_media_leg *leg,
		       bool is_update)
{
	struct ponte_offload_out out = {.to = leg};

	for (unsigned k = 0; k < PONTE_LEG_NB_SLOTS; k++) {
		if (leg->ssrcs[k].peer == 0)
			continue;
		/* Media under our SSRC; the feedback it sends about ours concerns its own. */
		out.maps[out.nb_maps++] =
			(struct ponte_ssrc_map){.from = leg->ssrcs[k].peer, .to = leg->ssrcs[k].gw};
		out.maps[out.nb_maps++] =
			(struct ponte_ssrc_map){.from = leg->ssrcs[k].gw, .to = leg->ssrcs[k].peer};
	}
	return ponte_offload_forward(dp, id, leg, &out, 1, is_update);
}

int ponte_offload_request_keyframe(struct ponte_dp *dp, uint64_t id,
				   const struct ponte_media_leg *from)
{
	uint32_t media = from->ssrcs[PONTE_SLOT_VIDEO].peer;
	uint8_t pli[12] = {0x80 | 1 /* FMT 1: PLI */, 206 /* PSFB */, 0, 2};

	if (media == 0)
		return -ENOENT;
	for (int i = 0; i < 4; i++) {
		pli[4 + i] = (uint8_t)(from->report_ssrc >> (24 - 8 * i));
		pli[8 + i] = (uint8_t)(media >> (24 - 8 * i));
	}
	return ponte_dp_flow_inject(dp, id, PONTE_OFFLOAD_BACK, pli, sizeof(pli));
}

int ponte_offload_spec(struct ponte_dp *dp, struct ponte_flow_spec *spec, bool is_update)
{
	return install(dp, spec, is_update);
}

int ponte_offload_remove(struct ponte_dp *dp, uint64_t id)
{
	return ponte_dp_flow_delete(dp, id);
}

int ponte_offload_stats(struct ponte_dp *dp, uint64_t id, struct ponte_flow_stats *st)
{
	return ponte_dp_flow_stats(dp, id, st);
}
