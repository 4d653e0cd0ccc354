/* SPDX-License-Identifier: MIT */
/*
 * One load session, client side, built from Ponte's own pieces: libsoup's WebSocket client
 * for signaling (docs/signaling.md, "Gateway sessions"), sdp_offer_create() for the offer,
 * ponte_ice as the controlling agent (RFC 8445 §6.1.1: the offerer of a full-ICE session
 * controls; the gateway is controlled) and ponte_dtls for DTLS-SRTP (RFC 5763 §5: our offer
 * says actpass, the gateway answers passive, so we are the DTLS client). The fingerprint the
 * gateway's certificate must match is the one its answer carries (RFC 8122 §5).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "codecs.h"
#include "load.h"
#include "log.h"
#include "sdp.h"
#include "sdp_negotiate.h"
#include "sockaddr.h"

#define OPUS_PT 111

static void fail(struct load_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct load_session *s, const char *fmt, ...)
{
	va_list ap;

	if (s->state == LOAD_S_FAILED)
		return;
	s->state = LOAD_S_FAILED;
	va_start(ap, fmt);
	s->fail_reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	load_on_session_failed(s, s->fail_reason);
}

static void send_json(struct load_session *s, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);

	json_decref(obj);
	if (text == NULL)
		return;
	if (s->ws != NULL &&
	    soup_websocket_connection_get_state(s->ws) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_send_text(s->ws, text);
	free(text);
}

static void send_candidate(struct load_session *s, const char *candidate)
{
	send_json(s, json_pack("{s:s, s:s, s:s, s:s}", "type", "candidate", "session", s->gw_id,
			       "candidate", candidate, "mid", "0"));
}

/* ---- DTLS ---- */

static void dtls_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct load_session *s = ctx;

	ponte_ice_send(s->ice, pkt, len);
}

static void dtls_connected(void *ctx, const struct ponte_srtp_key *tx,
			   const struct ponte_srtp_key *rx, uint16_t profile)
{
	struct load_session *s = ctx;
	const struct dp_srtp_engine *e = s->ld->srtp;
	int rc;

	rc = e->create(tx, DP_SRTP_PROTECT, &s->tx);
	if (rc == 0)
		rc = e->create(rx, DP_SRTP_UNPROTECT, &s->rx);
	if (rc != 0) {
		fail(s, "SRTP context for %s: %s", ponte_srtp_profile_name(profile),
		     g_strerror(-rc));
		return;
	}
	s->profile = profile;
	/* The receive context exists before the sink names this session: the sink's lock
	 * orders the two for the media I/O thread. */
	ponte_ice_set_media_sink(s->ice, s->ld->sink, s->idx + 1);
	s->state = LOAD_S_READY;
	s->was_ready = true;
	load_on_session_ready(s);
}

static void dtls_failed(void *ctx, int err, const char *why)
{
	fail(ctx, "dtls-failed: %s", why);
}

static void dtls_closed(void *ctx)
{
	struct load_session *s = ctx;

	if (!s->is_hungup)
		fail(s, "the gateway closed DTLS");
}

static const struct ponte_dtls_ops dtls_ops = {
	.send = dtls_send,
	.connected = dtls_connected,
	.failed = dtls_failed,
	.closed = dtls_closed,
};

static int start_dtls(struct load_session *s)
{
	struct ponte_dtls_params p = {
		.role = s->role,
		.fingerprint_alg = s->fp_alg,
		.fingerprint = s->fp,
		.profiles = s->ld->profiles,
		.nb_profiles = s->ld->nb_profiles,
		.log_name = s->log_name,
	};
	int rc = ponte_dtls_create(s->ld->cert, &p, &dtls_ops, s, &s->dtls);

	if (rc == 0)
		rc = ponte_dtls_start(s->dtls);
	if (rc != 0)
		fail(s, "dtls-failed: start: %s", g_strerror(-rc));
	return rc;
}

/* ---- ICE ---- */

static void ice_candidate(void *ctx, const char *candidate)
{
	struct load_session *s = ctx;

	if (candidate == NULL)
		s->is_gathered = true;
	if (!s->has_answer) {
		if (candidate != NULL)
			g_ptr_array_add(s->pending_candidates, g_strdup(candidate));
		return;
	}
	send_candidate(s, candidate != NULL ? candidate : "");
}

static void ice_state(void *ctx, enum ponte_ice_state st)
{
	struct load_session *s = ctx;
	struct ponte_addr remote, local;
	int fd, rc;

	if (st == PONTE_ICE_FAILED) {
		fail(s, s->state == LOAD_S_READY ? "consent-lost" : "ice-failed");
		return;
	}
	if (s->fd >= 0) {
		/* One local and one remote address make one pair: a change means something is
		 * wrong, and the sender keeps the socket it has. */
		log_warn("load", "%s selected pair changed; media stays on the first", s->log_name);
		return;
	}
	rc = ponte_ice_selected(s->ice, &fd, &remote, &local);
	if (rc != 0) {
		fail(s, "ice-failed: selected pair: %s", g_strerror(-rc));
		return;
	}
	s->fd = fd;
	dp_addr_to_sockaddr(&remote, &s->dst, &s->dst_len);
	if (s->role == PONTE_DTLS_CLIENT && s->dtls == NULL)
		start_dtls(s);
}

static void ice_dtls(void *ctx, const uint8_t *pkt, size_t len)
{
	struct load_session *s = ctx;

	/* As the DTLS server (a gateway configured active) the first ClientHello starts us. */
	if (s->dtls == NULL && s->role == PONTE_DTLS_SERVER && s->state == LOAD_S_CONNECTING &&
	    start_dtls(s) != 0)
		return;
	if (s->dtls != NULL)
		ponte_dtls_input(s->dtls, pkt, len);
}

static const struct ponte_ice_ops ice_ops = {
	.candidate = ice_candidate,
	.state = ice_state,
	.dtls = ice_dtls,
};

/* ---- SDP ---- */

/* Opus as the gateway's own codec table has it (PT 111), and nothing else. */
static const struct sdp_codec *opus_codec(void)
{
	for (unsigned i = 0; i < ponte_webrtc_nb_codecs; i++)
		if (ponte_webrtc_codecs[i].kind == SDP_KIND_AUDIO &&
		    strcasecmp(ponte_webrtc_codecs[i].name, "opus") == 0)
			return &ponte_webrtc_codecs[i];
	return NULL;
}

/* An audio-only offer: no video section, no data channel, no header extensions, so every
 * packet is a plain 12-byte RTP header and a payload. */
static char *make_offer(struct load_session *s, char *err, size_t errlen)
{
	const char *fp_alg;
	const char *fp = ponte_dtls_cert_fingerprint(s->ld->cert, &fp_alg);
	const struct sdp_codec *opus = opus_codec();
	struct sdp_local_stream st = {SDP_KIND_AUDIO, "ponte-load", "audio", s->ssrc, 0};
	struct sdp_local local = {
		.session_id = (((uint64_t)g_random_int() << 30) ^ g_random_int()) & ((1ull << 62) - 1),
		.session_version = 1,
		.ice_ufrag = ponte_ice_ufrag(s->ice),
		.ice_pwd = ponte_ice_pwd(s->ice),
		.has_trickle = true,
		.fingerprint_hash = fp_alg,
		.fingerprint = fp,
		.codecs = opus,
		.nb_codecs = 1,
		.audio_dir = SDP_DIR_SENDRECV,
		.video_dir = SDP_DIR_INACTIVE,
		.streams = &st,
		.nb_streams = 1,
		.cname = s->log_name,
	};
	struct sdp *offer = NULL;
	char *text = NULL;

	if (opus == NULL || opus->pt != OPUS_PT) {
		snprintf(err, errlen, "the gateway's codec table has no Opus on PT %d", OPUS_PT);
		return NULL;
	}
	if (sdp_offer_create(&local, &offer, err, errlen) != 0)
		return NULL;
	if (sdp_print(offer, 0, &text, NULL) != 0)
		snprintf(err, errlen, "cannot print the offer");
	sdp_free(offer);
	return text;
}

/* A candidate from the answer as the a=candidate value libnice parses (as control/session.c
 * writes it). */
static char *candidate_text(const struct sdp_candidate *c)
{
	GString *g = g_string_new(NULL);

	g_string_append_printf(g, "candidate:%s %u %s %u %s %u typ %s", c->foundation,
			       c->component, c->transport, c->priority, c->address, c->port,
			       c->type);
	if (c->raddr != NULL)
		g_string_append_printf(g, " raddr %s", c->raddr);
	if (c->rport >= 0)
		g_string_append_printf(g, " rport %d", c->rport);
	return g_string_free(g, FALSE);
}

/* What we need from the answer: ICE credentials and candidates, the fingerprint and DTLS role,
 * Opus accepted on 111, and the gateway's audio SSRC (what our echo comes back under). */
static int read_answer(struct load_session *s, const struct sdp *ans, char *err, size_t errlen)
{
	const struct sdp_media *m = ans->nb_media > 0 ? &ans->media[0] : NULL;
	const struct sdp_attr *ufrag, *pwd, *fp, *setup, *ssrc, *a;
	const struct sdp_rtpmap *rtpmap;
	unsigned pos = 0;

	if (m == NULL || strcmp(m->type, "audio") != 0 || m->port == 0) {
		snprintf(err, errlen, "the answer rejects the audio section");
		return -EINVAL;
	}
	ufrag = sdp_media_attr(ans, m, SDP_ATTR_ICE_UFRAG);
	pwd = sdp_media_attr(ans, m, SDP_ATTR_ICE_PWD);
	fp = sdp_media_attr(ans, m, SDP_ATTR_FINGERPRINT);
	setup = sdp_media_attr(ans, m, SDP_ATTR_SETUP);
	rtpmap = sdp_media_rtpmap(m, OPUS_PT);
	if (ufrag == NULL || pwd == NULL || fp == NULL || setup == NULL) {
		snprintf(err, errlen, "the answer lacks ICE credentials, a fingerprint or a=setup");
		return -EINVAL;
	}
	if (rtpmap == NULL || strcasecmp(rtpmap->encoding, "opus") != 0) {
		snprintf(err, errlen, "the answer does not accept Opus on PT %d", OPUS_PT);
		return -EINVAL;
	}
	/* RFC 8842 §5: the answerer picks; passive makes us the client. */
	if (setup->u.setup == SDP_SETUP_PASSIVE) {
		s->role = PONTE_DTLS_CLIENT;
	} else if (setup->u.setup == SDP_SETUP_ACTIVE) {
		s->role = PONTE_DTLS_SERVER;
	} else {
		snprintf(err, errlen, "the answer's a=setup is %s", sdp_setup_name(setup->u.setup));
		return -EINVAL;
	}
	s->fp_alg = g_strdup(fp->u.fingerprint.hash);
	s->fp = g_strdup(fp->u.fingerprint.value);
	ssrc = sdp_attr_find(m->attrs, m->nb_attrs, SDP_ATTR_SSRC);
	s->echo_ssrc = ssrc != NULL ? ssrc->u.ssrc.id : s->ssrc;
	if (ponte_ice_set_remote_credentials(s->ice, ufrag->u.str, pwd->u.str) != 0) {
		snprintf(err, errlen, "ICE refuses the answer's credentials");
		return -EINVAL;
	}
	while ((a = sdp_attr_next(m->attrs, m->nb_attrs, &pos, SDP_ATTR_CANDIDATE)) != NULL) {
		char *c = candidate_text(&a->u.candidate);

		ponte_ice_add_remote_candidate(s->ice, c);
		g_free(c);
	}
	if (sdp_attr_find(m->attrs, m->nb_attrs, SDP_ATTR_END_OF_CANDIDATES) != NULL)
		ponte_ice_remote_gathering_done(s->ice);
	return 0;
}

/* ---- signaling ---- */

static void send_attach(struct load_session *s)
{
	send_json(s, json_pack("{s:s, s:s, s:s}", "type", "attach", "service", "echo", "tx",
			       "attach"));
}

static void on_joined(struct load_session *s, json_t *msg)
{
	send_attach(s);
}

static void on_attached(struct load_session *s, json_t *msg)
{
	const char *id = json_string_value(json_object_get(msg, "session"));
	char err[SDP_ERR_LEN] = "";
	char *offer;

	if (id == NULL || s->gw_id[0] != '\0') {
		fail(s, "unexpected 'attached'");
		return;
	}
	g_strlcpy(s->gw_id, id, sizeof(s->gw_id));
	offer = make_offer(s, err, sizeof(err));
	if (offer == NULL) {
		fail(s, "offer: %s", err);
		return;
	}
	send_json(s, json_pack("{s:s, s:s, s:s}", "type", "offer", "session", s->gw_id, "sdp",
			       offer));
	free(offer);
	if (ponte_ice_gather(s->ice) != 0)
		fail(s, "ICE gathering did not start");
}

static void on_answer(struct load_session *s, json_t *msg)
{
	const char *text = json_string_value(json_object_get(msg, "sdp"));
	char err[SDP_ERR_LEN] = "";
	struct sdp *ans = NULL;

	if (text == NULL || s->has_answer) {
		fail(s, "unexpected 'answer'");
		return;
	}
	if (sdp_parse(text, strlen(text), &ans, err, sizeof(err)) != 0 ||
	    read_answer(s, ans, err, sizeof(err)) != 0) {
		sdp_free(ans);
		fail(s, "answer: %s", err);
		return;
	}
	sdp_free(ans);
	s->has_answer = true;
	for (guint i = 0; i < s->pending_candidates->len; i++)
		send_candidate(s, g_ptr_array_index(s->pending_candidates, i));
	g_ptr_array_set_size(s->pending_candidates, 0);
	if (s->is_gathered)
		send_candidate(s, "");
}

static void on_candidate(struct load_session *s, json_t *msg)
{
	const char *c = json_string_value(json_object_get(msg, "candidate"));

	if (c == NULL || c[0] == '\0')
		ponte_ice_remote_gathering_done(s->ice);
	else
		ponte_ice_add_remote_candidate(s->ice, c);
}

static void on_hungup(struct load_session *s, json_t *msg)
{
	const char *reason = json_string_value(json_object_get(msg, "reason"));

	if (!s->is_hungup)
		fail(s, "the gateway hung up: %s", reason != NULL ? reason : "?");
}

static void on_error(struct load_session *s, json_t *msg)
{
	const char *code = json_string_value(json_object_get(msg, "code"));
	const char *text = json_string_value(json_object_get(msg, "text"));

	/* After our hangup the gateway may say the session is gone: that is expected. */
	if (!s->is_hungup)
		fail(s, "signaling error %s: %s", code != NULL ? code : "?",
		     text != NULL ? text : "");
}

static const struct {
	const char *type;
	void (*fn)(struct load_session *s, json_t *msg);
} handlers[] = {
	{"joined", on_joined},	     {"attached", on_attached}, {"answer", on_answer},
	{"candidate", on_candidate}, {"hungup", on_hungup},	{"error", on_error},
};

static void ws_message(SoupWebsocketConnection *ws, gint kind, GBytes *bytes, gpointer data)
{
	struct load_session *s = data;
	gsize len;
	const char *text = g_bytes_get_data(bytes, &len);
	json_t *msg = kind == SOUP_WEBSOCKET_DATA_TEXT ? json_loadb(text, len, 0, NULL) : NULL;
	const char *type = json_string_value(json_object_get(msg, "type"));

	for (size_t i = 0; type != NULL && i < G_N_ELEMENTS(handlers); i++) {
		if (strcmp(handlers[i].type, type) == 0) {
			handlers[i].fn(s, msg);
			break;
		}
	}
	json_decref(msg);
}

static void ws_closed(SoupWebsocketConnection *ws, gpointer data)
{
	struct load_session *s = data;

	if (!s->is_hungup)
		fail(s, "signaling closed (code %u)", soup_websocket_connection_get_close_code(ws));
}

static void ws_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	GError *err = NULL;
	SoupWebsocketConnection *ws =
		soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &err);
	struct load_session *s;

	/* Cancelled: the session is being freed, do not touch it. */
	if (ws == NULL && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(err);
		return;
	}
	s = data;
	if (ws == NULL) {
		fail(s, "signaling: %s", err->message);
		g_error_free(err);
		return;
	}
	s->ws = ws;
	g_signal_connect(ws, "message", G_CALLBACK(ws_message), s);
	g_signal_connect(ws, "closed", G_CALLBACK(ws_closed), s);
	/* A connection in no room is closed after signaling.join_timeout, sessions and all: a
	 * room of our own keeps long runs alive. */
	if (s->room[0] != '\0')
		send_json(s, json_pack("{s:s, s:s, s:s}", "type", "join", "room", s->room, "tx",
				       "join"));
	else
		send_attach(s);
}

/* ---- life ---- */

int load_session_start(struct load_session *s)
{
	struct load *ld = s->ld;
	struct ponte_ice_params ip = {
		.is_controlling = true,
		.addresses = ld->addresses,
		.log_name = s->log_name,
	};
	SoupMessage *msg;
	int rc;

	s->state = LOAD_S_CONNECTING;
	rc = ponte_ice_create(&ip, &ice_ops, s, &s->ice);
	if (rc != 0) {
		fail(s, "ICE agent: %s", g_strerror(-rc));
		return rc;
	}
	msg = soup_message_new("GET", ld->o.url);
	if (msg == NULL) {
		fail(s, "signaling: bad URL '%s'", ld->o.url);
		return -EINVAL;
	}
	s->cancel = g_cancellable_new();
	soup_session_websocket_connect_async(ld->soup, msg, NULL, NULL, G_PRIORITY_DEFAULT,
					     s->cancel, ws_connected, s);
	g_object_unref(msg);
	return 0;
}

void load_session_hangup(struct load_session *s)
{
	if (s->is_hungup)
		return;
	s->is_hungup = true;
	if (s->gw_id[0] != '\0')
		send_json(s, json_pack("{s:s, s:s, s:s}", "type", "hangup", "session", s->gw_id,
				       "tx", "hangup"));
	if (s->ws != NULL &&
	    soup_websocket_connection_get_state(s->ws) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(s->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

void load_session_free(struct load_session *s)
{
	s->is_hungup = true;
	if (s->cancel != NULL) {
		g_cancellable_cancel(s->cancel);
		g_clear_object(&s->cancel);
	}
	if (s->ws != NULL) {
		g_signal_handlers_disconnect_by_data(s->ws, s);
		g_clear_object(&s->ws);
	}
	/* After this no receive callback can be inside our sink for this session. */
	if (s->ice != NULL)
		ponte_ice_set_media_sink(s->ice, NULL, 0);
	ponte_dtls_destroy(s->dtls);
	s->dtls = NULL;
	ponte_ice_destroy(s->ice);
	s->ice = NULL;
	if (s->tx != NULL)
		s->tx->engine->destroy(s->tx);
	if (s->rx != NULL)
		s->rx->engine->destroy(s->rx);
	s->tx = s->rx = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	g_clear_pointer(&s->pending_candidates, g_ptr_array_unref);
	g_clear_pointer(&s->fp_alg, g_free);
	g_clear_pointer(&s->fp, g_free);
	g_clear_pointer(&s->fail_reason, g_free);
}
