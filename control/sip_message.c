/* SPDX-License-Identifier: MIT */
/*
 * MESSAGE (RFC 3428): instant messages in pager mode, both ways.
 *
 * Incoming. nua hands a MESSAGE to us (NUTAG_APPL_METHOD("MESSAGE"): without it nua answers
 * 200 by itself) as nua_i_message, on a handle of its own outside any dialog (sip.c's
 * on_foreign_event) or on a call's handle inside one (call_on_event, incoming_on_event). We
 * answer it in the same callback, so NUTAG_WITH_THIS() names the request; a non-INVITE request
 * cannot be answered without it. Checks, in order: the source (outside a dialog only: the
 * trunks' allowed sources, 403, as for INVITE), the content type (text/plain only, else 415
 * with Accept, RFC 3261 §21.4.13; a content coding other than identity likewise, with
 * Accept-Encoding), the size (413 above PONTE_SIP_MESSAGE_MAX_IN), the charset (UTF-8 or
 * US-ASCII as they are, others converted to UTF-8 if GLib knows them, else 415), and the text
 * itself (400 when empty or not valid UTF-8). What passes goes to the owner of the call or to
 * the server, whose status is the answer.
 *
 * Outgoing. One nua handle per message, with a struct ponte_sip_msg as its magic (like a call)
 * allocated from the handle's own memory home: whatever becomes of the request, the message
 * goes with its handle, even when the stack is destroyed before the answer comes (nua_destroy()
 * frees the handles left). nua_message() with text/plain;charset=UTF-8, a 401/407 from a
 * trunk's or an account's host answered with its credentials (sip.c's sip_answer_challenge, as
 * for calls), then the final response goes to the callback and the handle (and with it the
 * message) is destroyed.
 * Retransmissions and the transaction timeout (RFC 3261 §17.1.2, 408 after 64*T1) are nta's.
 */
#include "sip_message.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "sip_internal.h"

#include <sofia-sip/su_alloc.h>

#include "log.h"

#define MOD "sip"

/* What we take and send (RFC 3428 §9: text/plain must be supported). */
#define ACCEPT "text/plain"
#define CONTENT_TYPE_OUT "text/plain;charset=UTF-8"

/* In the memory home of its handle, like its strings: it lives and dies with the handle. */
struct ponte_sip_msg {
	struct sip_owner owner; /* first: nua's handle magic */
	struct ponte_sip *sip;
	nua_handle_t *nh;
	ponte_sip_message_cb cb; /* NULL once forgotten */
	void *ctx;
	char id[12]; /* "m-" + random, for logs: the text is never logged */
	char *to;
	char *auth_user, *auth_pass; /* the trunk's or account's, or NULL */
	int nb_auth;
};

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
		 sip_t const *msg, const char *to_user, const char *ip, const char *trunk)
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

	sip_source_of(sip, ip, sizeof(ip));
	if (msg == NULL || msg->sip_request == NULL || msg->sip_from == NULL) {
		respond(sip, nh, 400, "malformed MESSAGE", NULL, NULL);
		return;
	}
	if (!sip_source_allowed(sip_config(sip), ip, &trunk)) {
		log_info(MOD, "MESSAGE from %s refused with 403: not a trunk", ip);
		respond(sip, nh, 403, "source address not allowed", NULL, NULL);
		return;
	}
	take(sip, NULL, nh, msg, sip_str(msg->sip_request->rq_url->url_user), ip, trunk);
}

void sip_message_in_call(struct ponte_sip_call *call, nua_handle_t *nh, sip_t const *msg)
{
	char ip[INET6_ADDRSTRLEN];

	sip_source_of(call->sip, ip, sizeof(ip));
	if (msg == NULL || msg->sip_from == NULL || msg->sip_to == NULL) {
		respond(call->sip, nh, 400, "malformed MESSAGE", NULL, NULL);
		return;
	}
	/* The Request-URI of a request in a dialog is our Contact, which names nobody: To is
	 * who the peer talks to (RFC 3261 §12.2.1.1). The dialog admitted the source already. */
	take(call->sip, call, nh, msg, sip_str(msg->sip_to->a_url->url_user), ip, NULL);
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
	static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	struct ponte_sip_msg *m;
	g_autofree char *user = NULL, *from = NULL, *to_hdr = NULL;
	char *auth_user = NULL, *auth_pass = NULL;
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
	user = sip_escape_user(from_user != NULL && from_user[0] != '\0' ? from_user : "ponte");
	from = g_strdup_printf("<sip:%s@%s>", user, sip_from_host(sip));
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
	m->id[0] = 'm';
	m->id[1] = '-';
	for (size_t i = 2; i < sizeof(m->id) - 1; i++)
		m->id[i] = alphabet[g_random_int_range(0, sizeof(alphabet) - 1)];
	sip_creds_for(sip, to, &auth_user, &auth_pass);
	if (auth_user != NULL) {
		m->auth_user = su_strdup(nua_handle_home(nh), auth_user);
		m->auth_pass = su_strdup(nua_handle_home(nh), auth_pass);
		explicit_bzero(auth_pass, strlen(auth_pass));
	}
	g_free(auth_user);
	g_free(auth_pass);
	nua_handle_bind(nh, &m->owner);
	nua_message(m->nh, SIPTAG_CONTENT_TYPE_STR(CONTENT_TYPE_OUT), SIPTAG_PAYLOAD_STR(text),
		    TAG_END());
	log_info(MOD, "message=%s MESSAGE %s from %s, %zu bytes", m->id, to, from, strlen(text));
	if (out != NULL)
		*out = m;
	return 0;
}

void ponte_sip_message_forget(struct ponte_sip_msg *m)
{
	if (m != NULL)
		m->cb = NULL;
}
