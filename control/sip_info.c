/* SPDX-License-Identifier: MIT */
/*
 * DTMF in SIP INFO requests (sip_info.h): the body formats, the incoming requests (in a call's
 * dialog: sip_dialog.c hands them here; outside: sip.c) and the queue of ours.
 *
 * nua hands INFO to us (NUTAG_APPL_METHOD("INFO") in sip.c: without it nua answers 200 by
 * itself and the digit is lost) as nua_i_info on the call's handle, or on a handle of its own
 * outside any dialog; we answer in the same callback, so NUTAG_WITH_THIS() names the request.
 *
 * There is no RFC for application/dtmf-relay: it is Cisco's, and what Asterisk, FreeSWITCH,
 * Kamailio and most phones send and take; RFC 6086 §2 lets such "legacy" INFO usages go on
 * without an Info Package. We take it as those do (blanks, event numbers for Signal) and send
 * its most common form, "Signal=5\r\nDuration=160\r\n".
 */
#include "sip_info.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "log.h"
#include "sip_internal.h"

#define MOD "sip"

#define ACCEPT PONTE_SIP_INFO_DTMF_RELAY ", " PONTE_SIP_INFO_DTMF

/* RFC 4733 §3.2: events 0-15 are the DTMF digits in this order, 16 the hook flash. */
static const char events[] = "0123456789*#ABCD!";

struct sip_info_queue {
	struct {
		char digit;
		unsigned duration_ms;
	} q[PONTE_SIP_INFO_MAX_QUEUED];
	unsigned head, nb;
	bool is_pending; /* our INFO is out, waiting for its final response */
	char sending;	 /* its digit, for logs */
};

/* ---- bodies ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* [*s, *e) without the blanks around it. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

/* The digit [s, e) names, as a character or an RFC 4733 event number; 0 when none. */
static char digit_of(const char *s, const char *e)
{
	size_t n = (size_t)(e - s);
	unsigned v = 0;

	if (n == 1 && strchr("0123456789*#ABCD!", *s) != NULL)
		return *s;
	if (n == 1 && *s >= 'a' && *s <= 'd')
		return (char)(*s - 'a' + 'A');
	if (n != 2 || !g_ascii_isdigit(s[0]) || !g_ascii_isdigit(s[1]))
		return 0;
	v = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	return v < sizeof(events) - 1 ? events[v] : 0;
}

/* A body of text lines: no NUL bytes or control characters but tab and line ends. */
static int check_text(const char *body, size_t len, const char **why)
{
	if (len > PONTE_SIP_INFO_MAX_BODY) {
		*why = "the body is too long";
		return -EMSGSIZE;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)body[i];

		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
			*why = "the body has control characters";
			return -EINVAL;
		}
	}
	return 0;
}

static bool name_is(const char *s, const char *e, const char *name)
{
	return (size_t)(e - s) == strlen(name) && g_ascii_strncasecmp(s, name, strlen(name)) == 0;
}

/* Duration= : 1..PONTE_SIP_INFO_MAX_DURATION_MS milliseconds, in decimal. */
static bool duration_of(const char *s, const char *e, unsigned *out)
{
	unsigned v = 0;

	if (s == e || e - s > 6)
		return false;
	for (; s < e; s++) {
		if (!g_ascii_isdigit(*s))
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v == 0 || v > PONTE_SIP_INFO_MAX_DURATION_MS)
		return false;
	*out = v;
	return true;
}

int ponte_sip_info_parse_relay(const char *body, size_t len, struct ponte_sip_info_dtmf *out,
			       const char **why)
{
	const char *unused;
	const char *p = body, *end = body + len;
	bool has_duration = false;
	int rc;

	if (why == NULL)
		why = &unused;
	memset(out, 0, sizeof(*out));
	if (body == NULL || len == 0) {
		*why = "the body is empty";
		return -EINVAL;
	}
	rc = check_text(body, len, why);
	if (rc < 0)
		return rc;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *ls = p, *le = eol != NULL ? eol : end;
		const char *eq, *ns, *ne, *vs, *ve;

		p = eol != NULL ? eol + 1 : end;
		trim(&ls, &le);
		if (ls == le)
			continue;
		eq = memchr(ls, '=', (size_t)(le - ls));
		if (eq == NULL) {
			*why = "a line is not Name=value";
			return -EINVAL;
		}
		ns = ls;
		ne = eq;
		vs = eq + 1;
		ve = le;
		trim(&ns, &ne);
		trim(&vs, &ve);
		if (name_is(ns, ne, "Signal")) {
			if (out->digit != 0) {
				*why = "more than one Signal";
				return -EINVAL;
			}
			if (vs == ve) {
				*why = "Signal is empty";
				return -EINVAL;
			}
			out->digit = digit_of(vs, ve);
			if (out->digit == 0) {
				*why = "Signal is not a DTMF digit (0-9, *, #, A-D)";
				return -EINVAL;
			}
		} else if (name_is(ns, ne, "Duration")) {
			if (has_duration) {
				*why = "more than one Duration";
				return -EINVAL;
			}
			has_duration = true;
			if (!duration_of(vs, ve, &out->duration_ms)) {
				*why = "Duration is not a number of milliseconds (1-60000)";
				return -EINVAL;
			}
		}
		/* Other names (some phones add their own) say nothing we use. */
	}
	if (out->digit == 0) {
		*why = "no Signal line";
		return -EINVAL;
	}
	return 0;
}

int ponte_sip_info_parse_dtmf(const char *body, size_t len, struct ponte_sip_info_dtmf *out,
			      const char **why)
{
	const char *unused;
	const char *s = body, *e = body + len;
	int rc;

	if (why == NULL)
		why = &unused;
	memset(out, 0, sizeof(*out));
	if (body == NULL || len == 0) {
		*why = "the body is empty";
		return -EINVAL;
	}
	rc = check_text(body, len, why);
	if (rc < 0)
		return rc;
	trim(&s, &e);
	if (s == e) {
		*why = "the body is empty";
		return -EINVAL;
	}
	out->digit = digit_of(s, e);
	if (out->digit == 0) {
		*why = "the body is not a DTMF digit (0-9, *, #, A-D)";
		return -EINVAL;
	}
	return 0;
}

int ponte_sip_info_build_relay(char digit, unsigned duration_ms, char *buf, size_t size)
{
	int n;

	if (digit == '\0' || strchr(events, digit) == NULL)
		return -EINVAL;
	if (duration_ms == 0)
		duration_ms = 1;
	if (duration_ms > PONTE_SIP_INFO_MAX_DURATION_MS)
		duration_ms = PONTE_SIP_INFO_MAX_DURATION_MS;
	n = snprintf(buf, size, "Signal=%c\r\nDuration=%u\r\n", digit, duration_ms);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

/* ---- incoming ---- */

/* Answer the request being delivered, with a Warning (RFC 3261 §20.43) when warning is set and
 * Accept for a 415 (§21.4.13). */
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

/*
 * The DTMF event an INFO carries, or the status to refuse it with (and *why, *accept...).
 * 0 with d->digit 0: no body at all, a keep-alive.
 */
static int read_dtmf(sip_t const *msg, struct ponte_sip_info_dtmf *d, const char **why,
		     const char **accept, const char **accept_encoding)
{
	sip_content_type_t const *ct = msg->sip_content_type;
	const char *body = msg->sip_payload != NULL ? msg->sip_payload->pl_data : NULL;
	size_t len = msg->sip_payload != NULL ? msg->sip_payload->pl_len : 0;
	const char *type = ct != NULL && ct->c_type != NULL ? ct->c_type : NULL;
	int rc;

	memset(d, 0, sizeof(*d));
	if (len == 0 && type == NULL)
		return 0;
	if (type == NULL || (g_ascii_strcasecmp(type, PONTE_SIP_INFO_DTMF_RELAY) != 0 &&
			     g_ascii_strcasecmp(type, PONTE_SIP_INFO_DTMF) != 0)) {
		*why = "only DTMF is taken in INFO (application/dtmf-relay, application/dtmf)";
		*accept = ACCEPT;
		return 415;
	}
	/* RFC 3261 §20.12: a coding we do not know is refused with Accept-Encoding. */
	for (sip_content_encoding_t const *ce = msg->sip_content_encoding; ce != NULL;
	     ce = ce->k_next)
		for (msg_param_t const *k = ce->k_items; k != NULL && *k != NULL; k++)
			if (g_ascii_strcasecmp(*k, "identity") != 0) {
				*why = "no content coding is taken";
				*accept_encoding = "identity";
				return 415;
			}
	if (g_ascii_strcasecmp(type, PONTE_SIP_INFO_DTMF_RELAY) == 0)
		rc = ponte_sip_info_parse_relay(body, len, d, why);
	else
		rc = ponte_sip_info_parse_dtmf(body, len, d, why);
	if (rc == -EMSGSIZE)
		return 413;
	return rc < 0 ? 400 : 0;
}

void sip_info_in_call(struct ponte_sip_call *call, nua_handle_t *nh, sip_t const *msg)
{
	struct ponte_sip_info_dtmf d;
	const char *why = NULL, *accept = NULL, *accept_encoding = NULL;
	int status;

	if (msg == NULL) {
		respond(call->sip, nh, 400, "malformed INFO", NULL, NULL);
		return;
	}
	if (call->is_ended) {
		log_info(MOD, "call=%s INFO after the end of the call: 481", call->call_id);
		respond(call->sip, nh, 481, "the call is over", NULL, NULL);
		return;
	}
	status = read_dtmf(msg, &d, &why, &accept, &accept_encoding);
	if (status != 0) {
		log_info(MOD, "call=%s INFO refused with %d: %s", call->call_id, status, why);
		respond(call->sip, nh, status, why, accept, accept_encoding);
		return;
	}
	if (d.digit == 0) {
		log_debug(MOD, "call=%s INFO without a body (keep-alive): 200", call->call_id);
	} else if (d.digit == '!') {
		/* A flash is no key of a dial pad: nothing to show, but nothing wrong either. */
		log_info(MOD, "call=%s INFO hook flash: taken, not reported", call->call_id);
	} else {
		log_info(MOD, "call=%s INFO DTMF %c (%u ms)", call->call_id, d.digit,
			 d.duration_ms);
		if (call->ops != NULL && call->ops->dtmf != NULL)
			call->ops->dtmf(call->ctx, d.digit, d.duration_ms);
	}
	respond(call->sip, nh, 200, NULL, NULL, NULL);
}

void sip_info_outside(struct ponte_sip *sip, nua_handle_t *nh, sip_t const *msg)
{
	char ip[INET6_ADDRSTRLEN];

	(void)msg;
	sip_source_of(sip, ip, sizeof(ip));
	/* INFO belongs to an INVITE dialog (RFC 6086 §4.2.2): none of ours has this one. */
	log_info(MOD, "INFO from %s outside any call: 481", ip);
	respond(sip, nh, 481, "no such call", NULL, NULL);
}

/* ---- outgoing ---- */

static void send_next(struct ponte_sip_call *call)
{
	struct sip_info_queue *q = call->info;
	char body[64];
	char digit;
	unsigned ms;

	if (q == NULL || q->is_pending || q->nb == 0 || call->is_ended)
		return;
	digit = q->q[q->head].digit;
	ms = q->q[q->head].duration_ms;
	q->head = (q->head + 1) % PONTE_SIP_INFO_MAX_QUEUED;
	q->nb--;
	if (ponte_sip_info_build_relay(digit, ms, body, sizeof(body)) < 0)
		return;
	q->is_pending = true;
	q->sending = digit;
	/* Each INFO is a request of its own: its challenges are counted afresh. */
	call->nb_auth = 0;
	log_info(MOD, "call=%s INFO DTMF %c (%u ms)%s", call->call_id, digit, ms,
		 q->nb > 0 ? ", more queued" : "");
	nua_info(call->nh, SIPTAG_CONTENT_TYPE_STR(PONTE_SIP_INFO_DTMF_RELAY),
		 SIPTAG_PAYLOAD_STR(body), TAG_END());
}

int ponte_sip_call_send_dtmf(struct ponte_sip_call *call, char digit, unsigned duration_ms)
{
	struct sip_info_queue *q;
	unsigned tail;

	if (call == NULL || call->is_ended || digit == '\0' || strchr(events, digit) == NULL)
		return -EINVAL;
	/* A confirmed dialog: ours answered (outgoing) or the peer's ACK came (incoming). */
	if (call->is_incoming ? !call->is_answered_by_us : !call->is_answered)
		return -EINVAL;
	if (call->info == NULL)
		call->info = g_new0(struct sip_info_queue, 1);
	q = call->info;
	if (q->nb == PONTE_SIP_INFO_MAX_QUEUED) {
		log_warn(MOD, "call=%s INFO DTMF %c dropped: %u digits wait already", call->call_id,
			 digit, q->nb);
		return -ENOBUFS;
	}
	tail = (q->head + q->nb) % PONTE_SIP_INFO_MAX_QUEUED;
	q->q[tail].digit = digit;
	q->q[tail].duration_ms = duration_ms;
	q->nb++;
	send_next(call);
	return 0;
}

bool sip_info_response(struct ponte_sip_call *call, int status, const char *phrase,
		       sip_t const *msg)
{
	struct sip_info_queue *q = call->info;
	char digit;

	if (q == NULL || !q->is_pending)
		return false;
	if (status < 200)
		return true;
	if ((status == 401 || status == 407) && !call->is_ended &&
	    sip_call_answer_challenge(call, msg))
		return true;
	q->is_pending = false;
	digit = q->sending;
	if (status < 300) {
		log_debug(MOD, "call=%s INFO DTMF %c: %d %s", call->call_id, digit, status, phrase);
		send_next(call);
		return true;
	}
	if (status >= 700) /* nua's own failures: the peer could not be reached */
		status = 503;
	log_info(MOD, "call=%s INFO DTMF %c refused: %d %s", call->call_id, digit, status,
		 sip_str(phrase));
	if (!call->is_ended && !call->sip->is_closing && call->ops != NULL &&
	    call->ops->dtmf_failed != NULL)
		call->ops->dtmf_failed(call->ctx, status, sip_str(phrase));
	if (status == 481) {
		/* The peer has no such dialog: the call is gone (RFC 5057 §5.1). */
		sip_call_end(call, status, sip_str(phrase));
		sip_call_hangup_internal(call);
		return true;
	}
	send_next(call);
	return true;
}

void sip_info_free(struct ponte_sip_call *call)
{
	g_free(call->info);
	call->info = NULL;
}
