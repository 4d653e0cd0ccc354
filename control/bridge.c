/* SPDX-License-Identifier: MIT */
#include "bridge_internal.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "log.h"
#include "offload.h"
#include "punts.h"
#include "sip_message.h"
#include "sip_info.h"
#include "sip_sdp.h"

void bridge_end(struct ponte_bridge *b, const char *reason, int status, const char *text)
{
	if (b->state == ST_ENDED)
		return;
	b->state = ST_ENDED;
	if (status != 0)
		log_info("bridge", "session=%s call to %s ended: %s (%d %s)", ponte_session_id(b->s),
			 b->to, reason, status, text != NULL ? text : "");
	else
		log_info("bridge", "session=%s call to %s ended: %s", ponte_session_id(b->s), b->to,
			 reason);
	b->ops->ended(b->ctx, reason, status, text);
}

void bridge_event(struct ponte_bridge *b, const char *state, int status, const char *reason)
{
	json_t *ev = json_pack("{s:s, s:s, s:s}", "type", "call", "session",
			       ponte_session_id(b->s), "state", state);

	if (status != 0)
		json_object_set_new(ev, "status", json_integer(status));
	if (reason != NULL)
		json_object_set_new(ev, "reason", json_string(reason));
	b->ops->event(b->ctx, ev);
}

/* ---- media ---- */

static void set_pt_maps(const struct ponte_bridge *b, struct ponte_flow_output *o, bool to_phone)
{
	/* Only the negotiated payload types pass; anything else (CN, RED) is dropped. */
	memset(o->pt_map, PONTE_PT_DROP, sizeof(o->pt_map));
	for (unsigned i = 0; i < b->offer.nb_codecs; i++) {
		const struct sip_sdp_codec *c = &b->offer.codecs[i];

		if (c->phone_pt < 0 ||
		    ((int)i != b->answer.codec && (int)i != b->answer.te))
			continue;
		if (to_phone)
			o->pt_map[c->browser_pt & 0x7f] = (uint8_t)c->phone_pt;
		else
			o->pt_map[c->phone_pt & 0x7f] = (uint8_t)c->browser_pt;
	}
}

/* The clock of each payload type the phone sends, for the jitter of our reports to it. */
static void phone_clocks(const struct ponte_bridge *b, uint8_t clock_khz[128])
{
	for (unsigned i = 0; i < b->offer.nb_codecs; i++) {
		const struct sip_sdp_codec *c = &b->offer.codecs[i];

		if (c->phone_pt >= 0 && c->phone_pt < 128 && c->clock / 1000 <= 255)
			clock_khz[c->phone_pt] = (uint8_t)(c->clock / 1000);
	}
}

static void watch_browser_dtmf(struct ponte_bridge *b);

int bridge_install_flows(struct ponte_bridge *b)
{
	const struct ponte_media_leg *leg = b->leg;
	uint32_t gw_audio = leg->ssrcs[PONTE_SLOT_AUDIO].gw;
	uint32_t browser_audio = leg->ssrcs[PONTE_SLOT_AUDIO].peer;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	int rc;

	if (!b->has_flows) {
		b->flow_to_phone = ponte_offload_new_id();
		b->flow_from_phone = ponte_offload_new_id();
		b->flow_from_phone_rtcp = ponte_offload_new_id();
	}
	/* Browser -> phone: SRTP in, RTP out of our RTP port, RTCP out of the RTCP port. RTCP
	 * per leg: the browser's reports stop here; the gateway reports to it (output 0) and
	 * makes the phone's SRs from the browser's, with what the phone was sent. */
	ponte_flow_spec_init(&spec, b->flow_to_phone, leg->port_id);
	spec.srtp = leg->rx;
	spec.rtcp = PONTE_RTCP_TERMINATE;
	/* DTMF by INFO: the browser's telephone-events come to us (on_browser_event), and not
	 * to the phone, which did not ask for them. */
	if (b->is_dtmf_info) {
		spec.mirror_pt = (uint8_t)b->browser_te_pt;
		spec.is_mirror_only = true;
	}
	spec.report_ssrc = leg->report_ssrc;
	spec.report_interval_ms = PONTE_REPORT_MS_AUDIO; /* a bridged call is audio */
	memcpy(spec.report_cname, leg->cname, sizeof(spec.report_cname));
	memcpy(spec.clock_khz, leg->clock_khz, sizeof(spec.clock_khz));
	o = ponte_flow_add_output(&spec, leg->port_id, &leg->remote);
	o->srtp = leg->tx;
	o->kinds = PONTE_OUT_REPORTS;
	o = ponte_flow_add_output(&spec, b->rtp_port, &b->answer.rtp);
	o->kinds = PONTE_OUT_RTP;
	o->srtp = b->answer.tx; /* SDES (RFC 4568): our key; PONTE_SRTP_NULL: plain RTP */
	set_pt_maps(b, o, true);
	if (!bridge_sends_to_phone(b)) /* on hold: RTCP goes on, RTP does not */
		memset(o->pt_map, PONTE_PT_DROP, sizeof(o->pt_map));
	o->ssrc_any = b->sip_ssrc;
	/* Symmetric RTP: once the phone's media arrives, answer where it comes from. */
	o->dst_latch_flow = b->flow_from_phone;
	o = ponte_flow_add_output(&spec, b->rtcp_port, &b->answer.rtcp);
	o->kinds = PONTE_OUT_RTCP;
	o->srtp = b->answer.tx;
	o->ssrc_any = b->sip_ssrc;
	o->dst_latch_flow = b->flow_from_phone_rtcp;
	rc = ponte_offload_spec(b->env.dp, &spec, b->has_flows);
	if (rc != 0)
		return rc;
	/* Phone -> browser: whatever SSRC the phone uses becomes the one announced to the
	 * browser; reports about our SIP-side stream name the browser's. Symmetric RTP: the
	 * flows latch to the source the phone really sends from (NAT). */
	ponte_flow_spec_init(&spec, b->flow_from_phone, b->rtp_port);
	spec.is_latching = true;
	spec.latch_epoch = b->latch_epoch; /* a new media address: latch again */
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.report_ssrc = b->sip_ssrc;
	spec.report_interval_ms = PONTE_REPORT_MS_AUDIO;
	spec.srtp = b->answer.rx; /* SDES: the phone's key */
	/* With SRTP, our reports to the phone come from an SSRC of their own: two contexts (the
	 * SRs above, these RRs) protecting SRTCP of one SSRC with one key would repeat SRTCP
	 * indexes, i.e. keystream (RFC 3711 §9.1), and the phone would drop them as replays. */
	if (b->answer.tx.profile != PONTE_SRTP_NULL)
		spec.report_ssrc = b->sip_ssrc + 1 != 0 ? b->sip_ssrc + 1 : 1;
	memcpy(spec.report_cname, leg->cname, sizeof(spec.report_cname));
	phone_clocks(b, spec.clock_khz);
	/* The phone's RFC 4733 events come to us too: their digits are shown in the page. */
	if (b->answer.te >= 0 && b->offer.codecs[b->answer.te].phone_pt >= 0)
		spec.mirror_pt = (uint8_t)b->offer.codecs[b->answer.te].phone_pt;
	/* Our receiver reports about the phone's stream go to its RTCP port. */
	o = ponte_flow_add_output(&spec, b->rtcp_port, &b->answer.rtcp);
	o->kinds = PONTE_OUT_REPORTS;
	o->srtp = b->answer.tx;
	o->dst_latch_flow = b->flow_from_phone_rtcp;
	o = ponte_flow_add_output(&spec, leg->port_id, &leg->remote);
	o->srtp = leg->tx;
	o->kinds = PONTE_OUT_RTP;
	set_pt_maps(b, o, false);
	if (!bridge_sends_to_browser(b))
		memset(o->pt_map, PONTE_PT_DROP, sizeof(o->pt_map));
	o->ssrc_any = gw_audio;
	rc = ponte_offload_spec(b->env.dp, &spec, b->has_flows);
	if (rc != 0)
		return rc;
	ponte_flow_spec_init(&spec, b->flow_from_phone_rtcp, b->rtcp_port);
	spec.is_latching = true;
	spec.latch_epoch = b->latch_epoch;
	/* The phone's SRs become the browser's with the counts of what the browser was sent;
	 * their statistics are those of the RTP flow. */
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.rtp_flow = b->flow_from_phone;
	spec.srtp = b->answer.rx; /* SDES: the phone's SRTCP */
	o = ponte_flow_add_output(&spec, leg->port_id, &leg->remote);
	o->srtp = leg->tx;
	o->kinds = PONTE_OUT_RTCP;
	o->ssrc_any = gw_audio;
	o->nb_ssrc_maps = 1;
	o->ssrc_maps[0] = (struct ponte_ssrc_map){.from = b->sip_ssrc, .to = browser_audio};
	rc = ponte_offload_spec(b->env.dp, &spec, b->has_flows);
	if (rc == 0) {
		b->has_flows = true;
		watch_browser_dtmf(b);
	}
	return rc;
}

/* RFC 4733 §3.2: events 0-15 are the DTMF digits, in this order. */
static const char dtmf_digits[] = "0123456789*#ABCD";

/* A key the phone pressed, for the page: one `dtmf` call event, however it came. */
static void report_phone_digit(struct ponte_bridge *b, char d, const char *how)
{
	char digit[2] = {d, '\0'};

	log_info("bridge", "session=%s the phone sent DTMF %s (%s)", ponte_session_id(b->s), digit,
		 how);
	b->ops->event(b->ctx, json_pack("{s:s, s:s, s:s, s:s}", "type", "call", "session",
					ponte_session_id(b->s), "state", "dtmf", "digit", digit));
}

/*
 * The payload of a plain RTP packet of type pt (RFC 3550 §5.1, past CSRCs and a header
 * extension) when it holds a telephone-event (RFC 4733 §2.3: event, E|R|volume, duration),
 * and its timestamp; NULL for anything else (STUN and strays punted on the same port).
 */
static const uint8_t *te_payload(const struct ponte_dp_punt *pkt, int pt, uint32_t *ts)
{
	const uint8_t *p = pkt->data;
	size_t hdr = 12;

	if (pkt->len < 12 || (p[0] >> 6) != 2 || pt < 0 || (p[1] & 0x7f) != pt)
		return NULL;
	hdr += 4u * (p[0] & 0x0f);
	if (p[0] & 0x10) /* header extension */
		hdr += pkt->len >= hdr + 4 ? 4 + 4u * ((size_t)p[hdr + 2] << 8 | p[hdr + 3]) : 0;
	if (pkt->len < hdr + 4)
		return NULL;
	*ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	return p + hdr;
}

/*
 * A telephone-event from the phone. Packets of one event share its timestamp (and its end is
 * sent three times): a digit is reported once, on the first packet with a new timestamp.
 */
static void on_phone_event(void *ctx, const struct ponte_dp_punt *pkt)
{
	struct ponte_bridge *b = ctx;
	const uint8_t *ev;
	uint32_t ts;

	if (b->state == ST_ENDED || b->answer.te < 0)
		return;
	ev = te_payload(pkt, b->offer.codecs[b->answer.te].phone_pt, &ts);
	if (ev == NULL || (b->has_event_ts && ts == b->event_ts))
		return;
	b->has_event_ts = true;
	b->event_ts = ts;
	if (ev[0] >= sizeof(dtmf_digits) - 1)
		return; /* not a DTMF event (RFC 4734 tones) */
	report_phone_digit(b, dtmf_digits[ev[0]], "RFC 4733");
}

/* A digit the phone sent in an INFO (sip.h dtmf op), in any sip.dtmf mode, as Asterisk
 * takes them. */
void bridge_on_dtmf(void *ctx, char digit, unsigned duration_ms)
{
	struct ponte_bridge *b = ctx;

	(void)duration_ms;
	if (b->state != ST_ENDED)
		report_phone_digit(b, digit, "INFO");
}

/* An INFO of ours failed: logged by the stack each time, told to the page once a call (a
 * phone that refuses one refuses the next too). */
void bridge_on_dtmf_failed(void *ctx, int status, const char *reason)
{
	struct ponte_bridge *b = ctx;

	if (b->state == ST_ENDED || b->is_dtmf_failure_reported)
		return;
	b->is_dtmf_failure_reported = true;
	log_info("bridge", "session=%s the phone refused a DTMF INFO: %d %s",
		 ponte_session_id(b->s), status, reason);
	bridge_event(b, "dtmf-failed", status, reason);
}

/* The browser's current event as an INFO (RFC 4733 durations are samples at 8 kHz). */
static void send_browser_digit(struct ponte_bridge *b)
{
	int rc;

	b->browser_ev.is_sent = true;
	if (b->browser_ev.digit == 0 || b->call == NULL)
		return;
	rc = ponte_sip_call_send_dtmf(b->call, b->browser_ev.digit,
				      (b->browser_ev.duration + 7) / 8);
	if (rc != 0)
		log_warn("bridge", "session=%s DTMF %c not sent: %s", ponte_session_id(b->s),
			 b->browser_ev.digit, g_strerror(-rc));
}

/*
 * A telephone-event from the browser under DTMF by INFO (RFC 4733 §2.5): the packets of one
 * event share its timestamp, their duration grows, and the last ones (sent three times) have
 * the E bit. The digit goes out once, at its end, with its full duration; an event whose end
 * packets were all lost goes out when the next one starts.
 */
static void on_browser_event(void *ctx, const struct ponte_dp_punt *pkt)
{
	struct ponte_bridge *b = ctx;
	const uint8_t *ev;
	uint32_t ts;
	unsigned duration;

	if (b->state == ST_ENDED || !b->is_dtmf_info)
		return;
	ev = te_payload(pkt, b->browser_te_pt, &ts);
	if (ev == NULL)
		return;
	duration = (unsigned)ev[2] << 8 | ev[3];
	if (!b->browser_ev.has_event || ts != b->browser_ev.ts) {
		if (b->browser_ev.has_event && !b->browser_ev.is_sent)
			send_browser_digit(b);
		b->browser_ev.has_event = true;
		b->browser_ev.is_sent = false;
		b->browser_ev.ts = ts;
		b->browser_ev.digit = ev[0] < sizeof(dtmf_digits) - 1 ? dtmf_digits[ev[0]] : 0;
		b->browser_ev.duration = 0;
	}
	if (duration > b->browser_ev.duration)
		b->browser_ev.duration = duration;
	if ((ev[1] & 0x80) && !b->browser_ev.is_sent)
		send_browser_digit(b);
}

/* Under DTMF by INFO, the browser's mirrored events (punted on its leg's port) come to
 * on_browser_event; the port may change when the flows are installed again. */
static void watch_browser_dtmf(struct ponte_bridge *b)
{
	if (!b->is_dtmf_info || (b->has_dtmf_watch && b->dtmf_port == b->leg->port_id))
		return;
	if (b->has_dtmf_watch)
		ponte_punts_unwatch(b->dtmf_port);
	b->dtmf_port = b->leg->port_id;
	b->has_dtmf_watch = true;
	ponte_punts_watch(b->dtmf_port, on_browser_event, b);
}

static void maybe_bridge(struct ponte_bridge *b)
{
	int rc;

	if (b->leg == NULL || !b->has_phone_sdp || b->answer.rtp.port == 0 ||
	    b->state == ST_ENDED)
		return;
	rc = bridge_install_flows(b);
	if (rc != 0) {
		log_warn("bridge", "session=%s flows: %s", ponte_session_id(b->s), g_strerror(-rc));
		bridge_end(b, "internal", 500, "cannot install media flows");
		return;
	}
	ponte_punts_watch(b->rtp_port, on_phone_event, b);
	log_info("bridge", "session=%s media bridged to %s%s", ponte_session_id(b->s), b->to,
		 b->is_dtmf_info ? ", DTMF by INFO" : "");
}

/* Media timeout on the phone's side: an answered call whose phone sends nothing. */
static gboolean watchdog(gpointer data)
{
	struct ponte_bridge *b = data;
	struct ponte_flow_stats st;
	uint64_t now = (uint64_t)g_get_monotonic_time() * 1000ull;
	uint64_t limit = (uint64_t)b->env.cfg->sip.media_timeout * 1000000000ull;

	if (b->state != ST_ANSWERED || !b->has_flows || bridge_is_held(b) ||
	    ponte_offload_stats(b->env.dp, b->flow_from_phone, &st) != 0)
		return G_SOURCE_CONTINUE;
	/* A phone that never sent anything is timed from the answer, one that was on hold
	 * from the resume. */
	if (st.last_in_ns < b->answered_ns)
		st.last_in_ns = b->answered_ns;
	if (now > st.last_in_ns && now - st.last_in_ns > limit) {
		ponte_sip_hangup(b->call);
		b->call = NULL;
		bridge_end(b, "media-timeout", 0, "no RTP from the phone");
	}
	return G_SOURCE_CONTINUE;
}

/* ---- the SIP call ---- */

static void answer_browser(struct ponte_bridge *b, const char *phone_sdp)
{
	char err[SDP_ERR_LEN] = "";
	char *answer = NULL;
	unsigned n;

	if (phone_sdp == NULL || b->has_answered_browser)
		return;
	if (sip_sdp_read_answer(phone_sdp, &b->offer, &b->answer, err, sizeof(err)) != 0) {
		log_warn("bridge", "session=%s phone SDP: %s", ponte_session_id(b->s), err);
		ponte_sip_hangup(b->call);
		b->call = NULL;
		bridge_end(b, "bad-sdp", 488, err);
		return;
	}
	b->has_phone_sdp = true;
	b->phone_dir = b->answer.is_sendonly   ? SDP_DIR_SENDONLY
		       : b->answer.is_recvonly ? SDP_DIR_RECVONLY
		       : b->answer.is_inactive ? SDP_DIR_INACTIVE
					       : SDP_DIR_SENDRECV;
	n = sip_sdp_browser_codecs(&b->offer, &b->answer, b->browser_codecs);
	/* The browser has telephone-event and the phone not (sip.dtmf info or auto): the
	 * browser's digits go to the phone as INFO (sip_sdp_browser_codecs decides alike). */
	b->browser_te_pt = b->offer.te >= 0 ? b->offer.codecs[b->offer.te].browser_pt : -1;
	b->is_dtmf_info = b->browser_te_pt >= 0 && b->answer.te < 0 &&
			  b->offer.dtmf != PONTE_SIP_DTMF_RFC4733;
	ponte_session_set_codecs(b->s, b->browser_codecs, n);
	if (ponte_session_offer(b->s, b->browser_offer, &answer, err, sizeof(err)) != 0) {
		ponte_sip_hangup(b->call);
		b->call = NULL;
		bridge_end(b, "bad-sdp", 488, err);
		return;
	}
	b->has_answered_browser = true;
	b->ops->answer(b->ctx, answer);
	g_free(answer);
	maybe_bridge(b);
}

static void on_progress(void *ctx, int status, const char *reason, const char *sdp)
{
	struct ponte_bridge *b = ctx;

	if (sdp != NULL && b->state == ST_CALLING) {
		b->state = ST_EARLY;
		bridge_event(b, "early", status, reason);
		answer_browser(b, sdp);
		return;
	}
	bridge_event(b, status == 180 || status == 183 ? "ringing" : "trying", status, reason);
}

static void on_answered(void *ctx, const char *sdp)
{
	struct ponte_bridge *b = ctx;

	if (b->is_incoming) {
		/* The ACK of our 200: after an offerless INVITE it carries the phone's answer. */
		if (b->has_phone_sdp)
			return;
		answer_browser(b, sdp);
		if (!b->has_phone_sdp && b->state != ST_ENDED) {
			ponte_sip_hangup(b->call);
			b->call = NULL;
			bridge_end(b, "bad-sdp", 488, "the phone's ACK carries no SDP answer");
		}
		return;
	}
	b->state = ST_ANSWERED;
	b->answered_ns = (uint64_t)g_get_monotonic_time() * 1000ull;
	bridge_event(b, "answered", 200, "OK");
	answer_browser(b, sdp);
	if (!b->has_phone_sdp && b->state != ST_ENDED) {
		ponte_sip_hangup(b->call);
		b->call = NULL;
		bridge_end(b, "bad-sdp", 488, "the phone answered without SDP");
	}
}

void bridge_on_call_ended(void *ctx, int status, const char *reason)
{
	struct ponte_bridge *b = ctx;

	b->call = NULL;
	if (b->transfer != NULL) {
		/* The phone that transferred us hung up: its target is being called. */
		log_info("bridge", "session=%s the transferring phone left (%d %s)",
			 ponte_session_id(b->s), status, reason);
		return;
	}
	if (status == 0)
		bridge_end(b, "remote-bye", 0, reason);
	else if (status == 408 && strcmp(reason, PONTE_SIP_SESSION_EXPIRED) == 0)
		/* Not a failure of the call: its session timer ran out (RFC 4028 §10). */
		bridge_end(b, "session-expired", status, reason);
	else
		bridge_end(b, "sip-status", status, reason);
}

/*
 * A MESSAGE from the phone inside the call (RFC 3428 §4): to the browser's chat, as a
 * sip_message frame naming the session (the gateway sends it on the session's data channel
 * when one is open). 200 once it is on its way, as for messages outside calls (gw_calls.c).
 */
int bridge_on_message(void *ctx, const struct ponte_sip_message_in *in, const char **warning)
{
	struct ponte_bridge *b = ctx;
	/* Header values are bytes: JSON strings must be UTF-8 (the text is, the stack checked). */
	g_autofree char *from = g_utf8_make_valid(in->from_uri, -1);
	g_autofree char *display = g_utf8_make_valid(in->from_display, -1);
	g_autofree char *to = g_utf8_make_valid(in->to_user, -1);
	json_t *ev;

	if (b->state == ST_ENDED) {
		*warning = "the call is over";
		return 481;
	}
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s%, s:b}", "type", "sip_message", "session",
		       ponte_session_id(b->s), "from", from, "display", display, "to", to, "text",
		       in->text, in->len, "in_call", 1);
	if (ev == NULL)
		return 500;
	log_info("bridge", "session=%s MESSAGE from %s, %zu bytes: to the browser",
		 ponte_session_id(b->s), from, in->len);
	b->ops->event(b->ctx, ev);
	return 200;
}

static const struct ponte_sip_call_ops call_ops = {
	.progress = on_progress,
	.answered = on_answered,
	.ended = bridge_on_call_ended,
	.reoffer = bridge_on_reoffer,
	.reoffer_acked = bridge_on_reoffer_acked,
	.reinvite_done = bridge_on_reinvite_done,
	.refer = bridge_on_refer,
	.message = bridge_on_message,
	.dtmf = bridge_on_dtmf,
	.dtmf_failed = bridge_on_dtmf_failed,
};

/* The direction of the browser's audio, from its offer. */
static enum sdp_direction browser_audio_dir(const struct sdp *offer)
{
	for (unsigned i = 0; i < offer->nb_media; i++)
		if (strcmp(offer->media[i].type, "audio") == 0 && offer->media[i].port != 0)
			return sdp_media_direction(offer, &offer->media[i]);
	return SDP_DIR_SENDRECV;
}

/* An even RTP port and the odd one after it, in sip.rtp_port_min..max. */
static int open_rtp_pair(struct ponte_bridge *b)
{
	const struct ponte_config *cfg = b->env.cfg;
	uint32_t span = (uint32_t)(cfg->sip.rtp_port_max - cfg->sip.rtp_port_min) / 2;

	for (int attempt = 0; attempt < 64 && span > 0; attempt++) {
		uint16_t port = (uint16_t)((cfg->sip.rtp_port_min + 1) / 2 * 2 +
					   2 * (g_random_int() % span));
		struct ponte_addr rtp, rtcp;

		if (ponte_addr_parse(&rtp, cfg->sip.rtp_address, port) != 0)
			return -EINVAL;
		rtcp = rtp;
		rtcp.port = (uint16_t)(port + 1);
		if (ponte_dp_port_open(b->env.dp, &rtp, 0, 0, &b->rtp_port) != 0)
			continue;
		if (ponte_dp_port_open(b->env.dp, &rtcp, 0, 0, &b->rtcp_port) != 0) {
			ponte_dp_port_close(b->env.dp, b->rtp_port);
			b->rtp_port = 0;
			continue;
		}
		b->rtp_local = rtp;
		return 0;
	}
	return -EADDRINUSE;
}

const char *bridge_media_address(const struct ponte_config *cfg)
{
	return cfg->sip.public_address[0] ? cfg->sip.public_address : cfg->sip.rtp_address;
}

/*
 * The browser took an incoming call and offers: with the phone's offer, the phone's most
 * preferred codec the browser has is chosen, and both are answered with it; after an
 * offerless INVITE our 200 carries the offer the browser's makes, and the phone answers in
 * its ACK (on_answered).
 */
static int answer_phone(struct ponte_bridge *b, const char *sdp_text, char *err, size_t errlen)
{
	const struct ponte_config *cfg = b->env.cfg;
	struct sdp *offer = NULL;
	char *ours = NULL;
	int rc;

	rc = sdp_parse(sdp_text, strlen(sdp_text), &offer, err, errlen);
	if (rc != 0)
		return -EINVAL;
	rc = open_rtp_pair(b);
	if (rc != 0) {
		snprintf(err, errlen, "no free RTP port pair in sip.rtp_port_min..max");
		goto out;
	}
	rc = sip_sdp_make_offer(cfg, offer, bridge_media_address(cfg), b->rtp_local.port,
				b->sess_id, &ours, &b->offer, err, errlen);
	if (rc != 0)
		goto refuse;
	b->browser_offer = g_strdup(sdp_text);
	if (b->phone_offer != NULL) {
		rc = sip_sdp_read_answer(b->phone_offer, &b->offer, &b->answer, err, errlen);
		if (rc != 0)
			goto refuse;
		sip_sdp_text_free(ours);
		ours = NULL;
		rc = sip_sdp_make_answer(&b->offer, &b->answer, bridge_media_address(cfg),
					 b->rtp_local.port, b->sess_id, &ours);
		if (rc != 0) {
			snprintf(err, errlen, "cannot answer the phone's offer");
			goto refuse;
		}
	}
	ponte_sip_call_answer(b->call, ours);
	b->browser_dir = browser_audio_dir(offer);
	b->local_sdp = g_strdup(ours);
	b->state = ST_ANSWERED;
	b->answered_ns = (uint64_t)g_get_monotonic_time() * 1000ull;
	bridge_event(b, "answered", 200, "OK");
	log_info("bridge", "session=%s answered the call from %s%s", ponte_session_id(b->s), b->to,
		 b->phone_offer == NULL ? " (offerless: our offer in the 200)" : "");
	if (b->phone_offer != NULL) {
		/* answer_browser() reads the phone's SDP again: the offer plays the answer. */
		answer_browser(b, b->phone_offer);
	}
	rc = 0;
	goto out;
refuse:
	/* The phone's offer and the browser's have no codec in common: 488 (RFC 3261 §13.3.1.3
	 * with a Warning, §20.43), and the browser hears why. */
	log_info("bridge", "session=%s incoming call from %s: %s", ponte_session_id(b->s), b->to,
		 err);
	ponte_sip_call_reject(b->call, 488, err);
	b->call = NULL;
	rc = -EINVAL;
out:
	sip_sdp_text_free(ours);
	sdp_free(offer);
	return rc;
}

int ponte_bridge_offer(struct ponte_bridge *b, const char *sdp_text, char *err, size_t errlen)
{
	const struct ponte_config *cfg = b->env.cfg;
	struct sdp *offer = NULL;
	char *sip_offer = NULL;
	const char *addr = cfg->sip.public_address[0] ? cfg->sip.public_address
						       : cfg->sip.rtp_address;
	int rc;

	if (b->state == ST_ANSWERED && b->has_answered_browser)
		return bridge_browser_reoffer(b, sdp_text, err, errlen);
	if (b->state != ST_NEW)
		return -EALREADY;
	if (b->is_incoming)
		return answer_phone(b, sdp_text, err, errlen);
	rc = sdp_parse(sdp_text, strlen(sdp_text), &offer, err, errlen);
	if (rc != 0)
		return -EINVAL;
	rc = open_rtp_pair(b);
	if (rc != 0) {
		snprintf(err, errlen, "no free RTP port pair in sip.rtp_port_min..max");
		goto out;
	}
	rc = sip_sdp_make_offer(cfg, offer, addr, b->rtp_local.port, b->sess_id, &sip_offer,
				&b->offer, err, errlen);
	if (rc != 0)
		goto out;
	b->browser_dir = browser_audio_dir(offer);
	b->local_sdp = g_strdup(sip_offer);
	b->browser_offer = g_strdup(sdp_text);
	rc = ponte_sip_call(b->env.sip, b->to, b->from_user, sip_offer, &call_ops, b, &b->call);
	if (rc != 0) {
		snprintf(err, errlen, "cannot call '%s': not a SIP URI", b->to);
		goto out;
	}
	b->state = ST_CALLING;
	bridge_event(b, "calling", 0, NULL);
	log_info("bridge", "session=%s calling %s", ponte_session_id(b->s), b->to);
out:
	sip_sdp_text_free(sip_offer);
	sdp_free(offer);
	return rc;
}

void ponte_bridge_media_ready(struct ponte_bridge *b, const struct ponte_media_leg *leg)
{
	b->leg = leg;
	maybe_bridge(b);
}

void ponte_bridge_hangup(struct ponte_bridge *b)
{
	bridge_transfer_abandon(b);
	if (b->call != NULL) {
		ponte_sip_hangup(b->call);
		b->call = NULL;
	}
	bridge_end(b, "hangup", 0, NULL);
}

struct ponte_sip_call *ponte_bridge_sip_call(const struct ponte_bridge *b)
{
	return b != NULL && b->state == ST_ANSWERED ? b->call : NULL;
}

int ponte_bridge_stats(struct ponte_bridge *b, struct ponte_flow_stats *to_phone,
		       struct ponte_flow_stats *from_phone)
{
	int rc;

	if (!b->has_flows)
		return -ENOENT;
	rc = ponte_offload_stats(b->env.dp, b->flow_to_phone, to_phone);
	if (rc == 0)
		rc = ponte_offload_stats(b->env.dp, b->flow_from_phone, from_phone);
	return rc;
}

int ponte_bridge_create(const struct ponte_bridge_env *env, struct ponte_session *s,
			const char *to, const char *from_user, const struct ponte_bridge_ops *ops,
			void *ctx, struct ponte_bridge **out)
{
	struct ponte_bridge *b = g_new0(struct ponte_bridge, 1);

	b->env = *env;
	b->s = s;
	b->ops = ops;
	b->ctx = ctx;
	b->to = g_strdup(to);
	b->from_user = g_strdup(from_user);
	do
		b->sip_ssrc = g_random_int();
	while (b->sip_ssrc == 0);
	b->sess_id = g_random_int();
	b->browser_te_pt = -1;
	b->watchdog = g_timeout_add_seconds(1, watchdog, b);
	*out = b;
	return 0;
}

int ponte_bridge_create_incoming(const struct ponte_bridge_env *env, struct ponte_session *s,
				 struct ponte_sip_call *call, const char *from,
				 const char *phone_offer, const struct ponte_bridge_ops *ops,
				 void *ctx, struct ponte_bridge **out)
{
	int rc = ponte_bridge_create(env, s, from, NULL, ops, ctx, out);

	if (rc != 0)
		return rc;
	(*out)->is_incoming = true;
	(*out)->call = call;
	/* Ours from now on: a CANCEL or BYE from the phone ends the bridge. */
	ponte_sip_call_accept(call, &call_ops, *out);
	(*out)->phone_offer = g_strdup(phone_offer);
	return 0;
}

void ponte_bridge_destroy(struct ponte_bridge *b)
{
	if (b == NULL)
		return;
	g_source_remove(b->watchdog);
	bridge_transfer_abandon(b);
	if (b->call != NULL)
		ponte_sip_hangup(b->call);
	if (b->has_flows) {
		ponte_offload_remove(b->env.dp, b->flow_to_phone);
		ponte_offload_remove(b->env.dp, b->flow_from_phone);
		ponte_offload_remove(b->env.dp, b->flow_from_phone_rtcp);
	}
	if (b->has_dtmf_watch)
		ponte_punts_unwatch(b->dtmf_port);
	if (b->rtp_port != 0) {
		ponte_punts_unwatch(b->rtp_port);
		ponte_dp_port_close(b->env.dp, b->rtp_port);
	}
	if (b->rtcp_port != 0)
		ponte_dp_port_close(b->env.dp, b->rtcp_port);
	g_free(b->to);
	g_free(b->from_user);
	g_free(b->browser_offer);
	/* The SIP side's SDP and state hold SDES keys (a=crypto) when SRTP is on. */
	sip_sdp_text_free(b->phone_offer);
	sip_sdp_text_free(b->local_sdp);
	sip_sdp_offer_wipe(&b->offer);
	sip_sdp_answer_wipe(&b->answer);
	sip_sdp_offer_wipe(&b->transfer_offer);
	g_free(b);
}
