/* SPDX-License-Identifier: MIT */
/*
 * MESSAGE (RFC 3428): instant messages in pager mode, both ways.
 *
 * Incoming. nua hands a MESSAGE to us (NUTAG_APPL_METHOD("MESSAGE"): without it nua answers
 * 200 by itself) as nua_i_message, on a handle of its own outside any dialog (sip.c's
 * on_foreign_event) or on a call's handle inside one (call_on_event, incoming_on_event). We
 * answer it in the same callback, so NUTAG_WITH_THIS() names the request; a non-INVITE request
 * cannot be answered without it. Checks, in order: the source (outside a dialog only:
 * sip_incoming.c's sip_admit(), the rule INVITE follows, else 403), the content type
 * (text/plain only, else 415 with Accept, RFC 3261 §21.4.13; a content coding other than
 * identity likewise, with Accept-Encoding), the size (413 above PONTE_SIP_MESSAGE_MAX_IN), the
 * charset (UTF-8 or US-ASCII as they are, others converted to UTF-8 if GLib knows them, else
 * 415), and the text itself (400 when empty or not valid UTF-8). What passes goes to the owner
 * of the call or to the server, with the account it is for (sip_admit found it), whose status
 * is the answer.
 *
 * Outgoing. One nua handle per message, with a struct ponte_sip_msg as its magic (like a call)
 * allocated from the handle's own memory home: whatever becomes of the request, the message
 * goes with its handle, even when the stack is destroyed before the answer comes (nua_destroy()
 * frees the handles left). nua_message() with text/plain;charset=UTF-8, a 401/407 from a
 * trunk's or an account's host answered with its credentials (sip.c's sip_answer_challenge, as
 * for calls), then the final response goes to the callback and the handle (and with it the
 * message) is destroyed.
 * Retransmissions and the transaction timeout (RFC 3261 §17.1.2, 408 after 64*T1) are nta's.
 *
 * Through an account (the target is at its registrar: a number sip.number_route sends there, or
 * a URI typed at that host), From is the account's address of record with the browser's name
 * as display name (sip.c's sip_from_header, as for calls), and with its outbound_proxy the
 * request goes to the proxy, its Request-URI staying the target (RFC 3261 §8.1.2).
 *
 * Outgoing in a call (RFC 3428 §4). nua_message() on the call's own handle sends the MESSAGE
 * in its dialog, and the call's messages wait in its queue (call->messages). The answers come
 * to the call's event dispatch (sip_dialog.c's sip_dialog_event, for calls either side
 * placed), which hands nua_r_message here (sip_message_response). nua sends a handle's
 * non-INVITE requests one at a time, in the order asked (nua_client_request_queue), so answers
 * come in the order of the queue. These messages are g_malloc'd, not in the handle's home: the
 * call (and its handle) may be released while a requester still holds one.
 */
#include "sip_message.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "sip_internal.h"

#include <sofia-sip/sip_util.h>
#include <sofia-sip/su_alloc.h>

#include "log.h"
#include "sip_reg.h"

#define MOD "sip"

/* What we take and send (RFC 3428 §9: text/plain must be supported). */
#define ACCEPT "text/plain"
#define CONTENT_TYPE_OUT "text/plain;charset=UTF-8"

/*
 * Outside a dialog: in the memory home of its handle, like its strings, it lives and dies with
 * the handle. In a call (is_in_call): g_malloc'd, freed once neither the call's queue nor the
 * requester holds it.
 */
struct ponte_sip_msg {
	struct sip_owner owner; /* first: nua's handle magic (outside a dialog) */
	struct ponte_sip *sip;
	nua_handle_t *nh;
	ponte_sip_message_cb cb; /* NULL once forgotten */
	void *ctx;
	char id[12]; /* "m-" + random, for logs: the text is never logged */
	char *to; /* outside a dialog: the target; in a call: the Call-ID (g_malloc'd) */
	char *auth_user, *auth_pass; /* the trunk's or account's, or NULL (outside a dialog) */
	int nb_auth;
	bool is_in_call;
	bool is_queued; /* in a call: waiting in its queue for the answer */
	bool is_held; /* in a call: its requester may still forget it */
	/* In a call: a challenge we could not answer, reported once nua let the request go. */
	int refused_status;
	char *refused_reason;
};

static void new_id(char id[12])
{
	static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

	id[0] = 'm';
	id[1] = '-';
	for (size_t i = 2; i < 11; i++)
		id[i] = alphabet[g_random_int_range(0, sizeof(alphabet) - 1)];
	id[11] = '\0';
}

/* ---- the text ---- */

int ponte_sip_message_check_text(const char *text, size_t len, size_t max, const char **why)
{
	const char *end;
	const char *unused;

	if (why == NULL)
		why = &unused;
	if (text == NULL || len == 0) {
		*why = "the text is empty";
		return -ENODATA;
	}
	if (len > max) {
		*why = "the text is too long";
		return -EMSGSIZE;
	}
	/* g_utf8_validate_len() also refuses NUL bytes. */
	if (!g_utf8_validate_len(text, len, &end)) {
		*why = "the text is not valid UTF-8";
		return -EILSEQ;
	}
	for (const char *p = text; p < text + len; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7f && c < 0xa0)) {
			*why = "the text has control characters";
			return -EILSEQ;
		}
	}
	return 0;
}

/* ---- incoming ---- */

/*
 * Answer the request being delivered (non-INVITE requests need NUTAG_WITH) with the standard
 * phrase, a Warning when warning is set (RFC 3261 §20.43), and Accept or Accept-Encoding for
 * a 415.
 */
static void respond(struct ponte_sip *sip, nua_handle_t *nh, int status, const char *warning,
		    const char *accept, const char *accept_encoding)
{
	g_autofree char *w = warning != NULL ? g_strdup_printf("399 ponte \"%s\"", warning) : NULL;
	const char *phrase = sip_status_phrase(status);

	nua_respond(nh, status, phrase != NULL ? phrase : "", NUTAG_WITH_THIS(sip_nua(sip)),
		    TAG_IF(w != NULL, SIPTAG_WARNING_STR(w)),
		    TAG_IF(accept != NULL, SIPTAG_ACCEPT_STR(accept)),
		    TAG_IF(accept_encoding != NULL, SIPTAG_ACCEPT_ENCODING_STR(accept_encoding)),
		    TAG_END());
}

/* The charset parameter of a Content-Type, unquoted (g_free it), or NULL when there is none. */
static char *charset_of(sip_content_type_t const *ct)
{
	const char *v = ct != NULL ? msg_params_find(ct->c_params, "charset=") : NULL;
	size_t n;

	if (v == NULL)
		return NULL;
	n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
		return g_strndup(v + 1, n - 2);
	return g_strdup(v);
}

/*
 * The body of a MESSAGE as UTF-8 text (g_free it) in *text, or the status to refuse it with
 * (and *warning, *accept...). 0 when it is acceptable.
 */
static int read_text(sip_t const *msg, char **text, size_t *len, const char **warning,
		     const char **accept, const char **accept_encoding)
{
	sip_content_type_t const *ct = msg->sip_content_type;
	sip_content_encoding_t const *ce = msg->sip_content_encoding;
	size_t n = msg->sip_payload != NULL ? msg->sip_payload->pl_len : 0;
	g_autofree char *charset = NULL;
	char *out;
	gsize out_len = 0;

	*text = NULL;
	if (n == 0) {
		*warning = "empty message";
		return 400;
	}
	if (ct == NULL || ct->c_type == NULL || g_ascii_strcasecmp(ct->c_type, "text/plain") != 0) {
		*warning = "only text/plain messages are taken";
		*accept = ACCEPT;
		return 415;
	}
	/* RFC 3261 §20.12: a coding we do not know is refused with Accept-Encoding. */
	for (; ce != NULL; ce = ce->k_next)
		for (msg_param_t const *k = ce->k_items; k != NULL && *k != NULL; k++)
			if (g_ascii_strcasecmp(*k, "identity") != 0) {
				*warning = "no content coding is taken";
				*accept_encoding = "identity";
				return 415;
			}
	if (n > PONTE_SIP_MESSAGE_MAX_IN) {
		*warning = "message too long";
		return 413;
	}
	charset = charset_of(ct);
	if (charset == NULL || g_ascii_strcasecmp(charset, "UTF-8") == 0 ||
	    g_ascii_strcasecmp(charset, "US-ASCII") == 0) {
		out = g_strndup(msg->sip_payload->pl_data, n);
		out_len = n;
	} else {
		out = g_convert(msg->sip_payload->pl_data, (gssize)n, "UTF-8", charset, NULL,
				&out_len, NULL);
		if (out == NULL) {
			*warning = "unknown charset: send UTF-8";
			*accept = ACCEPT ";charset=UTF-8";
			return 415;
		}
	}
	if (!g_utf8_validate_len(out, out_len, NULL)) {
		g_free(out);
		*warning = "the text is not valid UTF-8";
		return 400;
	}
	*text = out;
	*len = out_len;
	return 0;
}

/* A status a callback returned, made a valid final one. */
static int final_of(int status)
{
	return status >= 200 && status <= 699 ? status : 500;
}

/* What both kinds of incoming MESSAGE share once admitted: read, hand over, answer. */
static void take(struct ponte_sip *sip, struct ponte_sip_call *call, nua_handle_t *nh,
		 sip_t const *msg, const char *to_user, const char *ip, const char *trunk,
		 const struct ponte_sip_account *acct)
{
	g_autofree char *text = NULL;
	g_autofree char *from = NULL;
	g_autofree char *display = NULL;
	struct ponte_sip_message_in in = {0};
	const char *warning = NULL, *accept = NULL, *accept_encoding = NULL;
	const char *where = call != NULL ? call->call_id : "";
	int status;

	status = read_text(msg, &text, &in.len, &warning, &accept, &accept_encoding);
	from = url_as_string(NULL, msg->sip_from->a_url);
	if (status != 0) {
		log_info(MOD, "MESSAGE%s%s from %s (%s) to %s refused with %d: %s",
			 call != NULL ? " in call=" : "", where, from != NULL ? from : "", ip,
			 to_user, status, warning);
		respond(sip, nh, status, warning, accept, accept_encoding);
		return;
	}
	display = sip_unquote(sip_str(msg->sip_from->a_display));
	in.from_uri = from != NULL ? from : "";
	in.from_display = display;
	in.to_user = to_user;
	in.content_type = ACCEPT;
	in.text = text;
	in.source_ip = ip;
	in.trunk = trunk;
	in.account = acct;
	in.call = call;
	if (call != NULL && call->ops != NULL && call->ops->message != NULL && !call->is_ended)
		status = call->ops->message(call->ctx, &in, &warning);
	else if (sip->server != NULL && sip->server->message != NULL)
		status = sip->server->message(sip->server_ctx, &in, &warning);
	else {
		status = 480;
		warning = "messages are not taken";
	}
	status = final_of(status);
	log_info(MOD, "MESSAGE%s%s from %s (%s) to %s, %zu bytes: %d%s%s",
		 call != NULL ? " in call=" : "", where, in.from_uri, ip, to_user, in.len, status,
		 warning != NULL ? " " : "", warning != NULL ? warning : "");
	respond(sip, nh, status, status < 300 ? NULL : warning, NULL, NULL);
}

void sip_message_incoming(struct ponte_sip *sip, nua_handle_t *nh, sip_t const *msg)
{
	char ip[INET6_ADDRSTRLEN];
	const char *trunk = NULL;
	const struct ponte_sip_account *acct = NULL;
	const char *user;

	sip_source_of(sip, ip, sizeof(ip));
	if (msg == NULL || msg->sip_request == NULL || msg->sip_from == NULL) {
		respond(sip, nh, 400, "malformed MESSAGE", NULL, NULL);
		return;
	}
	user = sip_str(msg->sip_request->rq_url->url_user);
	if (!sip_admit(sip, user, ip, &trunk, &acct)) {
		log_info(MOD, "MESSAGE from %s to %s refused with 403: not a trunk%s", ip, user,
			 acct != NULL ? " nor the account's registrar or proxy" : "");
		respond(sip, nh, 403, "source address not allowed", NULL, NULL);
		return;
	}
	take(sip, NULL, nh, msg, user, ip, trunk, acct);
}

void sip_message_in_call(struct ponte_sip_call *call, nua_handle_t *nh, sip_t const *msg)
{
	char ip[INET6_ADDRSTRLEN];
	const struct ponte_sip_account *acct;
	const char *user;
	bool is_from_account;

	sip_source_of(call->sip, ip, sizeof(ip));
	if (msg == NULL || msg->sip_from == NULL || msg->sip_to == NULL) {
		respond(call->sip, nh, 400, "malformed MESSAGE", NULL, NULL);
		return;
	}
	/* The Request-URI of a request in a dialog is our Contact, which names nobody: To is
	 * who the peer talks to (RFC 3261 §12.2.1.1), the account's user in a call for an
	 * account. The dialog admitted the source already. */
	user = sip_str(msg->sip_to->a_url->url_user);
	acct = sip_reg_account_for(call->sip, user, ip, &is_from_account);
	take(call->sip, call, nh, msg, user, ip, NULL, acct);
}

/* ---- outgoing ---- */

/* The end of a message: its memory goes with the handle. */
static void msg_free(struct ponte_sip_msg *m)
{
	if (m->auth_pass != NULL)
		explicit_bzero(m->auth_pass, strlen(m->auth_pass));
	nua_handle_destroy(m->nh);
}

static void msg_on_event(struct sip_owner *owner, nua_event_t event, int status, const char *phrase,
			 nua_handle_t *nh, sip_t const *msg, tagi_t const *tags)
{
	struct ponte_sip_msg *m = (struct ponte_sip_msg *)owner;
	const char *reason;

	(void)nh;
	(void)tags;
	if (event != nua_r_message) {
		log_debug(MOD, "message=%s %s %d %s", m->id, nua_event_name(event), status, phrase);
		return;
	}
	if (status < 200) /* 100 Trying, or nua retrying after a challenge */
		return;
	if ((status == 401 || status == 407) && !m->sip->is_closing &&
	    sip_answer_challenge(m->nh, "message", m->id, m->auth_user, m->auth_pass, &m->nb_auth,
				 msg))
		return;
	/* nua's own failures (9xx: no transport, no address) are the peer being unreachable. */
	if (status >= 700) {
		log_info(MOD, "message=%s failed in the stack: %d %s", m->id, status, phrase);
		status = 503;
		phrase = NULL;
	}
	reason = phrase != NULL && phrase[0] != '\0' ? phrase : sip_status_phrase(status);
	log_info(MOD, "message=%s to %s: %d %s", m->id, m->to, status, sip_str(reason));
	if (m->cb != NULL && !m->sip->is_closing)
		m->cb(m->ctx, status, sip_str(reason));
	msg_free(m);
}

int ponte_sip_message(struct ponte_sip *sip, const char *to, const char *from_user,
		      const char *text, ponte_sip_message_cb cb, void *ctx,
		      struct ponte_sip_msg **out)
{
	struct ponte_sip_msg *m;
	const struct ponte_sip_account *acct;
	g_autofree char *from = NULL, *to_hdr = NULL;
	char *auth_user = NULL, *auth_pass = NULL;
	const char *proxy;
	nua_handle_t *nh;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (to == NULL || !sip_is_valid_target(to))
		return -EINVAL;
	rc = ponte_sip_message_check_text(text, text != NULL ? strlen(text) : 0,
					  PONTE_SIP_MESSAGE_MAX_OUT, NULL);
	if (rc < 0)
		return rc == -ENODATA ? -EILSEQ : rc;
	/* Through an account: its address of record and outbound proxy, as for its calls. */
	acct = sip_account_for(sip, to);
	from = sip_from_header(sip, acct, from_user);
	proxy = acct != NULL && acct->outbound_proxy != NULL && acct->outbound_proxy[0] != '\0'
			? acct->outbound_proxy
			: NULL;
	/* Brackets keep URI parameters out of the header's parameters (RFC 3261 §20.10). */
	to_hdr = g_strdup_printf("<%s>", to);

	nh = nua_handle(sip_nua(sip), NULL, NUTAG_URL(to), SIPTAG_TO_STR(to_hdr),
			SIPTAG_FROM_STR(from), TAG_END());
	m = nh != NULL ? su_zalloc(nua_handle_home(nh), sizeof(*m)) : NULL;
	if (m == NULL) {
		if (nh != NULL)
			nua_handle_destroy(nh);
		return -ENOMEM;
	}
	m->owner.on_event = msg_on_event;
	m->sip = sip;
	m->nh = nh;
	m->cb = cb;
	m->ctx = ctx;
	m->to = su_strdup(nua_handle_home(nh), to);
	new_id(m->id);
	sip_creds_for(sip, to, &auth_user, &auth_pass);
	if (auth_user != NULL) {
		m->auth_user = su_strdup(nua_handle_home(nh), auth_user);
		m->auth_pass = su_strdup(nua_handle_home(nh), auth_pass);
		explicit_bzero(auth_pass, strlen(auth_pass));
	}
	g_free(auth_user);
	g_free(auth_pass);
	nua_handle_bind(nh, &m->owner);
	/* NUTAG_PROXY: to the outbound proxy, the Request-URI staying `to` (sip.c does the same
	 * for calls); nua keeps it on the handle for a retry with credentials. */
	nua_message(m->nh, TAG_IF(proxy != NULL, NUTAG_PROXY(proxy)),
		    SIPTAG_CONTENT_TYPE_STR(CONTENT_TYPE_OUT), SIPTAG_PAYLOAD_STR(text), TAG_END());
	log_info(MOD, "message=%s MESSAGE %s from %s%s%s%s%s, %zu bytes", m->id, to, from,
		 acct != NULL ? " account " : "", acct != NULL ? acct->name : "",
		 proxy != NULL ? " via " : "", proxy != NULL ? proxy : "", strlen(text));
	if (out != NULL)
		*out = m;
	return 0;
}

/* ---- outgoing, in a call's dialog ---- */

/* Free an in-call message once neither its call's queue nor its requester holds it. */
static void dialog_msg_release(struct ponte_sip_msg *m)
{
	if (m->is_queued || m->is_held)
		return;
	g_free(m->to);
	g_free(m->refused_reason);
	g_free(m);
}

/* The final status of m, the head of call's queue: to its requester, and m leaves the queue. */
static void dialog_msg_done(struct ponte_sip_call *call, struct ponte_sip_msg *m, int status,
			    const char *reason)
{
	ponte_sip_message_cb cb = m->cb;

	g_queue_pop_head(&call->messages);
	m->is_queued = false;
	log_info(MOD, "message=%s in call=%s: %d %s", m->id, m->to, status, reason);
	if (cb != NULL && !call->sip->is_closing) {
		/* The requester lets go of m with its callback. */
		m->cb = NULL;
		m->is_held = false;
		cb(m->ctx, status, reason);
	}
	dialog_msg_release(m);
}

/* Whether nua keeps a request that got this answer, waiting for nua_authenticate(): a 401 or
 * 407 with its challenge (nua_base_client_check_restart). */
static bool waits_for_credentials(int status, sip_t const *msg)
{
	return msg != NULL && ((status == 401 && msg->sip_www_authenticate != NULL) ||
			       (status == 407 && msg->sip_proxy_authenticate != NULL));
}

/* nua_r_message in a call's dialog: the answer to m, the MESSAGE at the head of the queue. */
static void dialog_msg_response(struct ponte_sip_call *call, struct ponte_sip_msg *m, int status,
				const char *phrase, nua_handle_t *nh, sip_t const *msg)
{
	const char *reason;

	if (status < 200)
		return;
	if (m->refused_status != 0) {
		/* nua's 904 for the credentials below: the challenge was the answer. */
		log_debug(MOD, "message=%s let go by the stack: %d %s", m->id, status, phrase);
		dialog_msg_done(call, m, m->refused_status, m->refused_reason);
		return;
	}
	if (waits_for_credentials(status, msg)) {
		if (!call->sip->is_closing &&
		    sip_answer_challenge(nh, "message", m->id, call->auth_user, call->auth_pass,
					 &m->nb_auth, msg))
			return;
		/*
		 * nua holds the challenged request until it gets credentials, and every later
		 * request of the call, our BYE included, waits behind it. Credentials for a realm
		 * nobody challenged make nua give up on it (904, "no matching challenge"); the
		 * challenge is what we report then.
		 */
		m->refused_status = status;
		m->refused_reason = g_strdup(phrase != NULL && phrase[0] != '\0'
						     ? phrase
						     : sip_str(sip_status_phrase(status)));
		nua_authenticate(nh, NUTAG_AUTH("Digest:\"ponte-no-credentials\":none:none"),
				 TAG_END());
		return;
	}
	/* nua's own failures (9xx: no transport, no address) are the peer being unreachable. */
	if (status >= 700) {
		log_info(MOD, "message=%s in call=%s failed in the stack: %d %s", m->id, m->to,
			 status, phrase);
		status = 503;
		phrase = NULL;
	}
	reason = phrase != NULL && phrase[0] != '\0' ? phrase : sip_status_phrase(status);
	dialog_msg_done(call, m, status, sip_str(reason));
	/*
	 * RFC 5057 §5.1: a 404, 410, 416, 482, 484, 485, 502 or 604 to a request in a dialog
	 * says the far end has lost it (its Contact, our Request-URI, leads nowhere), and nua
	 * drops the dialog with all its usages, without a BYE. The call is over: say why,
	 * rather than the "terminated" nua's state change would tell.
	 */
	if (sip_response_terminates_dialog(status, sip_method_message, NULL) < 0 &&
	    !call->is_ended) {
		g_autofree char *why = g_strdup_printf(
			"%s (the phone's answer to a message in the call: it has no such dialog)",
			sip_str(reason));

		log_info(MOD, "call=%s: %d to a MESSAGE ends the dialog (RFC 5057)", call->call_id,
			 status);
		sip_call_end(call, status, why);
	}
}

bool sip_message_response(struct ponte_sip_call *call, nua_event_t event, int status,
			  const char *phrase, nua_handle_t *nh, sip_t const *msg)
{
	struct ponte_sip_msg *m = g_queue_peek_head(&call->messages);

	if (m == NULL)
		return false;
	if (event == nua_r_message) {
		dialog_msg_response(call, m, status, phrase, nh, msg);
		return true;
	}
	if (event == nua_r_authenticate && m->refused_status != 0) {
		/* Nothing waited for credentials after all: the challenge was final already. */
		log_debug(MOD, "message=%s: no request waited for credentials (%d %s)", m->id,
			  status, phrase);
		dialog_msg_done(call, m, m->refused_status, m->refused_reason);
		return true;
	}
	return false;
}

/* A message whose call went before it was answered: told from the main loop. */
static gboolean report_orphan(gpointer data)
{
	struct ponte_sip_msg *m = data;
	ponte_sip_message_cb cb = m->cb;

	m->is_queued = false;
	log_info(MOD, "message=%s in call=%s: the call went before the answer", m->id, m->to);
	if (cb != NULL) {
		m->cb = NULL;
		m->is_held = false;
		cb(m->ctx, 481, "the call ended before the answer");
	}
	dialog_msg_release(m);
	return G_SOURCE_REMOVE;
}

/*
 * The call is released (sip_call_release: its handle goes): the messages still waiting will get
 * no answer. The release happens half-way through the call's teardown, so their callbacks run
 * later, from an idle source, unless the whole stack is going (then nobody is told, as for
 * every callback).
 */
void sip_message_call_free(struct ponte_sip_call *call)
{
	struct ponte_sip_msg *m;

	while ((m = g_queue_pop_head(&call->messages)) != NULL) {
		if (m->cb != NULL && !call->sip->is_closing) {
			g_idle_add(report_orphan, m);
			continue;
		}
		m->is_queued = false;
		dialog_msg_release(m);
	}
}

int ponte_sip_call_message(struct ponte_sip_call *call, const char *text, ponte_sip_message_cb cb,
			   void *ctx, struct ponte_sip_msg **out)
{
	struct ponte_sip_msg *m;
	int rc;

	if (out != NULL)
		*out = NULL;
	/* RFC 3261 §13.3.1.4: the callee waits for the ACK before it uses the dialog. */
	if (call == NULL || call->is_ended || call->sip->is_closing ||
	    !(call->is_incoming ? call->is_acked : call->is_answered))
		return -ENOTCONN;
	rc = ponte_sip_message_check_text(text, text != NULL ? strlen(text) : 0,
					  PONTE_SIP_MESSAGE_MAX_OUT, NULL);
	if (rc < 0)
		return rc == -ENODATA ? -EILSEQ : rc;
	m = g_new0(struct ponte_sip_msg, 1);
	m->sip = call->sip;
	m->nh = call->nh;
	m->cb = cb;
	m->ctx = ctx;
	m->to = g_strdup(call->call_id);
	new_id(m->id);
	m->is_in_call = true;
	m->is_queued = true;
	m->is_held = out != NULL;
	g_queue_push_tail(&call->messages, m);
	nua_message(call->nh, SIPTAG_CONTENT_TYPE_STR(CONTENT_TYPE_OUT), SIPTAG_PAYLOAD_STR(text),
		    TAG_END());
	log_info(MOD, "message=%s MESSAGE in call=%s, %zu bytes", m->id, m->to, strlen(text));
	if (out != NULL)
		*out = m;
	return 0;
}

void ponte_sip_message_forget(struct ponte_sip_msg *m)
{
	if (m == NULL)
		return;
	m->cb = NULL;
	if (m->is_in_call) {
		m->is_held = false;
		dialog_msg_release(m);
	}
}
