/* SPDX-License-Identifier: MIT */
/*
 * The SIP stack: one sofia-sip nua on the GLib main loop (su_glib), carrying outgoing INVITE
 * dialogs whose SDP the caller writes and reads as text.
 *
 * Threading: su_root_threading(root, 0) before nua_create() makes the nua "clone" share the
 * root's port, so the stack runs on the main loop's thread like everything else in the
 * control plane (no thread per stack or call). API calls such as nua_invite() only queue a
 * message to the stack; events come back as messages too, so no callback of ours ever runs
 * inside a ponte_sip_* call.
 *
 * Handle lifetime: the application owns one reference to each handle it creates (and, per nua,
 * to each handle nua creates for an incoming request once its first event is delivered).
 * nua_handle_destroy() drops it and makes nua discard every later event of that handle, so a
 * call's memory is freed right after its handle is destroyed and never looked at again. We
 * destroy a call's handle only when nua has nothing left to do with it: after the final
 * response to an INVITE that failed, or after the call state became terminated (BYE or CANCEL
 * completed). A reaper timer covers the case where neither happens.
 */
#include "sip.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <glib.h>

#include "sip_internal.h"

#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/url.h>

#include "log.h"
#include "sip_digest.h"
#include "sip_reg.h"
#include "sip_tls.h"

#include <sofia-sip/tport_tag.h>

#define MOD "sip"

/* What we answer to and advertise (RFC 3261 §20.5). PRACK, UPDATE, SUBSCRIBE and NOTIFY are
 * not handled: leaving them out makes nua refuse them with 405. MESSAGE: sip_message.c; REFER
 * (in a call): sip_dialog.c; INFO (DTMF): sip_info.c. */
#define SIP_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, REFER, INFO"


/*
 * Seconds after a hangup (or a final failure) before a handle nua never reported as terminated
 * is destroyed anyway: longer than any transaction can live (64*T1 = 32 s, RFC 3261 §17.1.1.2).
 */
#define SIP_REAP_S 40

/*
 * Bound on ponte_sip_destroy(): nua gives up by itself after 30 s (nua_r_shutdown 500), so
 * this is only reached if nua itself is stuck.
 */
#define SIP_SHUTDOWN_MAX_US (35 * G_USEC_PER_SEC)

/* ---- sofia's logs, redirected to ours ---- */

static char sofia_line[1024];
static size_t sofia_len;
static int sofia_level = PONTE_LOG_WARN;

static void sofia_flush(void)
{
	if (sofia_len == 0)
		return;
	sofia_line[sofia_len] = '\0';
	ponte_log(sofia_level, MOD, "sofia: %s", sofia_line);
	sofia_len = 0;
}

/*
 * Sofia logs in fragments (a line may take several calls) and without a level, so fragments
 * are joined into lines here; the level is the one the operator asked for through SOFIA_DEBUG
 * or a module variable, else only sofia's fatal errors come through (as warnings).
 */
static void sofia_logger(void *stream, char const *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	for (const char *p = buf; *p != '\0'; p++) {
		if (*p == '\n' || sofia_len == sizeof(sofia_line) - 1) {
			sofia_flush();
			if (*p == '\n')
				continue;
		}
		sofia_line[sofia_len++] = *p;
	}
}

static void sofia_log_setup(void)
{
	static const char *const env[] = {"SOFIA_DEBUG", "NUA_DEBUG", "NTA_DEBUG", "TPORT_DEBUG",
					  "TPORT_LOG"};
	bool is_asked = false;

	for (size_t i = 0; i < G_N_ELEMENTS(env); i++)
		is_asked |= getenv(env[i]) != NULL;
	sofia_level = is_asked ? PONTE_LOG_INFO : PONTE_LOG_WARN;
	/* Modules without a logger of their own fall back to the default log's. */
	su_log_redirect(NULL, sofia_logger, NULL);
	/*
	 * Level 0 (fatal errors only) unless SOFIA_DEBUG sets it; modules with a variable of their
	 * own (NUA_DEBUG, ...) follow it. su_log_soft_set_level() would do this, but in this
	 * sofia-sip it does nothing once su_init() has read the environment.
	 */
	if (getenv("SOFIA_DEBUG") == NULL)
		su_log_set_level(su_log_default, 0);
}

/* ---- helpers ---- */


/* An IPv6 literal in brackets, as a URI host (RFC 3261 §25.1); others as they are. */
static char *uri_host(const char *addr)
{
	return strchr(addr, ':') != NULL ? g_strdup_printf("[%s]", addr) : g_strdup(addr);
}

static bool is_wildcard(const char *addr)
{
	return strcmp(addr, "0.0.0.0") == 0 || strcmp(addr, "::") == 0;
}

/* The body of a message when it is SDP, NUL-terminated (g_free it), else NULL. */
static char *sdp_body(sip_t const *sip)
{
	if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_len == 0 ||
	    sip->sip_content_type == NULL || sip->sip_content_type->c_type == NULL ||
	    g_ascii_strcasecmp(sip->sip_content_type->c_type, "application/sdp") != 0)
		return NULL;
	return g_strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

/*
 * The user part of our From, percent-escaping what RFC 3261 §25.1 does not allow unescaped
 * there, so a browser's peer id cannot break the header.
 */
char *sip_escape_user(const char *user)
{
	static const char hex[] = "0123456789ABCDEF";
	GString *out = g_string_new(NULL);

	for (const unsigned char *p = (const unsigned char *)user; *p != '\0'; p++) {
		if (g_ascii_isalnum(*p) || strchr("-_.!~*'()&=+$,", *p) != NULL) {
			g_string_append_c(out, (char)*p);
		} else {
			g_string_append_c(out, '%');
			g_string_append_c(out, hex[*p >> 4]);
			g_string_append_c(out, hex[*p & 15]);
		}
	}
	return g_string_free(out, FALSE);
}

/* A Call-ID of 128 random bits (RFC 3261 §8.1.1.4 recommends cryptographic randomness). */
static char *new_call_id(void)
{
	uint8_t rnd[16];
	char *id = g_malloc(2 * sizeof(rnd) + 1);

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (uint8_t)g_random_int();
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	return id;
}

/*
 * Whether `to` is a SIP or SIPS URI we can put in a Request-URI and a To header: it parses,
 * has a host, no headers part (RFC 3261 §19.1.5 forbids them in a Request-URI), and nothing
 * that could end the header it is written into.
 */
bool sip_is_valid_target(const char *to)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	url_t *url;
	bool is_ok;

	for (const char *p = to; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == 0x7f)
			return false;
	}
	url = url_make(home, to);
	is_ok = url != NULL && (url->url_type == url_sip || url->url_type == url_sips) &&
		url->url_host != NULL && url->url_host[0] != '\0' && url->url_headers == NULL;
	su_home_deinit(home);
	return is_ok;
}

/* ---- calls ---- */

static void call_stop_ring_timer(struct ponte_sip_call *call)
{
	if (call->ring_timer != 0)
		g_source_remove(call->ring_timer);
	call->ring_timer = 0;
}

/* Destroy the handle and free the call: nua delivers nothing for this handle afterwards. */
void sip_call_release(struct ponte_sip_call *call)
{
	struct ponte_sip *sip = call->sip;

	call_stop_ring_timer(call);
	if (call->reap_timer != 0)
		g_source_remove(call->reap_timer);
	sip_dialog_free(call);
	log_debug(MOD, "call=%s released", call->call_id);
	nua_handle_destroy(call->nh);
	sip->calls = g_list_remove(sip->calls, call);
	if (call->auth_pass != NULL)
		explicit_bzero(call->auth_pass, strlen(call->auth_pass));
	g_free(call->auth_user);
	g_free(call->auth_pass);
	g_free(call->contact);
	g_free(call->call_id);
	g_free(call);
}

static gboolean on_reap(gpointer data)
{
	struct ponte_sip_call *call = data;

	call->reap_timer = 0;
	log_warn(MOD, "call=%s: the stack never finished the call; releasing it", call->call_id);
	sip_call_release(call);
	return G_SOURCE_REMOVE;
}

/* From now on no callback runs for this call; its handle is released later. */
void sip_call_silence(struct ponte_sip_call *call)
{
	call->is_ended = true;
	call_stop_ring_timer(call);
	if (call->reap_timer == 0)
		call->reap_timer = g_timeout_add_seconds(SIP_REAP_S, on_reap, call);
}

/* Report the end of the call once, unless the caller hung up or the stack is closing. */
void sip_call_end(struct ponte_sip_call *call, int status, const char *reason)
{
	if (call->is_ended)
		return;
	log_info(MOD, "call=%s ended: %d %s", call->call_id, status, reason);
	sip_call_silence(call);
	if (!call->sip->is_closing && call->ops->ended != NULL)
		call->ops->ended(call->ctx, status, reason);
}

/* CANCEL before a final response (RFC 3261 §9.1), BYE after a 2xx (§15.1.1). */
void sip_call_hangup_internal(struct ponte_sip_call *call)
{
	if (call->is_hung_up)
		return;
	call->is_hung_up = true;
	if (call->is_incoming && !call->is_answered_by_us) {
		/* Ours to refuse: the caller's INVITE is still pending (RFC 3261 §13.3.1.3). */
		nua_respond(call->nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END());
		return;
	}
	if (!call->is_answered) {
		nua_cancel(call->nh, TAG_END());
		return;
	}
	/* A 2xx to an offerless INVITE must still be acknowledged before the BYE (§13.2.2.4). */
	if (!call->is_incoming && call->is_offerless && !call->is_acked) {
		call->is_acked = true;
		nua_ack(call->nh, TAG_END());
	}
	nua_bye(call->nh, TAG_END());
}

static gboolean on_ring_timeout(gpointer data)
{
	struct ponte_sip_call *call = data;

	call->ring_timer = 0;
	log_info(MOD, "call=%s unanswered after %d s: cancelling", call->call_id,
		 call->sip->cfg->sip.ring_timeout);
	sip_call_hangup_internal(call);
	sip_call_end(call, 408, "ring timeout");
	return G_SOURCE_REMOVE;
}

/* Status codes nua makes up for its own failures (9xx) become a 503 for the caller. */
static int final_status(int status)
{
	return status >= 700 ? 503 : status;
}

/* The reason phrase of a response, or the standard one when the peer sent none. */
static const char *final_reason(int status, const char *phrase)
{
	const char *std;

	if (status < 700 && phrase != NULL && phrase[0] != '\0')
		return phrase;
	std = sip_status_phrase(final_status(status));
	return std != NULL ? std : "";
}

/*
 * A 401 or 407 to our INVITE (RFC 3261 §22.2): with the credentials of the account or trunk
 * the call goes through, answer it (nua resends the INVITE, same Call-ID, next CSeq). A
 * second challenge means the credentials were refused: the call ends with that status.
 */
bool sip_call_answer_challenge(struct ponte_sip_call *call, sip_t const *msg)
{
	return sip_answer_challenge(call->nh, "call", call->call_id, call->auth_user,
				    call->auth_pass, &call->nb_auth, msg);
}

/* The same for any request of ours: calls, MESSAGEs (sip_message.c). */
bool sip_answer_challenge(nua_handle_t *nh, const char *kind, const char *id, const char *user,
			  const char *pass, int *nb_auth, sip_t const *msg)
{
	msg_auth_t const *ch = msg == NULL ? NULL
				: msg->sip_www_authenticate != NULL ? msg->sip_www_authenticate
								    : msg->sip_proxy_authenticate;
	const char *realm = ch != NULL ? msg_params_find(ch->au_params, "realm=") : NULL;
	const char *stale = ch != NULL ? msg_params_find(ch->au_params, "stale=") : NULL;
	int status = msg != NULL && msg->sip_status != NULL ? msg->sip_status->st_status : 0;
	int kind_bit = status == 407 ? SIP_AUTH_ANSWERED_407 : SIP_AUTH_ANSWERED_401;
	g_autofree char *auth = NULL;

	/*
	 * One answer per kind of challenge: a proxy's 407 and the far end's 401 may both come,
	 * but the same kind again means our credentials were refused (RFC 3261 §22.2, as
	 * Asterisk answers a wrong password), unless it only says our nonce went stale
	 * (RFC 7616 §3.3). Never more than two answers in all: no loop with any peer.
	 */
	if (user == NULL || realm == NULL || *nb_auth >> SIP_AUTH_COUNT_SHIFT >= 2 ||
	    ((*nb_auth & kind_bit) && (stale == NULL || g_ascii_strcasecmp(stale, "true") != 0)))
		return false;
	*nb_auth = (*nb_auth | kind_bit) + (1 << SIP_AUTH_COUNT_SHIFT);
	/* NUTAG_AUTH wants "scheme:realm:user:password" with the realm quoted as sent. */
	auth = g_strdup_printf("%s:%s%s%s:%s:%s", ch->au_scheme, realm[0] == '"' ? "" : "\"",
			       realm, realm[0] == '"' ? "" : "\"", user, pass != NULL ? pass : "");
	log_info(MOD, "%s=%s challenged (%d), answering for realm %s as %s", kind, id,
		 msg->sip_status ? msg->sip_status->st_status : 0, realm, user);
	nua_authenticate(nh, NUTAG_AUTH(auth), TAG_END());
	explicit_bzero(auth, strlen(auth));
	return true;
}

/* nua_r_invite: a response to our INVITE. */
static void call_on_invite_response(struct ponte_sip_call *call, int status, const char *phrase,
				    sip_t const *sip)
{
	g_autofree char *sdp = NULL;

	if (status < 101) /* 100 Trying only says the next hop has it (RFC 3261 §21.1.1) */
		return;
	if (status < 200) {
		if (call->is_ended)
			return;
		sdp = sdp_body(sip);
		sip_dialog_note_sdp(call, NULL, sdp); /* early media: the phone's SDP so far */
		log_info(MOD, "call=%s %d %s%s", call->call_id, status, phrase,
			 sdp != NULL ? " with SDP" : "");
		if (call->ops->progress != NULL)
			call->ops->progress(call->ctx, status, phrase, sdp);
		return;
	}
	if ((status == 401 || status == 407) && !call->is_ended && sip_call_answer_challenge(call, sip))
		return;
	if (status < 300) {
		if (call->is_answered) /* a retransmission or another fork's 2xx */
			return;
		call->is_answered = true;
		call_stop_ring_timer(call);
		if (call->is_ended) {
			/* The 2xx crossed our CANCEL: the call exists now, end it (§9.1). */
			log_info(MOD, "call=%s answered after the hangup: BYE", call->call_id);
			call->is_hung_up = false;
			sip_call_hangup_internal(call);
			return;
		}
		sdp = sdp_body(sip);
		sip_dialog_note_timer(call, sip);
		sip_dialog_note_sdp(call, NULL, sdp);
		sip_dialog_session_refreshed(call);
		log_info(MOD, "call=%s answered: %d %s%s", call->call_id, status, phrase,
			 sdp != NULL ? " with SDP" : "");
		if (call->ops->answered != NULL)
			call->ops->answered(call->ctx, sdp);
		return;
	}
	/*
	 * A final failure ends the INVITE transaction (nta acknowledges it, RFC 3261 §17.1.1.3)
	 * and there is no dialog left, so the handle can go now. That also covers 401/407, after
	 * which nua would keep the handle waiting for nua_authenticate().
	 */
	if (status >= 700)
		log_info(MOD, "call=%s failed in the stack: %d %s", call->call_id, status, phrase);
	sip_call_end(call, final_status(status), final_reason(status, phrase));
	sip_call_release(call);
}

static void call_on_state(struct ponte_sip_call *call, int status, const char *phrase,
			  tagi_t const *tags)
{
	int state = -1;

	tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
	log_debug(MOD, "call=%s state %s (%d %s)", call->call_id,
		  state >= 0 ? nua_callstate_name((enum nua_callstate)state) : "?", status, phrase);
	if (state != nua_callstate_terminated)
		return;
	/* Terminated without a final error or a BYE: e.g. no ACK could be sent. */
	sip_call_end(call, status >= 300 ? final_status(status) : 503,
		 phrase != NULL && phrase[0] != '\0' ? phrase : "terminated");
	sip_call_release(call);
}

static void call_on_event(struct sip_owner *owner, nua_event_t event, int status,
			  const char *phrase, nua_handle_t *nh, sip_t const *sip,
			  tagi_t const *tags)
{
	struct ponte_sip_call *call = (struct ponte_sip_call *)owner;

	if (sip_dialog_event(call, event, status, phrase, nh, sip, tags))
		return;
	switch (event) {
	case nua_r_invite:
		call_on_invite_response(call, status, phrase, sip);
		break;
	case nua_i_bye: /* nua has answered 200 (RFC 3261 §15.1.2) */
		sip_call_end(call, 0, "bye");
		break;
	case nua_i_message: /* an instant message in the call (sip_message.c answers it) */
		sip_message_in_call(call, nh, sip);
		break;
	case nua_i_state:
		call_on_state(call, status, phrase, tags);
		break;
	default:
		log_debug(MOD, "call=%s %s %d %s", call->call_id, nua_event_name(event), status,
			  phrase);
		break;
	}
}

/* ---- requests that are not part of our calls ---- */

static void on_foreign_event(struct ponte_sip *sip, nua_event_t event, int status,
			     const char *phrase, nua_handle_t *nh, sip_t const *msg,
			     tagi_t const *tags)
{
	int state = -1;

	switch (event) {
	case nua_i_invite:
		/* A new call: sip_incoming.c takes the handle (or refuses the call). */
		sip_incoming_invite(sip, nh, msg);
		return;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
		if (state == nua_callstate_terminated) {
			log_debug(MOD, "incoming INVITE done: %d %s", status, phrase);
			nua_handle_destroy(nh);
		}
		return;
	case nua_i_message:
		/* An instant message (sip_message.c answers it); the handle goes below. */
		sip_message_incoming(sip, nh, msg);
		break;
	case nua_i_info:
		/* INFO outside our calls (sip_info.c answers 481); the handle goes below. */
		sip_info_outside(sip, nh, msg);
		break;
	case nua_i_register:
	case nua_i_publish:
	case nua_i_subscribe:
		/* Methods nua leaves to the application; we serve none of them. */
		nua_respond(nh, SIP_405_METHOD_NOT_ALLOWED, SIPTAG_ALLOW_STR(SIP_ALLOW), TAG_END());
		break;
	default:
		/* nua has answered already (e.g. 200 to OPTIONS, RFC 3261 §11.2). */
		log_debug(MOD, "%s %d %s", nua_event_name(event), status, phrase);
		break;
	}
	/* nua gave us a reference to this handle with the event: drop it. */
	if (nh != nua_default(sip->nua))
		nua_handle_destroy(nh);
}

static void on_nua_event(nua_event_t event, int status, char const *phrase, nua_t *nua,
			 struct ponte_sip *sip, nua_handle_t *nh, struct sip_owner *owner,
			 sip_t const *msg, tagi_t tags[])
{
	phrase = sip_str(phrase);
	if (event == nua_r_shutdown) {
		log_debug(MOD, "shutdown: %d %s", status, phrase);
		sip->shutdown_status = status;
		return;
	}
	if (nh == NULL) {
		log_debug(MOD, "%s %d %s", nua_event_name(event), status, phrase);
		return;
	}
	if (owner != NULL) {
		owner->on_event(owner, event, status, phrase, nh, msg, tags);
		return;
	}
	if (sip->is_closing) /* nua_shutdown() answers pending requests itself */
		return;
	on_foreign_event(sip, event, status, phrase, nh, msg, tags);
}

/* ---- the stack ---- */

nua_t *sip_nua(const struct ponte_sip *sip)
{
	return sip->nua;
}

const struct ponte_config *sip_config(const struct ponte_sip *sip)
{
	return sip->cfg;
}

const char *sip_from_host(const struct ponte_sip *sip)
{
	return sip->from_host;
}

/*
 * The URL nta binds transport with ("udp", "tcp", "tls"; NULL: UDP and TCP). nta binds to
 * maddr and writes the host part in Via and Contact: with a public address behind a 1:1 NAT,
 * the public one goes in the host part (RFC 3261 §18.2.1, §20.10). TLS is a sips: URI on
 * sip.tls_port. Never the "transport=udp,tcp" list form: this sofia-sip (1.12.11) reads
 * uninitialised memory parsing it, and crashes when the bind fails; a sip: URI without
 * transport binds UDP and TCP from sofia's own list.
 */
static char *bind_url(const struct ponte_config *cfg, const char *transport)
{
	g_autofree char *listen = uri_host(cfg->sip.listen);
	bool is_tls = transport != NULL && strcmp(transport, "tls") == 0;
	const char *scheme = is_tls ? "sips" : "sip";
	int port = is_tls ? cfg->sip.tls_port : cfg->sip.port;
	g_autofree char *param = transport != NULL && !is_tls
					 ? g_strdup_printf(";transport=%s", transport)
					 : g_strdup("");

	if (cfg->sip.public_address[0] != '\0') {
		g_autofree char *pub = uri_host(cfg->sip.public_address);

		return g_strdup_printf("%s:%s:%d;maddr=%s%s", scheme, pub, port, listen, param);
	}
	return g_strdup_printf("%s:%s:%d%s", scheme, listen, port, param);
}

int ponte_sip_create(const struct ponte_config *cfg, struct ponte_sip **out, char **why)
{
	struct ponte_sip *sip;
	g_autofree char *url = NULL, *url2 = NULL;
	g_autofree char *listen = NULL;
	const char *ua = cfg->sip.user_agent;
	const char *const *tps = (const char *const *)cfg->sip.transports;
	bool has_udp = g_strv_contains(tps, "udp"), has_tcp = g_strv_contains(tps, "tcp");
	bool has_tls = g_strv_contains(tps, "tls");
	int rc;

	*out = NULL;
	*why = NULL;
	if (cfg->sip.transports[0] == NULL) {
		*why = g_strdup("sip.transports: no transport");
		return -EINVAL;
	}
	/* Accounts' incoming targets: names and rooms the gateway can ring (sip_reg.c). */
	rc = sip_reg_check_config(cfg, why);
	if (rc < 0)
		return rc;
	su_init();
	sofia_log_setup();
	/* Digest with SHA-256 and SHA-512-256 as well as MD5 (RFC 8760), for every nua. */
	rc = ponte_sip_digest_init();
	if (rc < 0) {
		*why = g_strdup_printf("digest authentication: %s", g_strerror(-rc));
		su_deinit();
		return rc;
	}

	sip = g_new0(struct ponte_sip, 1);
	sip->cfg = cfg;
	listen = uri_host(cfg->sip.listen);
	/* A sip: URI either way: the gateway's users' addresses are built on it (gw_calls.c). */
	if (has_udp || has_tcp)
		sip->contact = g_strdup_printf("sip:%s:%d", listen, cfg->sip.port);
	else
		sip->contact = g_strdup_printf("sip:%s:%d;transport=tls", listen, cfg->sip.tls_port);
	if (cfg->sip.public_address[0] != '\0')
		sip->from_host = uri_host(cfg->sip.public_address);
	else if (!is_wildcard(cfg->sip.listen))
		sip->from_host = g_strdup(listen);
	else /* From is not used for routing: a reserved name will do (RFC 2606) */
		sip->from_host = g_strdup("ponte.invalid");

	/* The certificate and key checked and written where sofia reads them (sip_tls.c). */
	if (has_tls) {
		rc = sip_tls_create(cfg, &sip->tls, why);
		if (rc < 0)
			goto fail_root;
	}

	sip->root = su_glib_root_create(sip);
	if (sip->root == NULL) {
		*why = g_strdup("cannot create the sofia-sip root");
		rc = -ENOMEM;
		goto fail_root;
	}
	/* Run nua on this thread, in this loop (see the top of the file). */
	su_root_threading(sip->root, 0);
	sip->source = su_glib_root_gsource(sip->root);
	g_source_attach(sip->source, NULL);

	/*
	 * The schema allows one to three transports, no duplicates. nua takes one NUTAG_URL (the
	 * last) and one NUTAG_SIPS_URL, and binds each with its own nta_agent_add_tport(); a
	 * "sip:" URI in the second one is bound as plain SIP. With TLS and both UDP and TCP, the
	 * two plain ones share a URL. TLS is bound first: on a loopback address nua keeps only
	 * the last of its Contact candidates, which must be the plain one (the Contact of dialogs
	 * over TLS is sip_tls.c's).
	 */
	if (has_tls) {
		url = bind_url(cfg, "tls");
		if (has_udp || has_tcp)
			url2 = bind_url(cfg, has_udp && has_tcp ? NULL : has_udp ? "udp" : "tcp");
	} else if (has_udp && has_tcp) {
		url = bind_url(cfg, "udp");
		url2 = bind_url(cfg, "tcp");
	} else {
		url = bind_url(cfg, cfg->sip.transports[0]);
	}
	errno = 0;
	sip->nua =
	    nua_create(sip->root, on_nua_event, sip, NUTAG_URL(url),
		       TAG_IF(url2 != NULL, NUTAG_SIPS_URL(url2)), NUTAG_MEDIA_ENABLE(0),
		       /* TLS: sofia reads its key and certificates there; who is checked. */
		       TAG_IF(sip->tls != NULL,
			      NUTAG_CERTIFICATE_DIR(sip->tls ? sip_tls_dir(sip->tls) : NULL)),
		       TAG_IF(sip->tls != NULL,
			      TPTAG_TLS_VERIFY_POLICY(sip->tls ? sip_tls_verify_policy(sip->tls)
							       : TPTLS_VERIFY_NONE)),
		       /* Replace nua's lists (the first SIP_NONE drops its defaults). */
		       SIPTAG_ALLOW(SIP_NONE), SIPTAG_ALLOW_STR(SIP_ALLOW),
		       /*
			* Session timers (RFC 4028) only when the phone asks (interval 0 of ours):
			* it refreshes (re-INVITE, answered in sip_dialog.c) unless it asks us to,
			* then nua refreshes with an UPDATE without a body, which needs no
			* offer/answer of ours, if the phone's Allow has UPDATE; else sip_dialog.c
			* refreshes first, with a re-INVITE of our SDP as it was. No 100rel until
			* we handle PRACK.
			*/
		       SIPTAG_SUPPORTED(SIP_NONE),
		       TAG_IF(cfg->sip.session_timers, SIPTAG_SUPPORTED_STR("timer")),
		       NUTAG_SESSION_TIMER(0), NUTAG_MIN_SE(90),
		       NUTAG_SESSION_REFRESHER(nua_remote_refresher), NUTAG_UPDATE_REFRESH(1),
		       /* Our own ring timer cancels unanswered calls, not nua's invite timer. */
		       NUTAG_INVITE_TIMER(0), NUTAG_AUTOALERT(0), NUTAG_AUTOANSWER(0),
		       /* MESSAGE and INFO are ours to answer (sip_message.c, sip_info.c), not
			* nua's automatic 200. */
		       NUTAG_ENABLEMESSAGE(1), NUTAG_APPL_METHOD("MESSAGE"),
		       NUTAG_APPL_METHOD("INFO"),
		       TAG_IF(ua[0] != '\0', SIPTAG_USER_AGENT_STR(ua)),
		       TAG_IF(ua[0] == '\0', SIPTAG_USER_AGENT(SIP_NONE)), TAG_END());
	if (sip->nua == NULL) {
		rc = errno != 0 ? -errno : -EADDRNOTAVAIL;
		*why =
		    g_strdup_printf("cannot listen on %s%s%s: %s", url, url2 != NULL ? " and " : "",
				    url2 != NULL ? url2 : "", g_strerror(-rc));
		goto fail_nua;
	}
	/* sofia has loaded the key and certificates: they leave the disk. */
	sip_tls_remove(sip->tls);
	log_info(MOD, "listening on %s (%s%s%s)%s%s", sip->contact, url, url2 != NULL ? ", " : "",
		 url2 != NULL ? url2 : "",
		 cfg->sip.public_address[0] != '\0' ? ", public address " : "",
		 cfg->sip.public_address);
	if (sip->tls != NULL) {
		log_info(MOD, "TLS on port %d: %s", cfg->sip.tls_port, sip_tls_summary(sip->tls));
		if (!sip_tls_is_verifying(sip->tls))
			log_warn(MOD, "sip.tls_ca is empty: TLS peers' certificates are not checked "
				      "(calls are encrypted, peers not authenticated)");
		else
			log_info(MOD, "TLS peers checked against %s: servers' chain and name%s",
				 cfg->sip.tls_ca,
				 cfg->sip.tls_verify_clients ? ", clients' chain (required)"
							     : "; clients need no certificate");
	}
	/* Accounts that register (sip_reg.c); an account's failures stay in its status. */
	sip_reg_start(sip);
	*out = sip;
	return 0;

fail_nua:
	g_source_destroy(sip->source);
	su_root_destroy(sip->root);
fail_root:
	sip_tls_destroy(sip->tls);
	g_free(sip->contact);
	g_free(sip->from_host);
	g_free(sip);
	su_deinit();
	return rc;
}

static gboolean on_pump_tick(gpointer unused)
{
	return G_SOURCE_CONTINUE;
}

/* Run the loop until nua_r_shutdown reports the end, or for max_us. The tick keeps an idle
 * loop from sleeping past the deadline. */
static void pump_shutdown(struct ponte_sip *sip, gint64 max_us)
{
	gint64 deadline = g_get_monotonic_time() + max_us;
	guint tick = g_timeout_add(100, on_pump_tick, NULL);

	while (sip->shutdown_status < 200 && g_get_monotonic_time() < deadline)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(tick);
}

void ponte_sip_destroy(struct ponte_sip *sip)
{
	if (sip == NULL)
		return;
	sip->is_closing = true;
	for (GList *l = sip->calls; l != NULL; l = l->next) {
		struct ponte_sip_call *call = l->data;

		call_stop_ring_timer(call);
		call->is_ended = true;
	}

	/*
	 * nua_shutdown() cancels or hangs up the calls left and answers pending requests; it
	 * reports nua_r_shutdown >= 200 once nothing is pending, or 500 after 30 s, and
	 * nua_destroy() refuses to run before that. So this waits for the slowest transaction: a
	 * peer that stays silent (no 1xx to allow a CANCEL, no answer to a BYE) holds it until its
	 * timeout (64*T1 = 32 s, RFC 3261 §17.1.1.2) or nua's 30 s. Destroying the handles does
	 * not cut this short: nua still waits for their transactions.
	 */
	sip_reg_stop(sip);
	nua_shutdown(sip->nua);
	pump_shutdown(sip, SIP_SHUTDOWN_MAX_US);
	while (sip->calls != NULL)
		sip_call_release(sip->calls->data);
	if (sip->shutdown_status < 200) {
		/* Leak the stack rather than free memory nua may still use. */
		log_error(MOD, "the SIP stack did not shut down in time; leaving it");
		return;
	}
	nua_destroy(sip->nua);
	g_source_destroy(sip->source);
	su_root_destroy(sip->root);
	sofia_flush();
	su_deinit();
	log_info(MOD, "stopped (%s)", sip->contact);
	sip_tls_destroy(sip->tls);
	g_free(sip->contact);
	g_free(sip->from_host);
	g_free(sip);
}

const char *ponte_sip_contact(const struct ponte_sip *sip)
{
	return sip->contact;
}

/* host[:port] of a URI, lower case, for matching a target to an account or trunk. */
static char *host_port_of(const char *uri, bool with_port)
{
	url_t url[1];
	g_autofree char *copy = g_strdup(uri);

	if (url_d(url, copy) < 0 || url->url_host == NULL)
		return NULL;
	if (with_port && url->url_port != NULL) {
		g_autofree char *hp = g_strdup_printf("%s:%s", url->url_host, url->url_port);

		return g_ascii_strdown(hp, -1);
	}
	return g_ascii_strdown(url->url_host, -1);
}

/* Whether target goes to the peer of uri: the same host, and the same port when uri has one. */
static bool same_peer(const char *uri, const char *target)
{
	g_autofree char *a = host_port_of(uri, true);
	g_autofree char *b = host_port_of(target, strchr(a != NULL ? a : "", ':') != NULL);

	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* The digest credentials for a call to target: its trunk's or its account's, if any. */
void sip_creds_for(struct ponte_sip *sip, const char *target, char **user, char **pass)
{
	const struct ponte_config *cfg = sip->cfg;

	for (size_t i = 0; i < cfg->sip.nb_trunks; i++) {
		const struct ponte_sip_trunk *t = &cfg->sip.trunks[i];

		if (t->username != NULL && t->username[0] && same_peer(t->address, target)) {
			*user = g_strdup(t->username);
			*pass = g_strdup(t->password != NULL ? t->password : "");
			return;
		}
	}
	for (size_t i = 0; i < cfg->sip.nb_accounts; i++) {
		const struct ponte_sip_account *a = &cfg->sip.accounts[i];

		if (a->username != NULL && a->username[0] && same_peer(a->registrar, target)) {
			*user = g_strdup(a->username);
			*pass = g_strdup(a->password != NULL ? a->password : "");
			return;
		}
	}
}

/* The account a call to target goes through: the one whose registrar is target's host (and
 * port), unless a trunk's address is; NULL for other calls. */
const struct ponte_sip_account *sip_account_for(struct ponte_sip *sip, const char *target)
{
	const struct ponte_config *cfg = sip->cfg;

	for (size_t i = 0; i < cfg->sip.nb_trunks; i++)
		if (same_peer(cfg->sip.trunks[i].address, target))
			return NULL;
	for (size_t i = 0; i < cfg->sip.nb_accounts; i++)
		if (same_peer(cfg->sip.accounts[i].registrar, target))
			return &cfg->sip.accounts[i];
	return NULL;
}

char *ponte_sip_route_number(struct ponte_sip *sip, const char *number)
{
	const struct ponte_config *cfg = sip->cfg;
	const char *via = NULL;
	url_t url[1];
	g_autofree char *copy = NULL;

	if (number == NULL || number[0] == '\0' || cfg->sip.number_route == NULL ||
	    cfg->sip.number_route[0] == '\0')
		return NULL;
	for (const char *p = number; *p != '\0'; p++)
		if (!g_ascii_isdigit(*p) && !(p == number && *p == '+') && *p != '*' && *p != '#')
			return NULL;
	for (size_t i = 0; i < cfg->sip.nb_trunks && via == NULL; i++)
		if (strcmp(cfg->sip.trunks[i].name, cfg->sip.number_route) == 0)
			via = cfg->sip.trunks[i].address;
	for (size_t i = 0; i < cfg->sip.nb_accounts && via == NULL; i++)
		if (strcmp(cfg->sip.accounts[i].name, cfg->sip.number_route) == 0)
			via = cfg->sip.accounts[i].registrar;
	copy = g_strdup(via);
	if (copy == NULL || url_d(url, copy) < 0 || url->url_host == NULL)
		return NULL;
	/* '#' is not allowed unescaped in a user part (RFC 3261 §25.1). */
	{
		g_autoptr(GString) user = g_string_new(NULL);

		for (const char *p = number; *p != '\0'; p++)
			if (*p == '#')
				g_string_append(user, "%23");
			else
				g_string_append_c(user, *p);
		return g_strdup_printf("%s:%s@%s%s%s", url->url_scheme ? url->url_scheme : "sip",
				       user->str, url->url_host, url->url_port ? ":" : "",
				       url->url_port ? url->url_port : "");
	}
}

char *sip_from_header(struct ponte_sip *sip, const struct ponte_sip_account *acct,
		      const char *from_user)
{
	g_autofree char *aor = acct != NULL ? sip_reg_aor(acct) : NULL;
	g_autofree char *user = NULL;
	GString *out;

	if (aor == NULL) {
		user = sip_escape_user(from_user != NULL && from_user[0] != '\0' ? from_user
										 : "ponte");
		return g_strdup_printf("<sip:%s@%s>", user, sip->from_host);
	}
	if (from_user == NULL || from_user[0] == '\0')
		return g_strdup_printf("<%s>", aor);
	/* A quoted display name (RFC 3261 §25.1): '"' and '\' as quoted pairs; controls, which
	 * no quoted pair may carry, as spaces. */
	out = g_string_new("\"");
	for (const unsigned char *p = (const unsigned char *)from_user; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p < ' ' || *p == 0x7f ? ' ' : (char)*p);
	}
	g_string_append_printf(out, "\" <%s>", aor);
	return g_string_free(out, FALSE);
}

int ponte_sip_call(struct ponte_sip *sip, const char *to, const char *from_user, const char *sdp,
		   const struct ponte_sip_call_ops *ops, void *ctx, struct ponte_sip_call **out)
{
	return sip_call_place(sip, to, from_user, sdp, ops, ctx, out, NULL);
}

int sip_call_place(struct ponte_sip *sip, const char *to, const char *from_user, const char *sdp,
		   const struct ponte_sip_call_ops *ops, void *ctx, struct ponte_sip_call **out,
		   const tagi_t *extra)
{
	struct ponte_sip_call *call;
	const struct ponte_sip_account *acct;
	g_autofree char *user = NULL;
	g_autofree char *m_user = NULL;
	g_autofree char *from = NULL;
	g_autofree char *to_hdr = NULL;
	bool has_proxy;

	*out = NULL;
	if (to == NULL || !sip_is_valid_target(to))
		return -EINVAL;
	user = sip_escape_user(from_user != NULL && from_user[0] != '\0' ? from_user : "ponte");
	/*
	 * Our Contact's user: the account's through an account, else our From's. Set on the
	 * handle, since once an account has registered nua writes that registration's Contact,
	 * user included, in every request (nua_registration_add_contact_to_request) unless the
	 * handle has its own NUTAG_M_USERNAME.
	 */
	acct = sip_account_for(sip, to);
	m_user = acct != NULL ? sip_reg_contact_user(acct) : NULL;
	if (m_user == NULL)
		m_user = g_strdup(user);
	from = sip_from_header(sip, acct, from_user);
	has_proxy = acct != NULL && acct->outbound_proxy != NULL && acct->outbound_proxy[0] != '\0';
	/* Brackets keep URI parameters out of the header's parameters (RFC 3261 §20.10). */
	to_hdr = g_strdup_printf("<%s>", to);

	call = g_new0(struct ponte_sip_call, 1);
	sip_creds_for(sip, to, &call->auth_user, &call->auth_pass);
	call->owner.on_event = call_on_event;
	call->sip = sip;
	call->ops = ops;
	call->ctx = ctx;
	call->call_id = new_call_id();
	call->is_offerless = sdp == NULL;
	/* To a sips: or ;transport=tls target, a Contact that brings the dialog back over TLS. */
	call->contact = sip_tls_contact_for_target(sip->tls, to);
	call->nh = nua_handle(sip->nua, &call->owner, NUTAG_URL(to), SIPTAG_TO_STR(to_hdr),
			      SIPTAG_FROM_STR(from), NUTAG_M_USERNAME(m_user), TAG_END());
	if (call->nh == NULL) {
		g_free(call->contact);
		g_free(call->call_id);
		g_free(call);
		return -ENOMEM;
	}
	/*
	 * Our Call-ID, so that ponte_sip_call_id() has it before the INVITE leaves. Through an
	 * account with an outbound proxy, the INVITE goes to the proxy with the target as its
	 * Request-URI (RFC 3261 §8.1.2), as the account's REGISTERs do (sip_reg.c); NUTAG_PROXY
	 * is taken from the request's tags and kept on the handle, so the requests inside the
	 * call (ACK, BYE, re-INVITE) follow it too.
	 */
	nua_invite(call->nh, SIPTAG_CALL_ID_STR(call->call_id),
		   TAG_IF(has_proxy, NUTAG_PROXY(has_proxy ? acct->outbound_proxy : NULL)),
		   TAG_IF(call->contact != NULL, SIPTAG_CONTACT_STR(call->contact)),
		   /* An offerless INVITE's answer goes in the ACK: the caller sends it. */
		   NUTAG_AUTOACK(sdp != NULL),
		   TAG_IF(sdp != NULL, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		   TAG_IF(sdp != NULL, SIPTAG_PAYLOAD_STR(sdp)), TAG_NEXT(extra));
	if (sip->cfg->sip.ring_timeout > 0)
		call->ring_timer =
		    g_timeout_add((guint)sip->cfg->sip.ring_timeout * 1000, on_ring_timeout, call);
	sip->calls = g_list_prepend(sip->calls, call);
	sip_dialog_note_sdp(call, sdp, NULL); /* our offer: what a session refresh offers again */
	log_info(MOD, "call=%s INVITE %s from %s%s%s%s%s%s", call->call_id, to, from,
		 sdp == NULL ? " (offerless)" : "", acct != NULL ? " account " : "",
		 acct != NULL ? acct->name : "", has_proxy ? " via " : "",
		 has_proxy ? acct->outbound_proxy : "");
	*out = call;
	return 0;
}

int ponte_sip_call_ack(struct ponte_sip_call *call, const char *sdp)
{
	if (call->is_ended || !call->is_answered)
		return -EINVAL;
	if (!call->is_offerless || call->is_acked)
		return -EALREADY;
	call->is_acked = true;
	sip_dialog_note_sdp(call, sdp, NULL);
	nua_ack(call->nh, TAG_IF(sdp != NULL, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		TAG_IF(sdp != NULL, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
	return 0;
}

void ponte_sip_hangup(struct ponte_sip_call *call)
{
	if (call == NULL || call->is_ended)
		return;
	log_info(MOD, "call=%s hung up (%s)", call->call_id, call->is_answered ? "BYE" : "CANCEL");
	sip_call_silence(call);
	sip_call_hangup_internal(call);
}

const char *ponte_sip_call_id(const struct ponte_sip_call *call)
{
	return call->call_id;
}

void ponte_sip_status(struct ponte_sip *sip, json_t *obj)
{
	json_t *accounts = json_array();

	sip_reg_status(sip, accounts);
	json_object_set_new(obj, "sip",
			    json_pack("{s:s, s:o}", "contact", sip->contact, "accounts", accounts));
}
