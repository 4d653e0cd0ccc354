/* SPDX-License-Identifier: MIT */
/*
 * Requests inside an established call, whichever side called: the peer's re-INVITEs (hold,
 * resume, a new media address, session refreshes, RFC 3261 §14.2) and ours (§14.1), INFO
 * both ways (sip_info.c) and the answers to our MESSAGEs (sip_message.c), for outgoing calls
 * (sip.c) and incoming ones (sip_incoming.c) alike. Both hand every event of a call's handle
 * to sip_dialog_event() first.
 *
 * The session's SDP stays the caller's business (NUTAG_MEDIA_ENABLE(0)): the owner answers a
 * re-offer through ops->reoffer and learns the answer to its own through ops->reinvite_done.
 * The stack keeps a copy of the last SDP each side sent, for the session refreshes by
 * re-INVITE it sends itself to phones that take no UPDATE (RFC 4028 §7.4, below).
 */
#include <errno.h>
#include <string.h>

#include <sofia-sip/sip_util.h>

#include "log.h"
#include "sip_internal.h"

#define MOD "sip"

/* RFC 3261 §14.1: after a 491 the owner of the Call-ID waits 2.1-4 s, the other 0-2 s. */
#define GLARE_MIN_MS_OWNER 2100
#define GLARE_MIN_MS_OTHER 0
#define GLARE_SPAN_MS 1900

char *sip_body_sdp(sip_t const *msg)
{
	if (msg == NULL || msg->sip_payload == NULL || msg->sip_payload->pl_len == 0)
		return NULL;
	if (msg->sip_content_type != NULL && msg->sip_content_type->c_type != NULL &&
	    g_ascii_strcasecmp(msg->sip_content_type->c_type, "application/sdp") != 0)
		return NULL;
	return g_strndup(msg->sip_payload->pl_data, msg->sip_payload->pl_len);
}

void sip_respond(nua_handle_t *nh, int status, const char *warning)
{
	/* RFC 3261 §20.43: warn-code 399 is "miscellaneous warning", the agent a pseudonym. */
	g_autofree char *w = warning != NULL ? g_strdup_printf("399 ponte \"%s\"", warning) : NULL;
	const char *phrase = sip_status_phrase(status);

	nua_respond(nh, status, phrase != NULL ? phrase : "", TAG_IF(w != NULL, SIPTAG_WARNING_STR(w)),
		    TAG_END());
}

/* Our SDP may carry SDES keys (a=crypto, RFC 4568): wiped before it is freed. */
static void free_sdp(char *sdp)
{
	if (sdp != NULL)
		explicit_bzero(sdp, strlen(sdp));
	g_free(sdp);
}

/* ---- session timers (RFC 4028): nua's, but we must know who refreshes ---- */

/*
 * A request of the phone's (INVITE, re-INVITE) names it "uac", a response of the phone's
 * "uas". A request without refresher lets the UAS choose, and nua, the UAS, leaves it to a UAC
 * that supports timers (§9); a UAC that does not is refreshed by the UAS. No Session-Expires:
 * no timer (§7.4, §9).
 */
void sip_dialog_note_timer(struct ponte_sip_call *call, sip_t const *msg)
{
	sip_session_expires_t const *x = msg != NULL ? msg->sip_session_expires : NULL;
	bool is_request = msg != NULL && msg->sip_request != NULL;

	if (msg == NULL)
		return;
	if (x == NULL)
		call->is_phone_refresher = false;
	else if (x->x_refresher != NULL)
		call->is_phone_refresher =
		    g_ascii_strcasecmp(x->x_refresher, is_request ? "uac" : "uas") == 0;
	else
		call->is_phone_refresher =
		    is_request && sip_has_feature(msg->sip_supported, "timer");
	call->session_interval = x != NULL ? (unsigned)x->x_delta : 0;
	/* No Allow says nothing about the methods (RFC 3261 §20.5): the last word stands. */
	if (msg->sip_allow != NULL)
		call->is_update_allowed =
		    sip_is_allowed(msg->sip_allow, sip_method_update, "UPDATE") != 0;
}

/*
 * nua's response to a BYE of its own (ours go through sip_call_hangup_internal, which sets
 * is_hung_up): sent because the phone, the refresher, let the session expire (RFC 4028 §10:
 * nua sends it at 9/10 of the interval, with Reason: SIP;cause=408). Reported when the phone
 * answers it (or the transaction times out); the terminated state follows and releases the
 * call.
 */
static void on_own_bye(struct ponte_sip_call *call, int status)
{
	if (call->is_hung_up || status < 200)
		return;
	call->is_hung_up = true;
	if (call->is_phone_refresher) {
		log_info(MOD, "call=%s the phone did not refresh the session: BYE sent (RFC 4028)",
			 call->call_id);
		sip_call_end(call, 408, PONTE_SIP_SESSION_EXPIRED);
	} else {
		/* nua ends dialogs by itself after some failures of requests inside them. */
		log_info(MOD, "call=%s ended by the stack (BYE: %d)", call->call_id, status);
		sip_call_end(call, 500, "the SIP stack ended the call");
	}
}

/* ---- the peer's re-INVITE ---- */

static void on_reoffer(struct ponte_sip_call *call, nua_handle_t *nh, sip_t const *msg)
{
	g_autofree char *sdp = sip_body_sdp(msg);
	char *answer = NULL;
	const char *warning = NULL;
	int status;

	if (call->is_ended || call->ops == NULL) {
		sip_respond(nh, 481, NULL);
		return;
	}
	if (call->is_reinviting) {
		/* Ours is out: glare (RFC 3261 §14.2). */
		log_info(MOD, "call=%s re-INVITE while ours is pending: 491", call->call_id);
		sip_respond(nh, 491, NULL);
		return;
	}
	if (msg != NULL && msg->sip_payload != NULL && msg->sip_payload->pl_len > 0 && sdp == NULL) {
		sip_respond(nh, 415, "only application/sdp bodies");
		return;
	}
	if (call->ops->reoffer == NULL) {
		sip_respond(nh, 488, "changing this session is not supported");
		return;
	}
	status = call->ops->reoffer(call->ctx, sdp, &answer, &warning);
	if (status != 200 || answer == NULL) {
		free_sdp(answer);
		if (status < 300 || status > 699)
			status = 500;
		log_info(MOD, "call=%s re-INVITE refused with %d%s%s", call->call_id, status,
			 warning != NULL ? ": " : "", warning != NULL ? warning : "");
		sip_respond(nh, status, warning);
		return;
	}
	/* An offerless re-INVITE: our 200 carries an offer, the ACK the answer (RFC 3264 §5). */
	call->is_reoffer_acking = sdp == NULL;
	sip_dialog_note_timer(call, msg);
	sip_dialog_note_sdp(call, answer, sdp);
	sip_dialog_session_refreshed(call);
	log_info(MOD, "call=%s re-INVITE%s answered", call->call_id,
		 sdp == NULL ? " (offerless: our offer in the 200)" : "");
	nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(answer), TAG_END());
	free_sdp(answer);
}

static void on_ack(struct ponte_sip_call *call, sip_t const *msg)
{
	g_autofree char *sdp = sip_body_sdp(msg);

	call->is_reoffer_acking = false;
	sip_dialog_note_sdp(call, NULL, sdp);
	if (!call->is_ended && call->ops->reoffer_acked != NULL)
		call->ops->reoffer_acked(call->ctx, sdp);
}

/* ---- our re-INVITE ---- */

static void send_reinvite(struct ponte_sip_call *call)
{
	call->is_reinviting = true;
	call->nb_auth = 0;
	nua_invite(call->nh, NUTAG_AUTOACK(1), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		   SIPTAG_PAYLOAD_STR(call->reinvite_sdp), TAG_END());
}

static gboolean on_glare_retry(gpointer data)
{
	struct ponte_sip_call *call = data;

	call->glare_timer = 0;
	if (call->is_ended)
		return G_SOURCE_REMOVE;
	log_info(MOD, "call=%s re-INVITE again after 491", call->call_id);
	send_reinvite(call);
	return G_SOURCE_REMOVE;
}

/* Whether the call is up for requests of ours: answered, and its 2xx acknowledged. */
static bool is_established(const struct ponte_sip_call *call)
{
	return call->is_answered &&
	       !(!call->is_incoming && call->is_offerless && !call->is_acked) &&
	       !(call->is_incoming && !call->is_acked);
}

/* ---- our session refreshes by re-INVITE (RFC 4028 §7.4) ---- */

/*
 * nua refreshes the sessions it must refresh with an UPDATE without a body
 * (NUTAG_UPDATE_REFRESH(1), sip.c), which RFC 4028 §7.4 allows toward a peer that takes
 * UPDATE. Its other way, with NUTAG_UPDATE_REFRESH(0), is a re-INVITE that resends the call's
 * last INVITE of ours (the first offer, stale once a re-INVITE of the phone's changed the
 * session) or, in a call the phone placed, an offerless one that nua would acknowledge without
 * an answer: neither fits NUTAG_MEDIA_ENABLE(0). So toward a phone whose Allow has no UPDATE
 * (or that sent no Allow: every UA takes re-INVITE, RFC 3261 §14) the refresh is ours: a
 * re-INVITE offering the SDP we last sent as it is, same o= version (RFC 3264 §8: nothing
 * changes), sent a little before nua's timer, which fires at half the interval give or take
 * 5 s (40-50 s of 90): ours at max(interval/3, interval/2 - 10), 35 s of 90. The 2xx to our
 * re-INVITE restarts nua's timer as it restarts ours, so nua's never fires while ours are
 * answered; if it does (a refresh refused, or waiting after a glare), its UPDATE is refused
 * and ends nothing (a 405 or 501 to UPDATE leaves the session and the dialog, RFC 5057 §5.1).
 */
static unsigned refresh_delay_ms(unsigned interval)
{
	unsigned s = MAX(interval / 3, interval / 2 > 10 ? interval / 2 - 10 : 0);

	/* At most a day: guint milliseconds, whatever Session-Expires the phone wrote. */
	return CLAMP(s, 1u, 86400u) * 1000u;
}

static bool is_refresh_ours(const struct ponte_sip_call *call)
{
	return sip_config(call->sip)->sip.session_timers && !call->is_ended &&
	       call->session_interval > 0 && !call->is_phone_refresher && !call->is_update_allowed;
}

void sip_dialog_note_sdp(struct ponte_sip_call *call, const char *ours, const char *phone)
{
	if (ours != NULL && ours != call->our_sdp) {
		free_sdp(call->our_sdp);
		call->our_sdp = g_strdup(ours);
	}
	if (phone != NULL && phone != call->phone_sdp) {
		free_sdp(call->phone_sdp);
		call->phone_sdp = g_strdup(phone);
	}
}

static void send_refresh(struct ponte_sip_call *call)
{
	call->is_refresh_due = false;
	log_info(MOD,
		 "call=%s session refresh: re-INVITE with our SDP as it was (the phone takes "
		 "no UPDATE, RFC 4028 §7.4)",
		 call->call_id);
	call->is_refreshing = true;
	call->has_glared = false;
	call->reinvite_sdp = g_strdup(call->our_sdp);
	send_reinvite(call);
}

static gboolean on_refresh_timer(gpointer data)
{
	struct ponte_sip_call *call = data;

	call->refresh_timer = 0;
	if (!is_refresh_ours(call))
		return G_SOURCE_REMOVE;
	if (call->is_reinviting || call->is_reoffer_acking || !is_established(call) ||
	    call->our_sdp == NULL) {
		/* That exchange's 2xx refreshes the session; if it fails, ours follows it. */
		log_info(MOD, "call=%s session refresh due while another offer/answer is out",
			 call->call_id);
		call->is_refresh_due = true;
		return G_SOURCE_REMOVE;
	}
	send_refresh(call);
	return G_SOURCE_REMOVE;
}

void sip_dialog_session_refreshed(struct ponte_sip_call *call)
{
	if (call->refresh_timer != 0)
		g_source_remove(call->refresh_timer);
	call->refresh_timer = 0;
	call->is_refresh_due = false;
	if (is_refresh_ours(call))
		call->refresh_timer =
		    g_timeout_add(refresh_delay_ms(call->session_interval), on_refresh_timer, call);
}

/* The o= line of an SDP (RFC 4566 §5.2) and its length; NULL when there is none. */
static const char *origin_line(const char *sdp, size_t *len)
{
	const char *p = sdp;

	while (p != NULL && *p != '\0') {
		if (p[0] == 'o' && p[1] == '=') {
			*len = strcspn(p, "\r\n");
			return p;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

/* RFC 3264 §8: an SDP whose o= line (version included) is the previous one's is that SDP. */
static bool is_same_sdp(const char *before, const char *now)
{
	size_t la = 0, lb = 0;
	const char *a, *b;

	if (before == NULL)
		return false;
	if (strcmp(before, now) == 0)
		return true;
	a = origin_line(before, &la);
	b = origin_line(now, &lb);
	return a != NULL && b != NULL && la == lb && memcmp(a, b, la) == 0;
}

/*
 * The phone's answer to our refresh. The same SDP as its last: nothing changes, and the
 * owner, who asked for nothing, hears nothing (the media goes on untouched). A changed one is
 * the answer to an offer of the session as it stood, which is what the owner gets after an
 * offerless re-INVITE of the phone's: ops->reoffer_acked.
 */
static void refresh_answered(struct ponte_sip_call *call, const char *sdp)
{
	if (sdp == NULL) {
		/* RFC 3264 §5 wants an answer: the session stays as it was. */
		log_warn(MOD, "call=%s session refreshed, but the phone's 200 has no SDP answer",
			 call->call_id);
		return;
	}
	if (is_same_sdp(call->phone_sdp, sdp)) {
		log_info(MOD,
			 "call=%s session refreshed by re-INVITE: the phone's answer is "
			 "unchanged, media untouched",
			 call->call_id);
		return;
	}
	log_info(MOD,
		 "call=%s session refreshed by re-INVITE: the phone's answer changes the session",
		 call->call_id);
	sip_dialog_note_sdp(call, NULL, sdp);
	if (!call->is_ended && call->ops != NULL && call->ops->reoffer_acked != NULL)
		call->ops->reoffer_acked(call->ctx, sdp);
}

/*
 * After a re-INVITE of ours: the owner's, held back while our refresh was out, goes now; a
 * refresh that fell due during the owner's goes now unless that one's 2xx refreshed the
 * session. Nothing when the dialog is gone.
 */
static void after_reinvite(struct ponte_sip_call *call, bool is_dialog_gone)
{
	char *held = call->held_sdp;

	call->held_sdp = NULL;
	if (held != NULL && !is_dialog_gone && !call->is_ended && !call->is_reinviting) {
		log_info(MOD, "call=%s re-INVITE (held back during our session refresh)",
			 call->call_id);
		call->reinvite_sdp = held;
		call->has_glared = false;
		send_reinvite(call);
		return;
	}
	free_sdp(held);
	if (call->is_refresh_due && !is_dialog_gone && !call->is_reinviting &&
	    !call->is_reoffer_acking && is_refresh_ours(call))
		send_refresh(call);
}

static void reinvite_done(struct ponte_sip_call *call, int status, const char *phrase,
			  const char *sdp)
{
	bool was_refresh = call->is_refreshing;

	call->is_reinviting = false;
	call->is_refreshing = false;
	if (status == 200 && !was_refresh)
		sip_dialog_note_sdp(call, call->reinvite_sdp, sdp);
	free_sdp(call->reinvite_sdp);
	call->reinvite_sdp = NULL;
	if (was_refresh) {
		if (status == 200)
			refresh_answered(call, sdp);
		else
			log_info(MOD, "call=%s session refresh refused: %d %s", call->call_id,
				 status, phrase);
	} else if (!call->is_ended && call->ops->reinvite_done != NULL) {
		call->ops->reinvite_done(call->ctx, status, phrase, sdp);
	}
	after_reinvite(call, status == 481 || status == 408);
}

static void on_reinvite_response(struct ponte_sip_call *call, int status, const char *phrase,
				 sip_t const *msg)
{
	g_autofree char *sdp = NULL;

	if (status < 200)
		return;
	if ((status == 401 || status == 407) && sip_call_answer_challenge(call, msg))
		return;
	if (status < 300) {
		sdp = sip_body_sdp(msg);
		sip_dialog_note_timer(call, msg);
		sip_dialog_session_refreshed(call);
		log_info(MOD, "call=%s re-INVITE answered: %d %s%s", call->call_id, status, phrase,
			 sdp != NULL ? " with SDP" : "");
		reinvite_done(call, 200, phrase, sdp);
		return;
	}
	if (status == 491 && !call->has_glared) {
		/* Glare: both sides re-INVITEd at once. Retry once, after the wait of §14.1. */
		guint wait = call->is_incoming ? GLARE_MIN_MS_OTHER : GLARE_MIN_MS_OWNER;

		call->has_glared = true;
		wait += g_random_int_range(0, GLARE_SPAN_MS);
		log_info(MOD, "call=%s re-INVITE met another: 491, again in %u ms", call->call_id,
			 wait);
		call->glare_timer = g_timeout_add(wait, on_glare_retry, call);
		return;
	}
	log_info(MOD, "call=%s re-INVITE refused: %d %s", call->call_id, status, phrase);
	reinvite_done(call, status >= 700 ? 503 : status, phrase, NULL);
	/* The dialog is gone (RFC 3261 §14.1: 481 or 408 end the call). */
	if (status == 481 || status == 408) {
		sip_call_end(call, status, phrase);
		sip_call_hangup_internal(call);
	}
}

int ponte_sip_call_reinvite(struct ponte_sip_call *call, const char *sdp)
{
	if (call == NULL || call->is_ended || sdp == NULL)
		return -EINVAL;
	if (!is_established(call))
		return -EINVAL; /* not established yet */
	if (call->is_refreshing && call->held_sdp == NULL) {
		/* Our session refresh is out (the owner did not ask for it): this follows its
		 * answer, as a re-INVITE must wait for the one in progress (RFC 3261 §14.1). */
		log_info(MOD, "call=%s re-INVITE held back until our session refresh is answered",
			 call->call_id);
		call->held_sdp = g_strdup(sdp);
		return 0;
	}
	if (call->is_reinviting || call->is_reoffer_acking)
		return -EBUSY;
	call->reinvite_sdp = g_strdup(sdp);
	call->has_glared = false;
	log_info(MOD, "call=%s re-INVITE", call->call_id);
	send_reinvite(call);
	return 0;
}

/* ---- the peer's REFER (RFC 3515): a blind transfer ---- */

/* Tell the referrer how its REFER ended when no call of ours will (RFC 3515 §2.4.5). */
static void refer_fail(nua_handle_t *nh, sip_event_t const *event, int status)
{
	g_autofree char *frag = g_strdup_printf("SIP/2.0 %d %s\r\n", status,
						 sip_status_phrase(status) ? sip_status_phrase(status)
									   : "");

	nua_notify(nh, NUTAG_SUBSTATE(nua_substate_terminated),
		   SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"), SIPTAG_PAYLOAD_STR(frag),
		   TAG_IF(event != NULL, SIPTAG_EVENT(event)), TAG_END());
}

static void on_refer(struct ponte_sip_call *call, int status, nua_handle_t *nh, sip_t const *msg,
		     tagi_t const *tags)
{
	sip_event_t const *event = NULL;
	sip_referred_by_t const *by = NULL;
	su_home_t home[1] = {SU_HOME_INIT(home)};
	const char *target = NULL;
	const char *referrer = "";

	/* nua answered it already: 202, or an error (then there is nothing to follow). */
	if (status >= 300 || msg == NULL || msg->sip_refer_to == NULL)
		return;
	tl_gets(tags, NUTAG_REFER_EVENT_REF(event), SIPTAG_REFERRED_BY_REF(by), TAG_END());
	target = url_as_string(home, msg->sip_refer_to->r_url);
	if (by != NULL)
		referrer = url_as_string(home, by->b_url);
	log_info(MOD, "call=%s REFER to %s by %s", call->call_id, sip_str(target),
		 sip_str(referrer));
	if (call->is_ended || call->ops == NULL || call->ops->refer == NULL ||
	    call->refer_event != NULL) {
		refer_fail(nh, event, 603);
	} else if (target == NULL || !sip_is_valid_target(target)) {
		/* Not a plain SIP URI: e.g. with ?Replaces= (an attended transfer, RFC 3891). */
		log_info(MOD, "call=%s REFER target not followed: %s", call->call_id,
			 sip_str(target));
		refer_fail(nh, event, 501);
	} else {
		call->refer_event = event != NULL ? sip_event_dup(nua_handle_home(nh), event) : NULL;
		call->is_referred = true;
		call->ops->refer(call->ctx, target, sip_str(referrer));
	}
	su_home_deinit(home);
}

int ponte_sip_call_transfer(struct ponte_sip_call *referred, const char *target,
			    const char *from_user, const char *sdp,
			    const struct ponte_sip_call_ops *ops, void *ctx,
			    struct ponte_sip_call **out)
{
	int rc;

	*out = NULL;
	if (referred == NULL || !referred->is_referred)
		return -EINVAL;
	referred->is_referred = false;
	{
		/* nua reports the new call's progress to the referrer in NOTIFYs on the old
		 * dialog. */
		tagi_t const tags[] = {
			{NUTAG_NOTIFY_REFER(referred->nh)},
			{TAG_IF(referred->refer_event != NULL,
				NUTAG_REFER_EVENT(referred->refer_event))},
			{TAG_END()},
		};

		rc = sip_call_place(referred->sip, target, from_user, sdp, ops, ctx, out, tags);
	}
	if (rc != 0)
		refer_fail(referred->nh, referred->refer_event, 400);
	return rc;
}

void ponte_sip_call_refer_refuse(struct ponte_sip_call *referred, int status)
{
	if (referred == NULL || !referred->is_referred)
		return;
	referred->is_referred = false;
	refer_fail(referred->nh, referred->refer_event, status);
}

void ponte_sip_call_detach(struct ponte_sip_call *call)
{
	if (call == NULL || call->is_ended)
		return;
	log_info(MOD, "call=%s detached: its peer ends it", call->call_id);
	/* No callback from now on; the reap timer destroys the handle, which ends the dialog
	 * with a BYE if the peer has not sent one by then. */
	sip_call_silence(call);
}

void sip_dialog_free(struct ponte_sip_call *call)
{
	if (call->glare_timer != 0)
		g_source_remove(call->glare_timer);
	call->glare_timer = 0;
	free_sdp(call->reinvite_sdp);
	call->reinvite_sdp = NULL;
	if (call->refresh_timer != 0)
		g_source_remove(call->refresh_timer);
	call->refresh_timer = 0;
	free_sdp(call->held_sdp);
	free_sdp(call->our_sdp);
	free_sdp(call->phone_sdp);
	call->held_sdp = call->our_sdp = call->phone_sdp = NULL;
	sip_info_free(call);
	sip_message_call_free(call);
}

bool sip_dialog_event(struct ponte_sip_call *call, nua_event_t event, int status,
		      const char *phrase, nua_handle_t *nh, sip_t const *msg, tagi_t const *tags)
{
	switch (event) {
	case nua_i_invite:
		/* A new INVITE on a handle of ours is always inside the dialog. */
		on_reoffer(call, nh, msg);
		return true;
	case nua_i_ack:
		if (call->is_reoffer_acking) {
			on_ack(call, msg);
			return true;
		}
		/* The ACK of the first 200 is the owner's (sip_incoming.c); later ones close
		 * re-INVITEs that needed nothing more. */
		return !call->is_incoming || call->is_acked;
	case nua_i_refer:
		on_refer(call, status, nh, msg, tags);
		return true;
	case nua_i_info: /* DTMF, most likely (sip_info.c answers it) */
		sip_info_in_call(call, nh, msg);
		return true;
	case nua_r_info:
		return sip_info_response(call, status, phrase, msg);
	case nua_r_message: /* the answer to our MESSAGE in the call (sip_message.c) */
	case nua_r_authenticate:
		return sip_message_response(call, event, status, phrase, nh, msg);
	case nua_r_update: /* nua refreshing the session (we are the refresher, RFC 4028) */
		log_info(MOD, "call=%s session refresh (UPDATE): %d %s", call->call_id, status,
			 phrase);
		if (status >= 200 && status < 300) {
			sip_dialog_note_timer(call, msg);
			sip_dialog_session_refreshed(call);
		}
		return true;
	case nua_r_bye:
		on_own_bye(call, status);
		return true;
	case nua_r_invite:
		if (!call->is_reinviting)
			return false;
		on_reinvite_response(call, status, phrase, msg);
		return true;
	default:
		return false;
	}
}
