/* SPDX-License-Identifier: MIT */
/*
 * What the files of the SIP bridge share: bridge.c (the call's set-up, its media flows, its
 * end) and bridge_midcall.c (re-INVITEs both ways: hold, resume, a new media address).
 */
#ifndef PONTE_CONTROL_BRIDGE_INTERNAL_H
#define PONTE_CONTROL_BRIDGE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "bridge.h"
#include "sdp.h"
#include "sip_sdp.h"

enum state {
	ST_NEW,
	ST_CALLING, /* INVITE sent */
	ST_EARLY, /* 18x with SDP: media flows before the answer */
	ST_ANSWERED,
	ST_ENDED,
};

struct ponte_bridge {
	struct ponte_bridge_env env;
	struct ponte_session *s; /* borrowed: the owner destroys it after the bridge */
	const struct ponte_bridge_ops *ops;
	void *ctx;
	char *to, *from_user;
	char *browser_offer;
	enum state state;
	struct ponte_sip_call *call;
	struct sip_sdp_offer offer;
	struct sip_sdp_answer answer;
	struct sdp_codec browser_codecs[2];
	bool has_phone_sdp;
	bool has_answered_browser;
	bool is_incoming; /* the phone called: its INVITE is answered, not sent */
	bool has_event_ts;
	uint32_t event_ts; /* RTP timestamp of the phone's last telephone-event */
	/* DTMF by INFO (sip.dtmf info, or auto with a phone without telephone-event): the
	 * browser's telephone-events (browser_te_pt) come to us instead of the phone
	 * (spec.is_mirror_only), and each digit goes out as an INFO once its event ends. */
	bool is_dtmf_info;
	int browser_te_pt; /* -1: none */
	bool has_dtmf_watch; /* punts of dtmf_port come to on_browser_event */
	uint32_t dtmf_port;
	struct {
		bool has_event, is_sent;
		uint32_t ts; /* RTP timestamp of the browser's current event */
		char digit; /* 0: not a DTMF event */
		unsigned duration; /* samples at 8 kHz, the longest seen */
	} browser_ev;
	bool is_dtmf_failure_reported; /* the page heard of a failed INFO (once per call) */
	char *phone_offer; /* incoming: the INVITE's SDP, NULL when offerless */
	/* The phone's leg: an RTP port and the RTCP port after it (RFC 3550 §11). */
	uint32_t rtp_port, rtcp_port;
	struct ponte_addr rtp_local;
	uint32_t sip_ssrc; /* the browser's stream as the phone sees it */
	const struct ponte_media_leg *leg; /* the browser's, once media_ready */
	uint64_t flow_to_phone, flow_from_phone, flow_from_phone_rtcp;
	bool has_flows;
	guint watchdog;
	uint64_t answered_ns; /* CLOCK_MONOTONIC: the media timeout counts from here at least */
	/* The SIP side's SDP: its o= session id, and the last SDP we sent the phone. */
	uint64_t sess_id;
	char *local_sdp;
	/* What each side wants (RFC 3264 §8.4, hold): the phone's direction as its latest SDP
	 * states it, the browser's as its latest offer does. */
	enum sdp_direction phone_dir, browser_dir;
	bool is_reinvite_needed; /* the browser changed its mind while our re-INVITE was out */
	uint32_t latch_epoch; /* bumped when the phone's media address changes */
	/* A REFER followed (blind transfer): the call to its target until that one answers. */
	struct ponte_sip_call *transfer;
	char *transfer_to;
	struct sip_sdp_offer transfer_offer;
	uint64_t transfer_sess_id; /* its SDP's o= id, and the SDP */
	char *transfer_sdp;
};


void bridge_end(struct ponte_bridge *b, const char *reason, int status, const char *text);
/* A {"type":"call","state":...} event for the browser; status 0 and reason NULL: none. */
void bridge_event(struct ponte_bridge *b, const char *state, int status, const char *reason);
/* Install (or update) the three flows of the phone's leg from the current SDP state. */
int bridge_install_flows(struct ponte_bridge *b);
/* The address of the SIP side's media in our SDP. */
const char *bridge_media_address(const struct ponte_config *cfg);
/* The sip call ops of DTMF by INFO (sip.h): the phone's digit, and our INFO refused. */
void bridge_on_dtmf(void *ctx, char digit, unsigned duration_ms);
void bridge_on_dtmf_failed(void *ctx, int status, const char *reason);

/* bridge_midcall.c. Whether media flows each way, from both sides' directions. */
bool bridge_sends_to_phone(const struct ponte_bridge *b);
bool bridge_sends_to_browser(const struct ponte_bridge *b);
/* Whether a side holds the call: the media timeout does not run then. */
bool bridge_is_held(const struct ponte_bridge *b);
/* The sip call ops of re-INVITEs (sip.h). */
int bridge_on_reoffer(void *ctx, const char *sdp, char **answer, const char **warning);
void bridge_on_reoffer_acked(void *ctx, const char *sdp);
void bridge_on_reinvite_done(void *ctx, int status, const char *reason, const char *sdp);
/* The phone's call ended (sip ops->ended). */
void bridge_on_call_ended(void *ctx, int status, const char *reason);
/* A MESSAGE from the phone in the call (sip ops->message): to the browser's chat. */
int bridge_on_message(void *ctx, const struct ponte_sip_message_in *in, const char **warning);
/* The phone transfers the call (sip ops->refer): its target is called, and replaces the
 * phone once it answers. */
void bridge_on_refer(void *ctx, const char *target, const char *referred_by);
/* A transfer in progress is abandoned (the bridge goes). */
void bridge_transfer_abandon(struct ponte_bridge *b);
/* A browser's offer once the call is up (hold, resume): answered at once, and the phone is
 * re-INVITEd when the browser's direction changed. */
int bridge_browser_reoffer(struct ponte_bridge *b, const char *sdp_text, char *err,
			   size_t errlen);

#endif
