/* SPDX-License-Identifier: MIT */
/*
 * The one place in the control plane that installs forwarding state in the dataplane: it turns
 * sessions (echo, relayed rooms, later SIP bridges) into flow specs (include/ponte/flow.h).
 * Keys are copied into the specs and wiped here after each call.
 */
#ifndef PONTE_CONTROL_OFFLOAD_H
#define PONTE_CONTROL_OFFLOAD_H

#include <stdbool.h>

#include <ponte/dataplane.h>

/* The streams a leg sends, by slot: what the peer announced and what the gateway announced
 * to it for the same slot (the gateway's own sending SSRCs). 0: no such stream. */
enum ponte_leg_slot {
	PONTE_SLOT_AUDIO,
	PONTE_SLOT_VIDEO,
	PONTE_SLOT_VIDEO_RTX,
	PONTE_LEG_NB_SLOTS
};

/* A WebRTC transport once ICE and DTLS are done: where its media arrives and leaves. */
struct ponte_media_leg {
	uint32_t port_id; /* dataplane port of the selected ICE socket */
	struct ponte_addr remote; /* the selected remote candidate */
	struct ponte_srtp_key rx; /* what the peer protects with */
	struct ponte_srtp_key tx; /* what we protect with */
	struct {
		uint32_t peer;
		uint32_t gw;
	} ssrcs[PONTE_LEG_NB_SLOTS];
	/* The sender SSRC of the gateway's own RTCP to this peer (receiver reports, keyframe
	 * requests): none of the streams', so its SRTCP index is its own. */
	uint32_t report_ssrc;
	char cname[32]; /* RTCP CNAME of the gateway's reports */
	uint8_t clock_khz[128]; /* RTP clock by the peer's payload types, kHz; 0: unknown */
};

/* A fresh flow id (never 0). */
uint64_t ponte_offload_new_id(void);

/* One destination of a leg's media: the receiving leg and the SSRC translations on the way. */
struct ponte_offload_out {
	const struct ponte_media_leg *to;
	uint8_t nb_maps;
	struct ponte_ssrc_map maps[PONTE_FLOW_MAX_SSRC_MAPS];
	bool has_pt_map; /* false: payload types pass unchanged */
	uint8_t pt_map[128];
};

/* Output 0 of every flow made by ponte_offload_forward() and _echo() leads back to the leg the
 * flow receives from: the gateway's own RTCP to that peer goes out there. */
#define PONTE_OFFLOAD_BACK 0
/* Outputs a forward may have beside the way back. */
#define PONTE_OFFLOAD_MAX_OUTS (PONTE_FLOW_MAX_OUTPUTS - 1)

/*
 * Forward what leg `from` sends to each output, each copy protected with its receiver's keys
 * and its SSRCs translated by the output's maps. Adds flow id, or modifies it when is_update.
 */
int ponte_offload_forward(struct ponte_dp *dp, uint64_t id, const struct ponte_media_leg *from,
			  const struct ponte_offload_out *outs, unsigned nb_outs, bool is_update);

/*
 * Echo: the leg's streams come back under the SSRCs the gateway announced to it, and its
 * feedback about those goes back under its own. Adds or modifies flow id.
 */
int ponte_offload_echo(struct ponte_dp *dp, uint64_t id, const struct ponte_media_leg *leg,
		       bool is_update);

/* A flow built by the caller (a SIP bridge's legs); the spec is wiped after the call. */
int ponte_offload_spec(struct ponte_dp *dp, struct ponte_flow_spec *spec, bool is_update);

/* Ask the peer of leg `from` (flow id, made by _forward or _echo) for a video keyframe: an RTCP
 * PLI (RFC 4585 §6.3.1) about its video stream. -ENOENT when it announced no video. */
int ponte_offload_request_keyframe(struct ponte_dp *dp, uint64_t id,
				   const struct ponte_media_leg *from);

int ponte_offload_remove(struct ponte_dp *dp, uint64_t id);
int ponte_offload_stats(struct ponte_dp *dp, uint64_t id, struct ponte_flow_stats *st);

#endif
