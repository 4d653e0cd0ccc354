/* SPDX-License-Identifier: MIT */
/*
 * A WebRTC session: offer -> answer (sdp_negotiate), ICE (ice.c) and DTLS-SRTP (dtls.c),
 * then a media leg for the services. Data channels (SCTP over DTLS) join here.
 */
#include "session.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <glib.h>

#include "codecs.h"
#include "ice.h"
#include "log.h"
#include "sctp.h"
#include "sdp.h"
#include "sdp_negotiate.h"
#include "sdp_reoffer.h"

struct ponte_session {
	const struct ponte_session_env *env;
	const struct ponte_session_ops *ops;
	void *ctx;
	char id[32];
	char log_name[48];
	struct ponte_ice *ice;
	struct ponte_dtls *dtls;
	struct ponte_sctp *sctp;
	char *remote_ufrag;
	char *fp_alg, *fp; /* the offer's a=fingerprint */
	enum ponte_dtls_role role;
	uint16_t sctp_port; /* the peer's a=sctp-port; 0: no data channel */
	size_t sctp_remote_max; /* the peer's a=max-message-size; 0: absent */
	bool is_gathering;
	bool is_gathered;
	bool has_keys;
	bool is_ended;
	bool is_relay;
	bool is_relayed_pair; /* the selected pair goes through our TURN server */
	unsigned nb_offered; /* sections in our last offer, waiting for the answer; 0: none */
	struct sdp *base; /* our last answer: what subsequent offers are built on */
	const struct sdp_codec *codecs; /* NULL: ponte_webrtc_codecs */
	unsigned nb_codecs;
	GPtrArray *local_candidates; /* char *, for answers made after gathering */
	/* DTLS datagrams made before ICE selected a pair (the browser's ClientHello can beat
	 * its own nomination): sent as soon as there is a pair, not after a retransmit timer. */
	GPtrArray *dtls_queue; /* GBytes * */
	uint64_t sdp_version;
	uint64_t sdp_session_id;
	struct ponte_media_leg leg;
	/* The gateway's own sending SSRCs, by slot (enum ponte_leg_slot). */
	uint32_t gw_ssrc[PONTE_LEG_NB_SLOTS];
};

static void end(struct ponte_session *s, const char *reason)
{
	if (s->is_ended)
		return;
	s->is_ended = true;
	log_info("session", "%s ended: %s", s->log_name, reason);
	s->ops->ended(s->ctx, reason);
}

/* ---- SCTP (data channels) ---- */

static void sctp_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ponte_session *s = ctx;

	if (s->dtls != NULL)
		ponte_dtls_send_app(s->dtls, pkt, len);
}

static void sctp_channel_open(void *ctx, uint16_t stream, const char *label,
			      const char *protocol)
{
	struct ponte_session *s = ctx;

	log_info("session", "%s data channel stream=%u label=%s", s->log_name, stream, label);
	if (s->ops->dc_open != NULL)
		s->ops->dc_open(s->ctx, stream, label);
}

static void sctp_message(void *ctx, uint16_t stream, bool is_binary, const uint8_t *data,
			 size_t len)
{
	struct ponte_session *s = ctx;

	if (s->ops->dc_message != NULL)
		s->ops->dc_message(s->ctx, stream, is_binary, data, len);
}

static void sctp_channel_closed(void *ctx, uint16_t stream)
{
}

static void sctp_closed(void *ctx)
{
	struct ponte_session *s = ctx;

	log_info("session", "%s SCTP association closed", s->log_name);
}

static const struct ponte_sctp_ops sctp_ops = {
	.send = sctp_send,
	.channel_open = sctp_channel_open,
	.message = sctp_message,
	.channel_closed = sctp_channel_closed,
	.closed = sctp_closed,
};

/* ---- DTLS ---- */

static void dtls_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ponte_session *s = ctx;

	if (ponte_ice_send(s->ice, pkt, len) != 0 && s->dtls_queue->len < 32)
		g_ptr_array_add(s->dtls_queue, g_bytes_new(pkt, len));
}

static void flush_dtls_queue(struct ponte_session *s)
{
	for (guint i = 0; i < s->dtls_queue->len; i++) {
		GBytes *b = g_ptr_array_index(s->dtls_queue, i);
		gsize len;
		const uint8_t *p = g_bytes_get_data(b, &len);

		ponte_ice_send(s->ice, p, len);
	}
	g_ptr_array_set_size(s->dtls_queue, 0);
}

static void dtls_connected(void *ctx, const struct ponte_srtp_key *tx,
			   const struct ponte_srtp_key *rx, uint16_t profile)
{
	struct ponte_session *s = ctx;

	log_info("session", "%s DTLS up, SRTP profile %s", s->log_name,
		 ponte_srtp_profile_name(profile));
	s->leg.tx = *tx;
	s->leg.rx = *rx;
	s->has_keys = true;
	if (s->sctp_port != 0) {
		struct ponte_sctp_params sp = {
			.local_port = 5000,
			.remote_port = s->sctp_port,
			.is_dtls_client = s->role == PONTE_DTLS_CLIENT,
			.remote_max_message_size = s->sctp_remote_max,
			.mtu = (unsigned)ponte_dtls_max_app(s->dtls),
			.log_name = s->log_name,
		};
		int rc = ponte_sctp_create(&sp, &sctp_ops, s, &s->sctp);

		if (rc == 0)
			rc = ponte_sctp_connect(s->sctp);
		if (rc != 0)
			log_warn("session", "%s no data channels: SCTP: %s", s->log_name,
				 g_strerror(-rc));
	}
	if (s->leg.port_id != 0)
		s->ops->media_ready(s->ctx, &s->leg);
}

static void dtls_failed(void *ctx, int err, const char *why)
{
	struct ponte_session *s = ctx;

	log_warn("session", "%s DTLS failed: %s", s->log_name, why);
	end(s, "dtls-failed");
}

static void dtls_app_data(void *ctx, const uint8_t *data, size_t len)
{
	struct ponte_session *s = ctx;

	if (s->sctp != NULL)
		ponte_sctp_input(s->sctp, data, len);
}

static void dtls_closed(void *ctx)
{
	struct ponte_session *s = ctx;

	end(s, "hangup");
}

static const struct ponte_dtls_ops dtls_ops = {
	.send = dtls_send,
	.connected = dtls_connected,
	.failed = dtls_failed,
	.app_data = dtls_app_data,
	.closed = dtls_closed,
};

static int parse_profiles(const struct ponte_config *cfg, uint16_t *out, size_t max)
{
	size_t n = 0;

	for (char **p = cfg->webrtc.srtp_profiles; p != NULL && *p != NULL && n < max; p++) {
		if (strcmp(*p, "AEAD_AES_128_GCM") == 0)
			out[n++] = PONTE_SRTP_AEAD_AES_128_GCM;
		else if (strcmp(*p, "AES128_CM_SHA1_80") == 0)
			out[n++] = PONTE_SRTP_AES128_CM_SHA1_80;
	}
	return (int)n;
}

/* The one place a session's DTLS is made: at most one per session, never after the end (an
 * object made then would outlive the session with its handshake deadline armed). */
static int start_dtls(struct ponte_session *s)
{
	uint16_t profiles[4];
	struct ponte_dtls_params p = {
		.role = s->role,
		.fingerprint_alg = s->fp_alg,
		.fingerprint = s->fp,
		.profiles = profiles,
		.nb_profiles = (size_t)parse_profiles(s->env->cfg, profiles, 4),
		.log_name = s->log_name,
	};
	int rc;

	if (s->dtls != NULL)
		return 0;
	if (s->is_ended)
		return -ESHUTDOWN;
	rc = ponte_dtls_create(s->env->cert, &p, &dtls_ops, s, &s->dtls);
	if (rc == 0)
		rc = ponte_dtls_start(s->dtls);
	return rc;
}

/* ---- ICE ---- */

static void ice_candidate(void *ctx, const char *candidate)
{
	struct ponte_session *s = ctx;

	if (candidate == NULL)
		s->is_gathered = true;
	else
		g_ptr_array_add(s->local_candidates, g_strdup(candidate));
	s->ops->candidate(s->ctx, candidate);
}

static void ice_state(void *ctx, enum ponte_ice_state st)
{
	struct ponte_session *s = ctx;
	struct ponte_addr local;
	uint32_t port, old;
	int fd, rc;

	/* ice.c brings every report to the main loop; the session is not thread-safe. */
	assert(g_main_context_is_owner(g_main_context_default()));
	/* Over: the owner destroys it soon; no new port, no DTLS. */
	if (s->is_ended)
		return;
	if (st == PONTE_ICE_FAILED) {
		end(s, s->has_keys ? "consent-lost" : "ice-failed");
		return;
	}
	rc = ponte_ice_selected(s->ice, &fd, &s->leg.remote, &local);
	if (rc != 0) {
		log_warn("session", "%s selected pair unusable: %s", s->log_name, g_strerror(-rc));
		end(s, "ice-failed");
		return;
	}
	if (fd >= 0) {
		rc = ponte_dp_port_attach(s->env->dp, fd, &port);
		close(fd);
	} else {
		/* Relayed through our TURN server: the agent frames what the dataplane sends. */
		rc = ponte_dp_port_attach_fn(s->env->dp, ponte_ice_relay_send, s->ice, &port);
		log_info("session", "%s media relayed through TURN", s->log_name);
	}
	if (rc != 0) {
		log_warn("session", "%s dataplane port: %s", s->log_name, g_strerror(-rc));
		end(s, "ice-failed");
		return;
	}
	old = s->leg.port_id;
	s->leg.port_id = port;
	s->is_relayed_pair = fd < 0;
	ponte_ice_set_media_sink(s->ice, s->env->dp, port);
	flush_dtls_queue(s);
	if (start_dtls(s) != 0) {
		end(s, "dtls-failed");
		return;
	}
	/* A new pair after keys: the services move their flows, then the old port goes. */
	if (s->has_keys)
		s->ops->media_ready(s->ctx, &s->leg);
	if (old != 0)
		ponte_dp_port_close(s->env->dp, old);
}

static void ice_dtls(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ponte_session *s = ctx;

	assert(g_main_context_is_owner(g_main_context_default()));
	if (s->is_ended)
		return;
	/* DTLS may arrive before our own connected state: a passive side starts on it. */
	if (start_dtls(s) != 0) {
		end(s, "dtls-failed");
		return;
	}
	if (s->dtls != NULL)
		ponte_dtls_input(s->dtls, pkt, len);
}

static const struct ponte_ice_ops ice_ops = {
	.candidate = ice_candidate,
	.state = ice_state,
	.dtls = ice_dtls,
};

/* ---- SDP ---- */

/* A remote candidate as the a=candidate value libnice parses. */
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

/* What we need from the offer's first (bundle-tag) section: ICE, fingerprint, SCTP port. */
static int read_offer(struct ponte_session *s, const struct sdp *offer, char *err, size_t errlen,
		      bool *is_restart)
{
	const struct sdp_media *m0 = offer->nb_media ? &offer->media[0] : NULL;
	const struct sdp_attr *ufrag, *pwd, *fp;

	if (m0 == NULL) {
		snprintf(err, errlen, "the offer has no media section");
		return -EINVAL;
	}
	ufrag = sdp_media_attr(offer, m0, SDP_ATTR_ICE_UFRAG);
	pwd = sdp_media_attr(offer, m0, SDP_ATTR_ICE_PWD);
	fp = sdp_media_attr(offer, m0, SDP_ATTR_FINGERPRINT);
	if (ufrag == NULL || pwd == NULL || fp == NULL) {
		snprintf(err, errlen, "line %u: the first media section has no %s", m0->line,
			 ufrag == NULL ? "a=ice-ufrag" : pwd == NULL ? "a=ice-pwd" : "a=fingerprint");
		return -EINVAL;
	}
	*is_restart = s->remote_ufrag != NULL && strcmp(s->remote_ufrag, ufrag->u.str) != 0;
	if (s->remote_ufrag == NULL || *is_restart) {
		g_free(s->remote_ufrag);
		s->remote_ufrag = g_strdup(ufrag->u.str);
		g_free(s->fp_alg);
		g_free(s->fp);
		s->fp_alg = g_strdup(fp->u.fingerprint.hash);
		s->fp = g_strdup(fp->u.fingerprint.value);
	}
	for (unsigned i = 0; i < offer->nb_media; i++) {
		const struct sdp_attr *port;

		if (strcmp(offer->media[i].type, "application") != 0 || offer->media[i].port == 0)
			continue;
		const struct sdp_attr *max;

		port = sdp_attr_find(offer->media[i].attrs, offer->media[i].nb_attrs,
				     SDP_ATTR_SCTP_PORT);
		max = sdp_attr_find(offer->media[i].attrs, offer->media[i].nb_attrs,
				    SDP_ATTR_MAX_MESSAGE_SIZE);
		s->sctp_port = port != NULL ? (uint16_t)port->u.num : 5000;
		/* The legacy form (DTLS/SCTP) names the port as its format. */
		if (strcmp(offer->media[i].proto, "DTLS/SCTP") == 0 && offer->media[i].nb_fmts == 1 &&
		    atoi(offer->media[i].fmts[0]) > 0)
			s->sctp_port = (uint16_t)atoi(offer->media[i].fmts[0]);
		/* RFC 8841 §6: 0 means "no limit". */
		s->sctp_remote_max = max == NULL ? 0 : max->u.num == 0 ? SIZE_MAX : (size_t)max->u.num;
	}
	return 0;
}

/* The offer's SSRCs by slot (the first audio and video sections' a=ssrc, and FID's repair
 * SSRC), paired with the gateway's own for the same slot. */
static void read_ssrcs(struct ponte_session *s, const struct sdp *offer)
{
	bool seen[2] = {false, false};

	for (unsigned k = 0; k < PONTE_LEG_NB_SLOTS; k++) {
		s->leg.ssrcs[k].peer = 0;
		s->leg.ssrcs[k].gw = s->gw_ssrc[k];
	}
	for (unsigned i = 0; i < offer->nb_media; i++) {
		const struct sdp_media *m = &offer->media[i];
		int kind = strcmp(m->type, "audio") == 0 ? 0 : strcmp(m->type, "video") == 0 ? 1 : -1;
		const struct sdp_attr *a;
		unsigned pos = 0;

		if (kind < 0 || m->port == 0 || seen[kind])
			continue;
		seen[kind] = true;
		a = sdp_attr_next(m->attrs, m->nb_attrs, &pos, SDP_ATTR_SSRC_GROUP);
		if (a != NULL && strcmp(a->u.ssrc_group.semantics, "FID") == 0 &&
		    a->u.ssrc_group.nb_ids == 2) {
			s->leg.ssrcs[kind].peer = a->u.ssrc_group.ids[0];
			if (kind == 1)
				s->leg.ssrcs[PONTE_SLOT_VIDEO_RTX].peer = a->u.ssrc_group.ids[1];
			continue;
		}
		pos = 0;
		a = sdp_attr_next(m->attrs, m->nb_attrs, &pos, SDP_ATTR_SSRC);
		if (a != NULL)
			s->leg.ssrcs[kind].peer = a->u.ssrc.id;
	}
}

/* The clock of each payload type the peer sends, from the answer (it keeps the offer's
 * numbers), for the jitter of the gateway's receiver reports. */
static void read_clocks(struct ponte_session *s, const struct sdp *answer)
{
	memset(s->leg.clock_khz, 0, sizeof(s->leg.clock_khz));
	for (unsigned i = 0; i < answer->nb_media; i++) {
		const struct sdp_media *m = &answer->media[i];
		const struct sdp_attr *a;
		unsigned pos = 0;

		while ((a = sdp_attr_next(m->attrs, m->nb_attrs, &pos, SDP_ATTR_RTPMAP)) != NULL)
			if (a->u.rtpmap.pt < 128 && a->u.rtpmap.clock / 1000 <= 255)
				s->leg.clock_khz[a->u.rtpmap.pt] = (uint8_t)(a->u.rtpmap.clock / 1000);
	}
}

int ponte_session_offer(struct ponte_session *s, const char *text, char **answer_text,
			char *err, size_t errlen)
{
	return ponte_session_offer_with(s, text, NULL, 0, answer_text, err, errlen);
}

int ponte_session_offer_with(struct ponte_session *s, const char *text,
			     const struct sdp_local_stream *pinned, unsigned nb_pinned,
			     char **answer_text, char *err, size_t errlen)
{
	const struct ponte_config *cfg = s->env->cfg;
	struct sdp *offer = NULL, *answer = NULL;
	g_autofree struct sdp_local_stream *streams = g_new0(struct sdp_local_stream, 2 + nb_pinned);
	unsigned nb_streams = s->is_relay ? 0 : 2;
	const char *fp_alg;
	const char *fp = ponte_dtls_cert_fingerprint(s->env->cert, &fp_alg);
	bool is_restart = false;
	char *printed = NULL;
	int rc;

	rc = sdp_parse(text, strlen(text), &offer, err, errlen);
	if (rc != 0)
		return -EINVAL;
	rc = read_offer(s, offer, err, errlen, &is_restart);
	if (rc != 0)
		goto out;
	if (is_restart) {
		log_info("session", "%s ICE restart", s->log_name);
		ponte_ice_restart(s->ice);
		g_ptr_array_set_size(s->local_candidates, 0);
		s->is_gathering = s->is_gathered = false;
	}
	if (!s->is_relay) {
		streams[0] = (struct sdp_local_stream){SDP_KIND_AUDIO, "ponte", "ponte-audio",
						       s->gw_ssrc[PONTE_SLOT_AUDIO], 0, NULL};
		streams[1] = (struct sdp_local_stream){SDP_KIND_VIDEO, "ponte", "ponte-video",
						       s->gw_ssrc[PONTE_SLOT_VIDEO],
						       s->gw_ssrc[PONTE_SLOT_VIDEO_RTX], NULL};
	}
	for (unsigned i = 0; i < nb_pinned; i++)
		streams[nb_streams++] = pinned[i];
	struct sdp_local local = {
		.session_id = s->sdp_session_id,
		.session_version = ++s->sdp_version,
		.ice_ufrag = ponte_ice_ufrag(s->ice),
		.ice_pwd = ponte_ice_pwd(s->ice),
		.has_trickle = true,
		.fingerprint_hash = fp_alg,
		.fingerprint = fp,
		.setup = cfg->webrtc.dtls_setup == PONTE_DTLS_SETUP_ACTIVE ? SDP_SETUP_ACTIVE
									   : SDP_SETUP_PASSIVE,
		.codecs = s->codecs != NULL ? s->codecs : ponte_webrtc_codecs,
		.nb_codecs = s->codecs != NULL ? s->nb_codecs : ponte_webrtc_nb_codecs,
		.extmaps = ponte_webrtc_extmaps,
		.nb_extmaps = ponte_webrtc_nb_extmaps,
		.has_datachannel = true,
		.audio_dir = s->is_relay ? SDP_DIR_RECVONLY : SDP_DIR_SENDRECV,
		.video_dir = s->is_relay ? SDP_DIR_RECVONLY : SDP_DIR_SENDRECV,
		.streams = streams,
		.nb_streams = nb_streams,
		.cname = s->id,
	};
	rc = sdp_answer_create(offer, &local, &answer, err, errlen);
	if (rc != 0) {
		rc = -EINVAL;
		goto out;
	}
	/* Our DTLS role is what the answer says (RFC 8842 §5). */
	{
		const struct sdp_attr *setup = answer->nb_media
			? sdp_media_attr(answer, &answer->media[0], SDP_ATTR_SETUP) : NULL;

		s->role = setup != NULL && setup->u.setup == SDP_SETUP_ACTIVE ? PONTE_DTLS_CLIENT
									       : PONTE_DTLS_SERVER;
	}
	read_ssrcs(s, offer);
	read_clocks(s, answer);
	rc = sdp_print(answer, 0, &printed, NULL);
	if (rc != 0)
		goto out;
	ponte_ice_set_remote_credentials(s->ice, s->remote_ufrag,
					 sdp_media_attr(offer, &offer->media[0],
							SDP_ATTR_ICE_PWD)->u.str);
	/* Candidates in the offer (non-trickle peers, like aiortc, put them all there). */
	{
		const struct sdp_media *m0 = &offer->media[0];
		const struct sdp_attr *a;
		unsigned pos = 0;

		while ((a = sdp_attr_next(m0->attrs, m0->nb_attrs, &pos, SDP_ATTR_CANDIDATE))) {
			char *c = candidate_text(&a->u.candidate);

			ponte_ice_add_remote_candidate(s->ice, c);
			g_free(c);
		}
		if (sdp_attr_find(m0->attrs, m0->nb_attrs, SDP_ATTR_END_OF_CANDIDATES) != NULL)
			ponte_ice_remote_gathering_done(s->ice);
	}
	if (!s->is_gathering) {
		s->is_gathering = true;
		ponte_ice_gather(s->ice);
	}
	*answer_text = g_strdup(printed);
	sdp_free(s->base);
	s->base = answer;
	answer = NULL;
	rc = 0;
out:
	free(printed);
	sdp_free(answer);
	sdp_free(offer);
	return rc;
}

int ponte_session_reoffer(struct ponte_session *s, const struct sdp_extra_stream *extra,
			  unsigned nb_extra, char **offer_text, char *err, size_t errlen)
{
	struct sdp *offer = NULL;
	char *printed = NULL;
	int rc;

	if (s->base == NULL)
		return -EINPROGRESS;
	rc = sdp_reoffer_create(s->base, ++s->sdp_version, extra, nb_extra, s->id, &offer, err,
				errlen);
	if (rc == 0)
		rc = sdp_print(offer, 0, &printed, NULL);
	if (rc == 0) {
		s->nb_offered = offer->nb_media;
		*offer_text = g_strdup(printed);
	}
	free(printed);
	sdp_free(offer);
	return rc;
}

int ponte_session_answer(struct ponte_session *s, const char *text, char *err, size_t errlen)
{
	struct sdp *answer = NULL;
	const struct sdp_attr *fp;
	int rc = sdp_parse(text, strlen(text), &answer, err, errlen);

	if (rc != 0)
		return -EINVAL;
	rc = -EINVAL;
	if (s->nb_offered == 0) {
		snprintf(err, errlen, "there is no offer of ours to answer");
	} else if (answer->nb_media != s->nb_offered) {
		snprintf(err, errlen, "the answer has %u media sections, the offer had %u",
			 answer->nb_media, s->nb_offered);
	} else if ((fp = sdp_media_attr(answer, &answer->media[0], SDP_ATTR_FINGERPRINT)) ==
			   NULL ||
		   s->fp == NULL || strcasecmp(fp->u.fingerprint.value, s->fp) != 0) {
		/* RFC 8842 §5.5: a changed fingerprint would need a new DTLS association. */
		snprintf(err, errlen, "the answer's fingerprint differs from the session's");
	} else {
		s->nb_offered = 0;
		rc = 0;
	}
	sdp_free(answer);
	return rc;
}

void ponte_session_set_codecs(struct ponte_session *s, const struct sdp_codec *codecs,
			      unsigned nb)
{
	s->codecs = codecs;
	s->nb_codecs = nb;
}

int ponte_session_candidate(struct ponte_session *s, const char *candidate)
{
	if (candidate == NULL || candidate[0] == '\0') {
		ponte_ice_remote_gathering_done(s->ice);
		return 0;
	}
	return ponte_ice_add_remote_candidate(s->ice, candidate);
}

/* ---- life ---- */

static uint32_t random_ssrc(void)
{
	uint32_t v;

	do
		v = g_random_int();
	while (v == 0);
	return v;
}

/* "host:port" or "[v6]:port" (checked by the config) apart: libnice wants them so. */
static uint16_t split_host_port(const char *hp, char *host, size_t size)
{
	const char *colon = strrchr(hp, ':');
	bool is_v6 = hp[0] == '[';

	g_strlcpy(host, hp + is_v6, MIN(size, (size_t)(colon - hp) + 1 - 2 * is_v6));
	return (uint16_t)atoi(colon + 1);
}

int ponte_session_create(const struct ponte_session_env *env, const char *id, bool is_relay,
			 const struct ponte_session_ops *ops, void *ctx, struct ponte_session **out)
{
	struct ponte_session *s = g_new0(struct ponte_session, 1);
	const struct ponte_config *cfg = env->cfg;
	char stun_host[256], turn_host[256];
	struct ponte_ice_params ip = {
		.is_controlling = false,
		.addresses = (const char *const *)cfg->webrtc.addresses,
		.public_ip = cfg->webrtc.public_address,
		.announce_private = cfg->webrtc.announce_private,
		.port_min = (uint16_t)cfg->webrtc.port_min,
		.port_max = (uint16_t)cfg->webrtc.port_max,
		.turn_transport = cfg->webrtc.turn_transport,
		.turn_username = cfg->webrtc.turn_username,
		.turn_password = cfg->webrtc.turn_password,
		.relay_only = cfg->webrtc.relay_only,
	};
	int rc;

	s->env = env;
	s->is_relay = is_relay;
	s->ops = ops;
	s->ctx = ctx;
	g_strlcpy(s->id, id, sizeof(s->id));
	snprintf(s->log_name, sizeof(s->log_name), "session=%s", id);
	ip.log_name = s->log_name;
	s->local_candidates = g_ptr_array_new_with_free_func(g_free);
	s->dtls_queue = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	s->sdp_session_id = ((uint64_t)g_random_int() << 30) ^ g_random_int();
	for (int k = 0; k < PONTE_LEG_NB_SLOTS; k++)
		s->gw_ssrc[k] = random_ssrc();
	s->leg.report_ssrc = random_ssrc();
	g_strlcpy(s->leg.cname, id, sizeof(s->leg.cname));
	if (cfg->webrtc.stun_server[0] != '\0') {
		ip.stun_port = split_host_port(cfg->webrtc.stun_server, stun_host,
					       sizeof(stun_host));
		ip.stun_server = stun_host;
	}
	if (cfg->webrtc.turn_server[0] != '\0') {
		ip.turn_port = split_host_port(cfg->webrtc.turn_server, turn_host,
					       sizeof(turn_host));
		ip.turn_server = turn_host;
	}
	rc = ponte_ice_create(&ip, &ice_ops, s, &s->ice);
	if (rc != 0) {
		g_ptr_array_free(s->dtls_queue, TRUE);
		g_ptr_array_free(s->local_candidates, TRUE);
		g_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void ponte_session_destroy(struct ponte_session *s)
{
	if (s == NULL)
		return;
	s->is_ended = true;
	ponte_sctp_destroy(s->sctp);
	s->sctp = NULL;
	if (s->dtls != NULL) {
		ponte_dtls_close(s->dtls);
		ponte_dtls_destroy(s->dtls);
		s->dtls = NULL;
	}
	ponte_ice_set_media_sink(s->ice, NULL, 0);
	if (s->leg.port_id != 0) {
		ponte_dp_port_close(s->env->dp, s->leg.port_id);
		/* A TURN-relayed port sends through the agent: let it go first. */
		if (s->is_relayed_pair)
			ponte_dp_sync(s->env->dp);
	}
	ponte_ice_destroy(s->ice);
	/* The keys, from the struct (not from its first member, as GCC 12's -Wstringop-overflow
	 * takes &s->leg after the port_id read above). */
	explicit_bzero(&s->leg.rx, sizeof(s->leg.rx));
	explicit_bzero(&s->leg.tx, sizeof(s->leg.tx));
	g_ptr_array_free(s->local_candidates, TRUE);
	g_ptr_array_free(s->dtls_queue, TRUE);
	sdp_free(s->base);
	g_free(s->remote_ufrag);
	g_free(s->fp_alg);
	g_free(s->fp);
	g_free(s);
}

const char *ponte_session_id(const struct ponte_session *s)
{
	return s->id;
}

const struct sdp *ponte_session_description(const struct ponte_session *s)
{
	return s->base;
}

const struct ponte_media_leg *ponte_session_leg(const struct ponte_session *s)
{
	return &s->leg;
}

int ponte_session_dc_send(struct ponte_session *s, uint16_t stream, bool is_binary,
			  const uint8_t *data, size_t len)
{
	if (s->sctp == NULL)
		return -ENOTCONN;
	return ponte_sctp_send(s->sctp, stream, is_binary, data, len);
}
