/* SPDX-License-Identifier: MIT */
/*
 * Calls that phones make to the gateway: an INVITE from outside our dialogs is checked (the
 * trunks' allowed sources), handed to the server (the gateway, which rings browsers), and
 * then answered (180, 200 with SDP) or refused from there. The call object is the same as an
 * outgoing call's (struct ponte_sip_call): hangup, Call-ID and the end of the call work alike.
 *
 * A call to the Contact an account registered (sip_reg.c) goes to the account's incoming
 * target instead of the Request-URI's user, and is admitted from the account's registrar or
 * outbound proxy even when trunks restrict the sources.
 */
#include "sip_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/sip_util.h>

#include "log.h"
#include "sip_reg.h"
#include "sip_tls.h"

#define MOD "sip"

/* RFC 3261 §20.43: warn-code 399 is "miscellaneous warning", the agent a pseudonym. */
#define WARNING_FMT "399 ponte \"%s\""

static char *body_of(sip_t const *msg)
{
	if (msg == NULL || msg->sip_payload == NULL || msg->sip_payload->pl_len == 0)
		return NULL;
	if (msg->sip_content_type != NULL && msg->sip_content_type->c_type != NULL &&
	    g_ascii_strcasecmp(msg->sip_content_type->c_type, "application/sdp") != 0)
		return NULL;
	return g_strndup(msg->sip_payload->pl_data, msg->sip_payload->pl_len);
}

/* A display name as written ("Desk Phone", quoted or not) without its quotes and escapes. */
char *sip_unquote(const char *s)
{
	size_t n = strlen(s);
	GString *out;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return g_strdup(s);
	out = g_string_sized_new(n);
	for (size_t i = 1; i + 1 < n; i++) {
		if (s[i] == '\\' && i + 2 < n)
			i++;
		g_string_append_c(out, s[i]);
	}
	return g_string_free(out, FALSE);
}

static void respond(nua_handle_t *nh, int status, const char *warning)
{
	g_autofree char *w = warning != NULL ? g_strdup_printf(WARNING_FMT, warning) : NULL;

	nua_respond(nh, status, sip_status_phrase(status) ? sip_status_phrase(status) : "",
		    TAG_IF(w != NULL, SIPTAG_WARNING_STR(w)), TAG_END());
}

/* The IP literal the request came from ("" when nua does not say). */
void sip_source_of(struct ponte_sip *sip, char *buf, size_t size)
{
	msg_t *req = nua_current_request(sip->nua);
	su_addrinfo_t *ai = req != NULL ? msg_addrinfo(req) : NULL;

	buf[0] = '\0';
	if (ai == NULL || ai->ai_addr == NULL)
		return;
	if (ai->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, buf,
			  (socklen_t)size);
	else if (ai->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, buf,
			  (socklen_t)size);
}

/* "sip:203.0.113.5:5060" -> "203.0.113.5" (an IPv6 literal without brackets). */
static char *uri_ip(const char *uri)
{
	url_t url[1];
	g_autofree char *copy = g_strdup(uri);
	const char *h;

	if (url_d(url, copy) < 0 || url->url_host == NULL)
		return NULL;
	h = url->url_host;
	if (h[0] == '[')
		return g_strndup(h + 1, strlen(h) - 2);
	return g_strdup(h);
}

static bool same_ip(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	int fa = strchr(a, ':') ? AF_INET6 : AF_INET;
	int fb = strchr(b, ':') ? AF_INET6 : AF_INET;

	return fa == fb && inet_pton(fa, a, x) == 1 && inet_pton(fb, b, y) == 1 &&
	       memcmp(x, y, fa == AF_INET ? 4 : 16) == 0;
}

/*
 * With trunks configured, requests come only from their addresses (their allow lists, else the
 * host of their address) or from an account's registrar given as an IP literal: *trunk names
 * the trunk. Without trunks every source is accepted. sip_admit() adds the accounts' own peers.
 */
static bool source_allowed(const struct ponte_config *cfg, const char *ip, const char **trunk)
{
	*trunk = NULL;
	if (cfg->sip.nb_trunks == 0)
		return true;
	for (size_t i = 0; i < cfg->sip.nb_trunks; i++) {
		const struct ponte_sip_trunk *t = &cfg->sip.trunks[i];

		if (t->allow != NULL && t->allow[0] != NULL) {
			for (char **a = t->allow; *a != NULL; a++)
				if (same_ip(*a, ip)) {
					*trunk = t->name;
					return true;
				}
		} else {
			g_autofree char *host = uri_ip(t->address);

			if (host != NULL && same_ip(host, ip)) {
				*trunk = t->name;
				return true;
			}
		}
	}
	for (size_t i = 0; i < cfg->sip.nb_accounts; i++) {
		g_autofree char *host = uri_ip(cfg->sip.accounts[i].registrar);

		if (host != NULL && same_ip(host, ip))
			return true;
	}
	return false;
}

bool sip_admit(struct ponte_sip *sip, const char *user, const char *ip, const char **trunk,
	       const struct ponte_sip_account **acct)
{
	bool is_from_account = false;
	bool is_allowed = source_allowed(sip->cfg, ip, trunk);

	*acct = sip_reg_account_for(sip, user, ip, &is_from_account);
	/* An account's registrar or outbound proxy brings that account's requests, trunks or
	 * not: the registrar retargets them to the Contact we registered (RFC 3261 §10.2). */
	return is_allowed || is_from_account;
}

/* Whether user can be written as a URI user part as it is (RFC 3261 §25.1: unreserved,
 * user-unreserved and escapes). */
static bool is_plain_user(const char *user)
{
	if (user == NULL || user[0] == '\0')
		return false;
	for (const char *p = user; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && strchr("-_.!~*'()&=+$,;?/%", *p) == NULL)
			return false;
	return true;
}

/*
 * The user part of our Contact in the responses to an incoming call (RFC 3261 §12.1.1: where
 * the caller sends the requests of the dialog, and calls back): the account's Contact user for
 * a call through an account, else the user that was called (a browser's name, room-KEY),
 * else "ponte". Without it nua writes the Contact of whichever account registered last.
 */
static char *contact_user_for(const struct ponte_sip_account *acct, const char *called)
{
	char *user = acct != NULL ? sip_reg_contact_user(acct) : NULL;

	if (user != NULL)
		return user;
	return g_strdup(is_plain_user(called) ? called : "ponte");
}

static void incoming_on_event(struct sip_owner *owner, nua_event_t event, int status,
			      const char *phrase, nua_handle_t *nh, sip_t const *msg,
			      tagi_t const *tags)
{
	struct ponte_sip_call *call = (struct ponte_sip_call *)owner;
	struct ponte_sip *sip = call->sip;
	int state = -1;

	if (sip_dialog_event(call, event, status, phrase, nh, msg, tags))
		return;
	switch (event) {
	case nua_i_cancel: /* nua answered 200 to the CANCEL and 487 to the INVITE */
		log_info(MOD, "call=%s cancelled by the caller", call->call_id);
		if (call->ops == NULL) {
			bool was_ended = call->is_ended;

			sip_call_silence(call);
			if (!was_ended && !sip->is_closing && sip->server != NULL &&
			    sip->server->cancelled != NULL)
				sip->server->cancelled(sip->server_ctx, call);
		} else {
			sip_call_end(call, 487, "cancelled");
		}
		break;
	case nua_i_ack: {
		g_autofree char *sdp = body_of(msg);

		call->is_acked = true;
		sip_dialog_note_sdp(call, NULL, sdp); /* after an offerless INVITE: the answer */
		if (!call->is_ended && call->ops != NULL && call->ops->answered != NULL)
			call->ops->answered(call->ctx, sdp);
		break;
	}
	case nua_i_bye:
		sip_call_end(call, 0, "bye");
		break;
	case nua_i_message: /* an instant message in the call (sip_message.c answers it) */
		sip_message_in_call(call, nh, msg);
		break;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
		if (state != nua_callstate_terminated)
			break;
		if (call->ops == NULL && !call->is_ended) {
			/* Gone before it was accepted (no ACK, a transport error). */
			sip_call_silence(call);
			if (!sip->is_closing && sip->server != NULL && sip->server->cancelled != NULL)
				sip->server->cancelled(sip->server_ctx, call);
		} else {
			sip_call_end(call, status >= 300 ? status : 503,
				     phrase != NULL && phrase[0] ? phrase : "terminated");
		}
		sip_call_release(call);
		break;
	default:
		log_debug(MOD, "call=%s %s %d %s", call->call_id, nua_event_name(event), status,
			  sip_str(phrase));
		break;
	}
}

void sip_incoming_invite(struct ponte_sip *sip, nua_handle_t *nh, sip_t const *msg)
{
	const struct ponte_config *cfg = sip->cfg;
	char ip[INET6_ADDRSTRLEN];
	g_autofree char *sdp = body_of(msg);
	g_autofree char *from = NULL;
	g_autofree char *display = NULL;
	struct ponte_sip_incoming in = {0};
	struct ponte_sip_call *call;
	const struct ponte_sip_account *acct;
	g_autofree char *m_user = NULL;
	const char *warning = NULL;
	const char *called;
	int rc;

	sip_source_of(sip, ip, sizeof(ip));
	in.source_ip = ip;
	in.call_id = msg != NULL && msg->sip_call_id != NULL ? msg->sip_call_id->i_id : "";
	if (msg == NULL || msg->sip_request == NULL || msg->sip_from == NULL) {
		/* The handle goes when nua reports the transaction over (sip.c). */
		respond(nh, 400, "malformed INVITE");
		return;
	}
	called = sip_str(msg->sip_request->rq_url->url_user);
	if (!sip_admit(sip, called, ip, &in.trunk, &acct)) {
		log_info(MOD, "incoming INVITE call=%s from %s refused with 403: not a trunk",
			 in.call_id, ip);
		respond(nh, 403, "source address not allowed");
		return;
	}
	from = url_as_string(NULL, msg->sip_from->a_url);
	in.from_uri = from != NULL ? from : "";
	display = sip_unquote(sip_str(msg->sip_from->a_display));
	in.from_display = display;
	in.to_user = acct != NULL ? sip_reg_incoming_target(acct) : called;
	in.account = acct != NULL ? acct->name : NULL;
	in.sdp = sdp;
	m_user = contact_user_for(acct, called);

	call = g_new0(struct ponte_sip_call, 1);
	call->owner.on_event = incoming_on_event;
	call->sip = sip;
	call->nh = nh;
	call->call_id = g_strdup(in.call_id);
	call->is_incoming = true;
	call->is_offerless = sdp == NULL;
	sip_dialog_note_sdp(call, NULL, sdp);
	/* RFC 4028 §9: who refreshes, and a Require: timer in our 200 when the phone supports
	 * timers and asks us to (nua adds it only when the phone refreshes). */
	sip_dialog_note_timer(call, msg);
	call->wants_timer_require =
	    cfg->sip.session_timers && msg->sip_session_expires != NULL &&
	    sip_has_feature(msg->sip_supported, "timer") &&
	    msg->sip_session_expires->x_refresher != NULL &&
	    g_ascii_strcasecmp(msg->sip_session_expires->x_refresher, "uas") == 0;
	/* Came over TLS: our 18x and 2xx say where to reach us over TLS (sip_tls.c). */
	call->contact = sip_tls_contact_for_request(sip->tls, msg);
	nua_handle_bind(nh, &call->owner);
	/* Before any response of ours: nua builds the Contact of each from the handle's. */
	nua_set_hparams(nh, NUTAG_M_USERNAME(m_user), TAG_END());
	sip->calls = g_list_prepend(sip->calls, call);
	log_info(MOD, "call=%s incoming INVITE to %s from %s (%s)%s%s%s%s%s%s%s", call->call_id,
		 called, in.from_uri, ip, sdp == NULL ? " offerless" : "",
		 in.trunk ? " trunk " : "", in.trunk ? in.trunk : "", in.account ? " account " : "",
		 in.account ? in.account : "", in.account ? " for " : "",
		 in.account ? in.to_user : "");
	rc = sip->server != NULL ? sip->server->invite(sip->server_ctx, &in, call, &warning) : 480;
	if (rc == 0)
		return;
	if (sip->server == NULL)
		warning = "incoming calls are not taken";
	log_info(MOD, "call=%s refused with %d%s%s", call->call_id, rc, warning ? ": " : "",
		 warning ? warning : "");
	respond(nh, rc >= 300 && rc < 700 ? rc : 500, warning);
	/* The handle goes when nua reports the transaction terminated (nua_i_state). */
	sip_call_silence(call);
}

void ponte_sip_set_server(struct ponte_sip *sip, const struct ponte_sip_server_ops *ops,
			  void *ctx)
{
	sip->server = ops;
	sip->server_ctx = ctx;
}

void ponte_sip_call_accept(struct ponte_sip_call *call, const struct ponte_sip_call_ops *ops,
			   void *ctx)
{
	call->ops = ops;
	call->ctx = ctx;
}

int ponte_sip_call_ringing(struct ponte_sip_call *call)
{
	if (!call->is_incoming || call->is_ended || call->is_answered_by_us)
		return -EINVAL;
	nua_respond(call->nh, SIP_180_RINGING,
		    TAG_IF(call->contact != NULL, SIPTAG_CONTACT_STR(call->contact)), TAG_END());
	return 0;
}

int ponte_sip_call_answer(struct ponte_sip_call *call, const char *sdp)
{
	if (!call->is_incoming || call->is_ended || call->is_answered_by_us || sdp == NULL)
		return -EINVAL;
	call->is_answered_by_us = true;
	call->is_answered = true; /* from now on a hangup is a BYE */
	nua_respond(call->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp),
		    TAG_IF(call->wants_timer_require, SIPTAG_REQUIRE_STR("timer")),
		    TAG_IF(call->contact != NULL, SIPTAG_CONTACT_STR(call->contact)), TAG_END());
	log_info(MOD, "call=%s answered", call->call_id);
	/* Our SDP, for the refreshes we may send (sip_dialog.c); nua's timer starts now. */
	sip_dialog_note_sdp(call, sdp, NULL);
	sip_dialog_session_refreshed(call);
	return 0;
}

int ponte_sip_call_reject(struct ponte_sip_call *call, int status, const char *warning)
{
	if (!call->is_incoming || call->is_ended || call->is_answered_by_us || status < 300 ||
	    status > 699)
		return -EINVAL;
	log_info(MOD, "call=%s refused with %d%s%s", call->call_id, status, warning ? ": " : "",
		 warning ? warning : "");
	respond(call->nh, status, warning);
	sip_call_silence(call);
	return 0;
}
