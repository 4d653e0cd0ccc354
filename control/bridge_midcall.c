/* SPDX-License-Identifier: MIT */
/*
 * A bridged call once it is up: re-INVITEs from the phone (hold, resume, a new media address,
 * session refreshes) and from us when the browser holds or resumes (RFC 3264 §8, RFC 6337).
 *
 * Each side states what it wants with the direction of its SDP: the phone in its latest offer
 * or answer, the browser in its latest offer. Media flows toward the phone when the browser
 * sends and the phone receives, toward the browser when the phone sends and the browser
 * receives; our SDP to the phone says the same. The codec stays the one negotiated when the
 * call was set up: the browser was answered with it alone, so a re-offer without it is
 * refused with 488.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "bridge_internal.h"
#include "log.h"
#include "session.h"

static bool dir_sends(enum sdp_direction d)
{
	return d == SDP_DIR_SENDRECV || d == SDP_DIR_SENDONLY;
}

static bool dir_receives(enum sdp_direction d)
{
	return d == SDP_DIR_SENDRECV || d == SDP_DIR_RECVONLY;
}

static enum sdp_direction dir_of(bool sends, bool receives)
{
	if (sends && receives)
		return SDP_DIR_SENDRECV;
	if (sends)
		return SDP_DIR_SENDONLY;
	return receives ? SDP_DIR_RECVONLY : SDP_DIR_INACTIVE;
}

static enum sdp_direction dir_of_answer(const struct sip_sdp_answer *a)
{
	return a->is_sendonly	? SDP_DIR_SENDONLY
	       : a->is_recvonly ? SDP_DIR_RECVONLY
	       : a->is_inactive ? SDP_DIR_INACTIVE
				: SDP_DIR_SENDRECV;
}

static const char *dir_name(enum sdp_direction d)
{
	static const char *const names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

	return (unsigned)d < G_N_ELEMENTS(names) ? names[d] : "?";
}

bool bridge_sends_to_phone(const struct ponte_bridge *b)
{
	return dir_sends(b->browser_dir) && dir_receives(b->phone_dir);
}

bool bridge_sends_to_browser(const struct ponte_bridge *b)
{
	return dir_sends(b->phone_dir) && dir_receives(b->browser_dir);
}

bool bridge_is_held(const struct ponte_bridge *b)
{
	return b->phone_dir != SDP_DIR_SENDRECV || b->browser_dir != SDP_DIR_SENDRECV;
}

static uint64_t now_ns(void)
{
	return (uint64_t)g_get_monotonic_time() * 1000ull;
}

/*
 * Print our SDP for the phone from the current state with direction dir: a new o= version
 * when it differs from the last one we sent, the same when it does not (RFC 3264 §8: a
 * session refresh changes nothing).
 */
static char *print_ours(struct ponte_bridge *b, enum sdp_direction dir)
{
	char *text = NULL;

	b->offer.dir = dir;
	if (sip_sdp_make_answer(&b->offer, &b->answer, bridge_media_address(b->env.cfg),
				b->rtp_local.port, b->sess_id, &text) != 0)
		return NULL;
	if (b->local_sdp != NULL && strcmp(text, b->local_sdp) == 0)
		return text;
	sip_sdp_text_free(text);
	b->offer.version = (b->offer.version > 0 ? b->offer.version : 1) + 1;
	if (sip_sdp_make_answer(&b->offer, &b->answer, bridge_media_address(b->env.cfg),
				b->rtp_local.port, b->sess_id, &text) != 0)
		return NULL;
	sip_sdp_text_free(b->local_sdp);
	b->local_sdp = g_strdup(text);
	return text;
}

/*
 * Read an SDP of the phone's against the codecs of the call: the codec in use must still be
 * there (its payload type may have changed), telephone-event is kept when it is. On success
 * st and ans are the state to adopt.
 */
static int read_phone_sdp(const struct ponte_bridge *b, const char *text,
			  struct sip_sdp_offer *st, struct sip_sdp_answer *ans, char *err,
			  size_t errlen)
{
	const struct sip_sdp_codec *cur;
	int rc;

	*st = b->offer;
	for (unsigned i = 0; i < st->nb_codecs; i++)
		st->codecs[i].phone_pt = -1;
	cur = &st->codecs[b->answer.codec];
	rc = sip_sdp_read_answer(text, st, ans, err, errlen);
	/* Its words are an answer's: a missing codec is said the way of a re-offer below. */
	if (rc != 0 && strstr(err, "no codec") == NULL)
		return -EINVAL;
	if (rc == 0 && ans->rtp.port == 0) {
		snprintf(err, errlen, "the audio stream is refused (port 0): the call has no other");
		return -EINVAL;
	}
	if (rc != 0 || cur->phone_pt < 0) {
		snprintf(err, errlen,
			 "%s/%u, the codec of the call, is missing: changing codecs mid-call is "
			 "not supported",
			 cur->name, cur->clock);
		return -EINVAL;
	}
	ans->codec = b->answer.codec;
	ans->te = b->answer.te >= 0 && st->codecs[b->answer.te].phone_pt >= 0 ? b->answer.te : -1;
	return 0;
}

/* Tell the browser when the phone's hold state changed. */
static void report_phone_hold(struct ponte_bridge *b, enum sdp_direction before)
{
	bool was_held = before != SDP_DIR_SENDRECV;
	bool is_held = b->phone_dir != SDP_DIR_SENDRECV;

	if (was_held == is_held)
		return;
	log_info("bridge", "session=%s the phone %s (%s)", ponte_session_id(b->s),
		 is_held ? "holds the call" : "resumes the call", dir_name(b->phone_dir));
	bridge_event(b, is_held ? "hold" : "resumed", 0, "phone");
}

/* Adopt a new SDP state of the phone's and update the flows. */
static void adopt(struct ponte_bridge *b, const struct sip_sdp_offer *st,
		  const struct sip_sdp_answer *ans)
{
	enum sdp_direction before = b->phone_dir;
	bool was_held = bridge_is_held(b);
	int rc;

	if (!ponte_addr_equal(&ans->rtp, &b->answer.rtp) ||
	    !ponte_addr_equal(&ans->rtcp, &b->answer.rtcp)) {
		/* The phone moved its media: latch again to where it sends from now. */
		b->latch_epoch++;
		log_info("bridge", "session=%s the phone's media moves", ponte_session_id(b->s));
	}
	b->offer = *st;
	b->answer = *ans;
	b->phone_dir = dir_of_answer(ans);
	if (was_held && !bridge_is_held(b))
		b->answered_ns = now_ns(); /* the media timeout starts again from the resume */
	report_phone_hold(b, before);
	if (!b->has_flows)
		return;
	rc = bridge_install_flows(b);
	if (rc != 0)
		log_warn("bridge", "session=%s flows: %s", ponte_session_id(b->s), g_strerror(-rc));
}

/* ---- the phone's re-INVITE ---- */

int bridge_on_reoffer(void *ctx, const char *sdp, char **answer, const char **warning)
{
	static char err[SDP_ERR_LEN];
	struct ponte_bridge *b = ctx;
	struct sip_sdp_offer st;
	struct sip_sdp_answer ans;
	enum sdp_direction ours;

	*answer = NULL;
	if (b->state != ST_ANSWERED || !b->has_phone_sdp) {
		*warning = "the call is not set up yet";
		return 500;
	}
	if (sdp == NULL) {
		/* Offerless: we offer the session as it is, the phone answers in its ACK. */
		*answer = print_ours(b, dir_of(dir_sends(b->browser_dir),
					       dir_receives(b->browser_dir)));
		return *answer != NULL ? 200 : 500;
	}
	err[0] = '\0';
	if (read_phone_sdp(b, sdp, &st, &ans, err, sizeof(err)) != 0) {
		log_info("bridge", "session=%s re-INVITE refused: %s", ponte_session_id(b->s), err);
		*warning = err;
		return 488;
	}
	adopt(b, &st, &ans);
	/* RFC 3264 §6.1: we send only if it receives, receive only if it sends; and only
	 * what the browser wants. */
	ours = dir_of(dir_receives(b->phone_dir) && dir_sends(b->browser_dir),
		      dir_sends(b->phone_dir) && dir_receives(b->browser_dir));
	*answer = print_ours(b, ours);
	return *answer != NULL ? 200 : 500;
}

void bridge_on_reoffer_acked(void *ctx, const char *sdp)
{
	struct ponte_bridge *b = ctx;
	struct sip_sdp_offer st;
	struct sip_sdp_answer ans;
	char err[SDP_ERR_LEN] = "";

	if (b->state == ST_ENDED)
		return;
	if (sdp == NULL || read_phone_sdp(b, sdp, &st, &ans, err, sizeof(err)) != 0) {
		/* Our offer is not answered: the session cannot go on (RFC 3261 §13.3.1.4). */
		log_info("bridge", "session=%s the ACK to our re-offer: %s", ponte_session_id(b->s),
			 sdp == NULL ? "no answer" : err);
		ponte_sip_hangup(b->call);
		b->call = NULL;
		bridge_end(b, "bad-sdp", 488, sdp == NULL ? "no SDP answer in the ACK" : err);
		return;
	}
	adopt(b, &st, &ans);
}

/* ---- the browser holds or resumes: our re-INVITE ---- */

static void reinvite(struct ponte_bridge *b)
{
	char *sdp;
	int rc;

	b->is_reinvite_needed = false;
	sdp = print_ours(b, b->browser_dir);
	if (sdp == NULL)
		return;
	rc = ponte_sip_call_reinvite(b->call, sdp);
	if (rc == -EBUSY)
		b->is_reinvite_needed = true; /* after the one in progress */
	else if (rc != 0)
		log_warn("bridge", "session=%s re-INVITE: %s", ponte_session_id(b->s),
			 g_strerror(-rc));
	else
		log_info("bridge", "session=%s re-INVITE to the phone: %s", ponte_session_id(b->s),
			 dir_name(b->browser_dir));
	sip_sdp_text_free(sdp);
}

void bridge_on_reinvite_done(void *ctx, int status, const char *reason, const char *sdp)
{
	struct ponte_bridge *b = ctx;
	struct sip_sdp_offer st;
	struct sip_sdp_answer ans;
	char err[SDP_ERR_LEN] = "";

	if (b->state == ST_ENDED)
		return;
	if (status != 200) {
		/* The session stays as it was for the phone; the browser hears why. */
		bridge_event(b, "reinvite-failed", status, reason);
	} else if (sdp == NULL || read_phone_sdp(b, sdp, &st, &ans, err, sizeof(err)) != 0) {
		log_info("bridge", "session=%s answer to our re-INVITE: %s", ponte_session_id(b->s),
			 sdp == NULL ? "no SDP" : err);
		bridge_event(b, "reinvite-failed", 488, sdp == NULL ? "no SDP answer" : err);
	} else {
		adopt(b, &st, &ans);
		bridge_event(b, b->browser_dir == SDP_DIR_SENDRECV ? "resumed" : "hold", 0,
			     "browser");
	}
	if (b->is_reinvite_needed && b->call != NULL)
		reinvite(b);
}

int bridge_browser_reoffer(struct ponte_bridge *b, const char *sdp_text, char *err,
			   size_t errlen)
{
	struct sdp *offer = NULL;
	enum sdp_direction before = b->browser_dir;
	char *answer = NULL;
	bool was_held = bridge_is_held(b);
	int rc;

	rc = sdp_parse(sdp_text, strlen(sdp_text), &offer, err, errlen);
	if (rc != 0)
		return -EINVAL;
	/* The browser is answered with the codec of the call, as the first time. */
	rc = ponte_session_offer(b->s, sdp_text, &answer, err, errlen);
	if (rc != 0) {
		sdp_free(offer);
		return rc;
	}
	for (unsigned i = 0; i < offer->nb_media; i++)
		if (strcmp(offer->media[i].type, "audio") == 0 && offer->media[i].port != 0) {
			b->browser_dir = sdp_media_direction(offer, &offer->media[i]);
			break;
		}
	sdp_free(offer);
	g_free(b->browser_offer);
	b->browser_offer = g_strdup(sdp_text);
	b->ops->answer(b->ctx, answer);
	g_free(answer);
	if (b->browser_dir == before)
		return 0;
	log_info("bridge", "session=%s the browser %s (%s)", ponte_session_id(b->s),
		 b->browser_dir == SDP_DIR_SENDRECV ? "resumes" : "holds",
		 dir_name(b->browser_dir));
	if (was_held && !bridge_is_held(b))
		b->answered_ns = now_ns();
	if (b->has_flows) {
		rc = bridge_install_flows(b);
		if (rc != 0)
			log_warn("bridge", "session=%s flows: %s", ponte_session_id(b->s),
				 g_strerror(-rc));
	}
	if (b->call != NULL)
		reinvite(b);
	return 0;
}

/* ---- the phone transfers the call (REFER, RFC 3515): blind transfer ---- */

static void transfer_failed(struct ponte_bridge *b, int status, const char *reason)
{
	log_info("bridge", "session=%s transfer to %s failed: %d %s", ponte_session_id(b->s),
		 b->transfer_to, status, reason);
	b->transfer = NULL;
	bridge_event(b, "transfer-failed", status, reason);
	g_free(b->transfer_to);
	b->transfer_to = NULL;
	/* It holds our SDES key when SRTP is on. */
	sip_sdp_text_free(b->transfer_sdp);
	b->transfer_sdp = NULL;
	/* Nobody left on the SIP side: the phone that transferred us is gone too. */
	if (b->call == NULL)
		bridge_end(b, "sip-status", status, reason);
}

static void on_transfer_progress(void *ctx, int status, const char *reason, const char *sdp)
{
	struct ponte_bridge *b = ctx;

	(void)sdp; /* early media from the target is not played: the phone is still there */
	if (b->transfer != NULL)
		log_info("bridge", "session=%s transfer to %s: %d %s", ponte_session_id(b->s),
			 b->transfer_to, status, reason);
}

static void on_transfer_answered(void *ctx, const char *sdp)
{
	struct ponte_bridge *b = ctx;
	struct sip_sdp_offer st = b->transfer_offer;
	struct sip_sdp_answer ans;
	char err[SDP_ERR_LEN] = "";
	struct ponte_sip_call *old = b->call;
	int rc;

	if (b->transfer == NULL || b->state == ST_ENDED)
		return;
	if (sdp == NULL || sip_sdp_read_answer(sdp, &st, &ans, err, sizeof(err)) != 0 ||
	    ans.rtp.port == 0) {
		ponte_sip_hangup(b->transfer);
		transfer_failed(b, 488, sdp == NULL ? "the target answered without SDP"
				   : err[0]	    ? err
						    : "the target refused the audio");
		return;
	}
	/* The target replaces the phone: its SDP state, its call, its address. */
	b->call = b->transfer;
	b->transfer = NULL;
	/* The transferring phone hangs up by itself once its NOTIFY says 200 (RFC 5589 §6.1). */
	if (old != NULL)
		ponte_sip_call_detach(old);
	b->is_incoming = false;
	g_free(b->to);
	b->to = b->transfer_to;
	b->transfer_to = NULL;
	b->offer = st;
	b->answer = ans;
	b->sess_id = b->transfer_sess_id;
	sip_sdp_text_free(b->local_sdp);
	b->local_sdp = b->transfer_sdp;
	b->transfer_sdp = NULL;
	b->phone_dir = dir_of_answer(&ans);
	b->latch_epoch++;
	b->answered_ns = now_ns();
	log_info("bridge", "session=%s transferred to %s", ponte_session_id(b->s), b->to);
	bridge_event(b, "transferred", 200, b->to);
	if (b->has_flows) {
		rc = bridge_install_flows(b);
		if (rc != 0)
			log_warn("bridge", "session=%s flows: %s", ponte_session_id(b->s),
				 g_strerror(-rc));
	}
}

static void on_transfer_ended(void *ctx, int status, const char *reason)
{
	struct ponte_bridge *b = ctx;

	if (b->transfer != NULL)
		transfer_failed(b, status, reason);
	else
		bridge_on_call_ended(ctx, status, reason); /* the target became the phone */
}

static const struct ponte_sip_call_ops transfer_ops = {
	.progress = on_transfer_progress,
	.answered = on_transfer_answered,
	.ended = on_transfer_ended,
	.reoffer = bridge_on_reoffer,
	.reoffer_acked = bridge_on_reoffer_acked,
	.reinvite_done = bridge_on_reinvite_done,
	.refer = bridge_on_refer,
	.dtmf = bridge_on_dtmf,
	.dtmf_failed = bridge_on_dtmf_failed,
	.message = bridge_on_message,
};

void bridge_on_refer(void *ctx, const char *target, const char *referred_by)
{
	struct ponte_bridge *b = ctx;
	struct sip_sdp_offer *st = &b->transfer_offer;
	struct sip_sdp_answer as_offer = {.codec = 0, .te = -1};
	char *sdp = NULL;
	int rc;

	if (b->state != ST_ANSWERED || !b->has_phone_sdp || b->transfer != NULL ||
	    b->call == NULL) {
		ponte_sip_call_refer_refuse(b->call, 603);
		return;
	}
	/*
	 * The target is offered the call's codec (and telephone-event), numbered as the browser
	 * numbers them, at our same RTP port, in a session of its own.
	 */
	memset(st, 0, sizeof(*st));
	st->te = -1;
	st->codecs[st->nb_codecs++] = b->offer.codecs[b->answer.codec];
	if (b->answer.te >= 0) {
		st->te = as_offer.te = (int)st->nb_codecs;
		st->codecs[st->nb_codecs++] = b->offer.codecs[b->answer.te];
	}
	for (unsigned i = 0; i < st->nb_codecs; i++)
		st->codecs[i].phone_pt = st->codecs[i].browser_pt;
	st->dir = dir_of(dir_sends(b->browser_dir), dir_receives(b->browser_dir));
	b->transfer_sess_id = g_random_int();
	rc = sip_sdp_make_answer(st, &as_offer, bridge_media_address(b->env.cfg),
				 b->rtp_local.port, b->transfer_sess_id, &sdp);
	for (unsigned i = 0; i < st->nb_codecs; i++)
		st->codecs[i].phone_pt = -1;
	if (rc != 0) {
		ponte_sip_call_refer_refuse(b->call, 500);
		return;
	}
	log_info("bridge", "session=%s the phone (%s) transfers the call to %s",
		 ponte_session_id(b->s), referred_by, target);
	rc = ponte_sip_call_transfer(b->call, target, b->from_user, sdp, &transfer_ops, b,
				     &b->transfer);
	if (rc == 0) {
		b->transfer_to = g_strdup(target);
		b->transfer_sdp = sdp;
		bridge_event(b, "transferring", 0, target);
	} else {
		sip_sdp_text_free(sdp);
	}
}

void bridge_transfer_abandon(struct ponte_bridge *b)
{
	if (b->transfer != NULL)
		ponte_sip_hangup(b->transfer);
	b->transfer = NULL;
	g_free(b->transfer_to);
	b->transfer_to = NULL;
	sip_sdp_text_free(b->transfer_sdp);
	b->transfer_sdp = NULL;
}
