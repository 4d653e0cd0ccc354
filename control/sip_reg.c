/* SPDX-License-Identifier: MIT */
/*
 * Registrations (RFC 3261 §10): one nua handle per account that registers.
 *
 * What nua does by itself, and we rely on:
 * - builds the Contact from the transport it sends on, with NUTAG_M_USERNAME() as user part, and
 *   puts the requested Expires in REGISTER;
 * - after a 2xx, refreshes the binding before it runs out: it takes the lowest expiry the
 *   registrar granted to the contacts it sent (Contact ;expires, else Expires, §10.2.4) and
 *   re-REGISTERs at a random point between a quarter and three quarters of it (30-60 s before
 *   the end for bindings of 91-299 s); the refresh carries our credentials again;
 * - answers a challenge with the credentials it already has when the challenge is stale
 *   (stale=true, RFC 2617 §3.2.1) or comes from a realm it has credentials for, and otherwise
 *   reports the 401/407 and waits for nua_authenticate(); a second challenge for the same realm
 *   after our credentials makes it drop them and report the 401/407 again;
 * - after a refresh refused with 5xx or 6xx (without a short Retry-After), ends the binding with
 *   an un-REGISTER of its own (RFC 5057 §5.1's graceful termination) and drops the usage; after
 *   408, 480 and 481 it drops the usage without one; our retry then registers anew, and nua gives
 *   that REGISTER a new Call-ID;
 * - follows 3xx, renegotiates a 423 Interval Too Brief with Min-Expires (§10.2.8), and retries a
 *   5xx with a Retry-After below 32 s itself, up to three times (reporting status 100
 *   meanwhile).
 *
 * What we do: pick the credentials for each realm that challenges, once per realm and attempt
 * (the second challenge of a realm within one attempt means they were refused: the attempt
 * failed, no loop); keep the state, the granted expiry and the counters; after a final failure
 * (a refusal, a timeout, a transport error, a refresh that failed), wait and register again, with
 * exponential back-off and jitter (RFC 5626 §4.5) or the registrar's Retry-After (RFC 3261
 * §21.5.4); un-REGISTER at stop (nua_unregister(), then the handle goes).
 *
 * Incoming calls (RFC 3261 §10.2, §16.5): the registrar retargets a call for the address of
 * record to the Contact we registered, so the Contact's user part tells which account a call
 * is for. It is the account's name, unique among accounts (as FreeSWITCH's gateways use
 * "gw+NAME"), not the user name that two accounts at two providers may share. Some registrars
 * send calls to the AOR's user instead: those are recognised by their source, the address the
 * account's registrations are answered from (sip_reg_account_for()).
 *
 * Memory: a registration's owner is its handle's magic. Destroying the handle makes nua drop
 * every later event of it, so a registration is freed right after nua_handle_destroy().
 */
#include "sip_reg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "sip_internal.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/url.h>

#include "log.h"
#include "room.h"

#define MOD "sip"

/* Browser names (gw_calls.c): 1..32 of [A-Za-z0-9._-]; "room-KEY" names a room instead. */
#define INCOMING_NAME_MAX SIP_REG_NAME_MAX
#define INCOMING_ROOM_PREFIX "room-"

/* RFC 5626 §4.5 suggests 30 s (base when all flows failed) and 1800 s (max). */
#define REG_BACKOFF_BASE_MS 30000u
#define REG_BACKOFF_MAX_MS 1800000u

/* Requested when the account does not say (RFC 3261 §10.2.1.1: the registrar's default). */
#define REG_EXPIRES_DEFAULT 3600

/*
 * Seconds after a binding expired without a new 2xx before its state stops saying
 * "registered": nua's refresh is late or in trouble (it reports a failure at most 32 s after
 * its REGISTER, RFC 3261 §17.1.2.2).
 */
#define REG_EXPIRY_GRACE_S 2

/*
 * What nua needs for a RFC 3261 registration and no more: no RFC 5626 outbound engine (whose
 * "validate" sends OPTIONS to our own contact through the registrar and whose "natify" rewrites
 * the Contact from Via's received/rport behind our back), no OPTIONS keepalives.
 */
#define REG_OUTBOUND_OPTIONS "no-outbound no-natify no-validate no-options-keepalive"

enum reg_state {
	REG_DISABLED,	  /* do_register is false: credentials for calls only */
	REG_UNREGISTERED, /* not started, or cannot start */
	REG_REGISTERING,
	REG_REGISTERED,
	REG_FAILED,
};

static const char *const state_names[] = {
    [REG_DISABLED] = "disabled",       [REG_UNREGISTERED] = "unregistered",
    [REG_REGISTERING] = "registering", [REG_REGISTERED] = "registered",
    [REG_FAILED] = "failed",
};

struct sip_reg_set;

struct sip_reg {
	struct sip_owner owner; /* first: nua's handle magic */
	struct sip_reg_set *set;
	const struct ponte_sip_account *acct; /* borrowed from the configuration */
	char *aor;			      /* address of record, "sip:user@host" */
	char *aor_user;			      /* its user part, as written in the URI */
	char *contact_user;		      /* user part of our Contact: the name, escaped */
	char peer_ip[INET6_ADDRSTRLEN]; /* where the last 2xx to our REGISTER came from, or "" */
	nua_handle_t *nh;		/* NULL between a refused challenge and the next attempt */
	enum reg_state state;
	int status;	      /* last final status, 0 before any */
	char *reason;	      /* its phrase, or why the account failed */
	int expires;	      /* seconds asked for */
	int granted;	      /* seconds granted by the last 2xx */
	gint64 registered_us; /* monotonic time of the last 2xx */
	gint64 retry_us;      /* monotonic time of the next attempt, 0 if none is due */
	guint retry_timer;
	guint expiry_timer;
	unsigned int nb_failures; /* consecutive */
	unsigned long nb_registrations;
	unsigned long nb_attempts;
	GPtrArray *realms; /* "scheme realm" answered in the current attempt */
	char *challenge;   /* the last challenge we answered, for reasons */
};

struct sip_reg_set {
	struct ponte_sip *sip;
	struct sip_reg *regs;
	size_t nb_regs;
};

/*
 * The registrations of each stack, until struct ponte_sip carries them itself. One entry per
 * live stack, touched only from the main loop.
 */
static GList *reg_sets;

static unsigned int backoff_base_ms = REG_BACKOFF_BASE_MS;
static unsigned int backoff_max_ms = REG_BACKOFF_MAX_MS;

void sip_reg_set_backoff_ms(unsigned int base_ms, unsigned int max_ms)
{
	backoff_base_ms = base_ms > 0 ? base_ms : 1;
	backoff_max_ms = max_ms >= backoff_base_ms ? max_ms : backoff_base_ms;
}

static struct sip_reg_set *set_find(const struct ponte_sip *sip)
{
	for (GList *l = reg_sets; l != NULL; l = l->next) {
		struct sip_reg_set *set = l->data;

		if (set->sip == sip)
			return set;
	}
	return NULL;
}

static bool is_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static const char *acct_name(const struct sip_reg *reg)
{
	return is_set(reg->acct->name) ? reg->acct->name : "?";
}

static void reg_set_reason(struct sip_reg *reg, int status, const char *reason)
{
	reg->status = status;
	g_free(reg->reason);
	reg->reason = g_strdup(reason);
}

/* The phrase of a response, or the standard one when there is none. */
static const char *phrase_or_std(int status, const char *phrase)
{
	const char *std;

	if (is_set(phrase))
		return phrase;
	std = sip_status_phrase(status);
	return std != NULL ? std : "";
}

static void reg_stop_timers(struct sip_reg *reg)
{
	if (reg->retry_timer != 0)
		g_source_remove(reg->retry_timer);
	reg->retry_timer = 0;
	reg->retry_us = 0;
	if (reg->expiry_timer != 0)
		g_source_remove(reg->expiry_timer);
	reg->expiry_timer = 0;
}

/* ---- the account's addresses ---- */

/* Whether s parses as a sip: or sips: URI with a host. */
static bool is_sip_uri(su_home_t *home, const char *s, url_t **out)
{
	url_t *url = is_set(s) ? url_make(home, s) : NULL;

	if (url == NULL || (url->url_type != url_sip && url->url_type != url_sips) ||
	    !is_set(url->url_host))
		return false;
	if (out != NULL)
		*out = url;
	return true;
}

/*
 * A user name as a URI user part: what RFC 3261 §25.1 does not allow unescaped there is
 * percent-escaped, so that no user name can break the URI or the header it is written into.
 */
static char *escape_user(const char *user)
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

char *sip_reg_contact_user(const struct ponte_sip_account *a)
{
	if (is_set(a->name))
		return escape_user(a->name);
	return is_set(a->username) ? escape_user(a->username) : NULL;
}

/* Whether s can go between < and > in a header: no controls, spaces, quotes or brackets. */
static bool is_header_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == 0x7f)
			return false;
	}
	return true;
}

char *sip_reg_aor(const struct ponte_sip_account *a)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	url_t *registrar = NULL, *aor = NULL;
	char *out = NULL;

	if (is_set(a->aor)) {
		if (is_sip_uri(home, a->aor, &aor) && is_set(aor->url_user) &&
		    is_header_safe(a->aor))
			out = g_strdup(a->aor);
	} else if (is_set(a->username) && is_sip_uri(home, a->registrar, &registrar) &&
		   is_header_safe(a->registrar)) {
		g_autofree char *user = escape_user(a->username);

		out = g_strdup_printf("%s:%s@%s", registrar->url_type == url_sips ? "sips" : "sip",
				      user, registrar->url_host);
		if (!is_sip_uri(home, out, &aor) || !is_set(aor->url_user))
			g_clear_pointer(&out, g_free);
	}
	su_home_deinit(home);
	return out;
}

/*
 * Fill aor and contact_user from the account, or say why it cannot register. The address of
 * record is the account's aor, else sip:USERNAME@REGISTRAR-HOST (RFC 3261 §10.2: To and From
 * carry it); the Contact user is the account's name (see the top of the file), else the digest
 * user name, else the AOR's user.
 */
static const char *reg_prepare(struct sip_reg *reg)
{
	const struct ponte_sip_account *a = reg->acct;
	su_home_t home[1] = {SU_HOME_INIT(home)};
	url_t *registrar = NULL, *aor = NULL;
	const char *why = NULL;

	if (!is_sip_uri(home, a->registrar, &registrar) || !is_header_safe(a->registrar)) {
		why = "the registrar is not a sip: or sips: URI";
		goto out;
	}
	if (is_set(a->outbound_proxy) &&
	    (!is_sip_uri(home, a->outbound_proxy, NULL) || !is_header_safe(a->outbound_proxy))) {
		why = "the outbound proxy is not a sip: or sips: URI";
		goto out;
	}
	if (is_set(a->aor)) {
		if (!is_sip_uri(home, a->aor, &aor) || !is_set(aor->url_user) ||
		    !is_header_safe(a->aor)) {
			why = "the address of record is not a sip: URI with a user";
			goto out;
		}
		reg->aor = g_strdup(a->aor);
	} else if (is_set(a->username)) {
		reg->aor = sip_reg_aor(a);
		if (reg->aor == NULL || !is_sip_uri(home, reg->aor, &aor) ||
		    !is_set(aor->url_user)) {
			why = "the user name does not make a valid address of record";
			goto out;
		}
	} else {
		why = "neither an address of record nor a user name";
		goto out;
	}
	/*
	 * nua_authenticate() takes credentials as one "scheme:realm:user:password" string that
	 * sofia-sip splits at colons, so a colon in either would be cut off silently.
	 */
	if ((a->username != NULL && strchr(a->username, ':') != NULL) ||
	    (a->password != NULL && strchr(a->password, ':') != NULL)) {
		why = "a ':' in the user name or password cannot be passed to the SIP stack";
		goto out;
	}
	reg->aor_user = g_strdup(aor->url_user);
	reg->contact_user = sip_reg_contact_user(a);
	if (reg->contact_user == NULL)
		reg->contact_user = g_strdup(aor->url_user);
out:
	su_home_deinit(home);
	return why;
}

/* ---- attempts and back-off ---- */

static void reg_send(struct sip_reg *reg);

static gboolean on_retry(gpointer data)
{
	struct sip_reg *reg = data;

	reg->retry_timer = 0;
	reg->retry_us = 0;
	reg_send(reg);
	return G_SOURCE_REMOVE;
}

/* The wait after the n-th consecutive failure: RFC 5626 §4.5, from base_ms. */
static unsigned int backoff_ms(unsigned int nb_failures)
{
	uint64_t wait = backoff_base_ms;

	for (unsigned int i = 1; i < nb_failures && wait < backoff_max_ms; i++)
		wait *= 2;
	if (wait > backoff_max_ms)
		wait = backoff_max_ms;
	/* Between half and all of it, so that gateways restarted together spread out. */
	return (unsigned int)((double)wait * g_random_double_range(0.5, 1.0));
}

static void reg_schedule_retry(struct sip_reg *reg, unsigned int delay_ms)
{
	if (reg->retry_timer != 0)
		g_source_remove(reg->retry_timer);
	reg->retry_timer = g_timeout_add(delay_ms, on_retry, reg);
	reg->retry_us = g_get_monotonic_time() + (gint64)delay_ms * 1000;
}

/*
 * A final failure of the attempt (or of a refresh): report it and try again later. The handle
 * goes when nua may still be waiting for credentials on it; a new one is made for the retry.
 */
static void reg_fail(struct sip_reg *reg, int status, const char *reason, sip_t const *msg,
		     bool do_drop_handle)
{
	unsigned int delay_ms;
	bool has_retry_after = msg != NULL && msg->sip_retry_after != NULL;

	if (reg->expiry_timer != 0)
		g_source_remove(reg->expiry_timer);
	reg->expiry_timer = 0;
	reg->state = REG_FAILED;
	reg_set_reason(reg, status, reason);
	reg->nb_failures++;
	if (has_retry_after) {
		uint64_t ms = (uint64_t)msg->sip_retry_after->af_delta * 1000;

		if (ms < 1000)
			ms = 1000;
		delay_ms = ms > backoff_max_ms ? backoff_max_ms : (unsigned int)ms;
	} else {
		delay_ms = backoff_ms(reg->nb_failures);
	}
	if (do_drop_handle && reg->nh != NULL) {
		nua_handle_destroy(reg->nh);
		reg->nh = NULL;
	}
	reg_schedule_retry(reg, delay_ms);
	log_warn(MOD, "account=%s REGISTER failed: %d %s; retry in %.1f s%s", acct_name(reg),
		 status, reason, delay_ms / 1000.0, has_retry_after ? " (Retry-After)" : "");
}

static int reg_open(struct sip_reg *reg)
{
	const struct ponte_sip_account *a = reg->acct;
	g_autofree char *aor_hdr = g_strdup_printf("<%s>", reg->aor);

	/*
	 * From = To = the address of record: we register ourselves (RFC 3261 §10.2). The
	 * Request-URI is the registrar's URI (§10.2: its domain, no user part).
	 */
	reg->nh = nua_handle(sip_nua(reg->set->sip), &reg->owner, NUTAG_REGISTRAR(a->registrar),
			     SIPTAG_TO_STR(aor_hdr), SIPTAG_FROM_STR(aor_hdr),
			     NUTAG_M_USERNAME(reg->contact_user),
			     NUTAG_OUTBOUND(REG_OUTBOUND_OPTIONS), TAG_END());
	return reg->nh != NULL ? 0 : -ENOMEM;
}

/* One attempt: a REGISTER asking for the account's expiry (RFC 3261 §10.2.1.1). */
static void reg_send(struct sip_reg *reg)
{
	char expires[16];

	if (reg->nh == NULL && reg_open(reg) < 0) {
		reg_fail(reg, 503, "cannot create a SIP handle", NULL, false);
		return;
	}
	snprintf(expires, sizeof(expires), "%d", reg->expires);
	g_ptr_array_set_size(reg->realms, 0);
	if (reg->state != REG_REGISTERED)
		reg->state = REG_REGISTERING;
	reg->nb_attempts++;
	log_info(MOD, "account=%s REGISTER %s at %s (expires %s)", acct_name(reg), reg->aor,
		 reg->acct->registrar, expires);
	/*
	 * NUTAG_PROXY is a handle parameter that nua takes from a request's tags, not from
	 * nua_handle()'s: every later request of the handle (refreshes, the un-REGISTER) then
	 * goes to the outbound proxy too, the Request-URI staying the registrar's.
	 */
	nua_register(
	    reg->nh, SIPTAG_EXPIRES_STR(expires), NUTAG_M_USERNAME(reg->contact_user),
	    TAG_IF(is_set(reg->acct->outbound_proxy), NUTAG_PROXY(reg->acct->outbound_proxy)),
	    NUTAG_OUTBOUND(REG_OUTBOUND_OPTIONS), TAG_END());
}

/* ---- responses ---- */

/* Whether two URI user parts are the same user: equal, or equal once unescaped (§19.1.4). */
static bool is_same_user(const char *a, const char *b)
{
	g_autofree char *ua = NULL, *ub = NULL;

	if (strcmp(a, b) == 0)
		return true;
	ua = g_uri_unescape_string(a, NULL);
	ub = g_uri_unescape_string(b, NULL);
	return ua != NULL && ub != NULL && strcmp(ua, ub) == 0;
}

static int url_port_num(const url_t *url)
{
	if (is_set(url->url_port))
		return atoi(url->url_port);
	return url->url_type == url_sips ? 5061 : 5060;
}

/*
 * The expiry the registrar granted to our binding (RFC 3261 §10.2.4: the Contact's expires
 * parameter, else Expires, else what we asked for). Ours is the contact with our user part and
 * port, on our host when several match (other devices may share the account).
 */
static int granted_expires(struct sip_reg *reg, sip_t const *msg)
{
	const struct ponte_config *cfg = sip_config(reg->set->sip);
	const char *host = sip_from_host(reg->set->sip);
	sip_contact_t const *mine = NULL;
	sip_time_t delta;

	for (sip_contact_t const *m = msg->sip_contact; m != NULL; m = m->m_next) {
		const url_t *u = m->m_url;

		if (u->url_user == NULL || !is_same_user(u->url_user, reg->contact_user) ||
		    url_port_num(u) != cfg->sip.port)
			continue;
		if (mine == NULL ||
		    (u->url_host != NULL && g_ascii_strcasecmp(u->url_host, host) == 0))
			mine = m;
	}
	if (mine != NULL) {
		delta = sip_contact_expires(mine, msg->sip_expires, msg->sip_date,
					    (sip_time_t)reg->expires, sip_now());
		return delta > INT_MAX ? INT_MAX : (int)delta;
	}
	if (msg->sip_expires != NULL)
		return msg->sip_expires->ex_delta > INT_MAX ? INT_MAX
							    : (int)msg->sip_expires->ex_delta;
	return reg->expires;
}

static gboolean on_expiry(gpointer data)
{
	struct sip_reg *reg = data;

	reg->expiry_timer = 0;
	if (reg->state == REG_REGISTERED) {
		log_warn(MOD, "account=%s binding expired without a refresh", acct_name(reg));
		reg->state = REG_REGISTERING;
	}
	return G_SOURCE_REMOVE;
}

static void reg_on_success(struct sip_reg *reg, int status, const char *phrase, sip_t const *msg)
{
	bool was_registered = reg->state == REG_REGISTERED;

	reg_stop_timers(reg);
	reg->state = REG_REGISTERED;
	reg_set_reason(reg, status, phrase_or_std(status, phrase));
	reg->granted = msg != NULL ? granted_expires(reg, msg) : reg->expires;
	reg->registered_us = g_get_monotonic_time();
	reg->nb_registrations++;
	reg->nb_failures = 0;
	/* The next refresh may be challenged again, with a new nonce. */
	g_ptr_array_set_size(reg->realms, 0);
	if (reg->granted > 0 && reg->granted < INT_MAX / 1000 - REG_EXPIRY_GRACE_S)
		reg->expiry_timer =
		    g_timeout_add_seconds((guint)reg->granted + REG_EXPIRY_GRACE_S, on_expiry, reg);
	if (was_registered)
		log_debug(MOD, "account=%s refreshed: %d %s, expires in %d s", acct_name(reg),
			  status, phrase, reg->granted);
	else
		log_info(MOD, "account=%s registered: %d %s, expires in %d s", acct_name(reg),
			 status, phrase, reg->granted);
}

static bool realm_is_answered(struct sip_reg *reg, const char *key)
{
	for (guint i = 0; i < reg->realms->len; i++) {
		if (strcmp(g_ptr_array_index(reg->realms, i), key) == 0)
			return true;
	}
	return false;
}

/* Collect "scheme:realm:user:password" for each challenge of h, and whether one is new. */
static void collect_challenges(struct sip_reg *reg, msg_auth_t const *h, GPtrArray *creds,
			       GPtrArray *keys, bool *has_new)
{
	const struct ponte_sip_account *a = reg->acct;

	for (; h != NULL; h = h->au_next) {
		const char *realm = msg_header_find_param(h->au_common, "realm=");
		char *key;

		const char *algorithm = msg_header_find_param(h->au_common, "algorithm=");

		if (h->au_scheme == NULL || realm == NULL)
			continue;
		key = g_strdup_printf("%s %s", h->au_scheme, realm);
		if (keys->len == 0) {
			g_free(reg->challenge);
			reg->challenge =
			    g_strdup_printf("%s%s%s", key, algorithm != NULL ? " algorithm=" : "",
					    algorithm != NULL ? algorithm : "");
		}
		if (!realm_is_answered(reg, key))
			*has_new = true;
		g_ptr_array_add(keys, key);
		/* The realm is still quoted, as nua wants it (RFC 3261 §25.1 quoted-string). */
		g_ptr_array_add(creds, g_strdup_printf("%s:%s:%s:%s", h->au_scheme, realm,
						       sip_str(a->username), sip_str(a->password)));
	}
}

static void wipe_free(gpointer p)
{
	char *s = p;

	explicit_bzero(s, strlen(s));
	g_free(s);
}

/*
 * A 401/407 nua could not answer from its cache (RFC 3261 §22.2): answer each challenge once per
 * attempt with the account's credentials; a realm challenging again within the attempt refused
 * them.
 */
static void reg_on_challenge(struct sip_reg *reg, int status, const char *phrase, sip_t const *msg)
{
	GPtrArray *creds = g_ptr_array_new_with_free_func(wipe_free);
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
	tagi_t *tags;
	bool has_new = false;

	collect_challenges(reg, msg->sip_www_authenticate, creds, keys, &has_new);
	collect_challenges(reg, msg->sip_proxy_authenticate, creds, keys, &has_new);
	if (creds->len == 0) {
		reg_fail(reg, status, "challenge without a realm", msg, true);
		goto out;
	}
	if (!is_set(reg->acct->username)) {
		reg_fail(reg, status, "challenged, but the account has no credentials", msg, true);
		goto out;
	}
	if (!has_new) {
		g_autofree char *why =
		    g_strdup_printf("%s: credentials refused (%s)", phrase_or_std(status, phrase),
				    (const char *)g_ptr_array_index(keys, 0));

		reg_fail(reg, status, why, msg, true);
		goto out;
	}
	tags = g_new0(tagi_t, creds->len + 1);
	for (guint i = 0; i < creds->len; i++) {
		tags[i].t_tag = nutag_auth;
		tags[i].t_value = (tag_value_t)g_ptr_array_index(creds, i);
		log_debug(MOD, "account=%s %d: answering %s as %s", acct_name(reg), status,
			  (const char *)g_ptr_array_index(keys, i), reg->acct->username);
	}
	tags[creds->len].t_tag = NULL; /* TAG_END */
	for (guint i = 0; i < keys->len; i++)
		g_ptr_array_add(reg->realms, g_strdup(g_ptr_array_index(keys, i)));
	/* nua copies the tags before this returns. */
	nua_authenticate(reg->nh, TAG_NEXT(tags));
	g_free(tags);
out:
	g_ptr_array_free(creds, TRUE);
	g_ptr_array_free(keys, TRUE);
}

static void reg_on_register(struct sip_reg *reg, int status, const char *phrase, sip_t const *msg)
{
	if (status < 200) {
		/*
		 * nua restarts the request itself (credentials from its cache, a redirect, a 423,
		 * a 5xx with a short Retry-After): the response that made it do so is in msg.
		 */
		int real = msg != NULL && msg->sip_status != NULL ? msg->sip_status->st_status : 0;

		if (real >= 300) {
			log_debug(MOD, "account=%s %d %s: %s", acct_name(reg), real,
				  sip_str(msg->sip_status->st_phrase), phrase);
			if (msg->sip_retry_after != NULL) {
				/* Report the wait; nua's timer does the retry. */
				reg->state = REG_FAILED;
				reg_set_reason(reg, real,
					       phrase_or_std(real, msg->sip_status->st_phrase));
				reg->retry_us =
				    g_get_monotonic_time() +
				    (gint64)msg->sip_retry_after->af_delta * G_USEC_PER_SEC;
			}
		}
		return;
	}
	if (status < 300) {
		reg_on_success(reg, status, phrase, msg);
		return;
	}
	if ((status == 401 || status == 407) && msg != NULL &&
	    (msg->sip_www_authenticate != NULL || msg->sip_proxy_authenticate != NULL)) {
		reg_on_challenge(reg, status, phrase, msg);
		return;
	}
	/* nua's own failures (9xx) read as 503 to the operator, with nua's phrase. */
	reg_fail(reg, status >= 700 ? 503 : status, phrase_or_std(status, phrase), msg, false);
}

/*
 * Note where a 2xx to our REGISTER came from: the registrar, or the outbound proxy in front of
 * it, which is where calls for the account will come from too, whatever host name the
 * configuration gives. The response is only reachable through a saved event; it is released
 * before this returns.
 */
static void reg_note_peer(struct sip_reg *reg)
{
	nua_saved_event_t saved[1];
	nua_event_data_t const *data;
	su_addrinfo_t *ai;

	if (!nua_save_event(sip_nua(reg->set->sip), saved))
		return;
	data = nua_event_data(saved);
	ai = data != NULL && data->e_msg != NULL ? msg_addrinfo(data->e_msg) : NULL;
	if (ai != NULL && ai->ai_addr != NULL && ai->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, reg->peer_ip,
			  sizeof(reg->peer_ip));
	else if (ai != NULL && ai->ai_addr != NULL && ai->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, reg->peer_ip,
			  sizeof(reg->peer_ip));
	nua_destroy_event(saved);
}

static void reg_on_event(struct sip_owner *owner, nua_event_t event, int status, const char *phrase,
			 nua_handle_t *nh, sip_t const *msg, tagi_t const *tags)
{
	struct sip_reg *reg = (struct sip_reg *)owner;

	switch (event) {
	case nua_r_register:
		reg_on_register(reg, status, phrase, msg);
		/* Last: the saved event takes msg with it. */
		if (status >= 200 && status < 300)
			reg_note_peer(reg);
		break;
	case nua_r_unregister:
		/*
		 * nua un-REGISTERs by itself after a refresh refused with 5xx/6xx (a graceful end
		 * of the usage, RFC 5057 §5.1); our retry then registers anew. Should that
		 * un-REGISTER be challenged, nua would hold the handle waiting for credentials,
		 * and our next REGISTER behind it: drop the handle instead.
		 */
		log_debug(MOD, "account=%s un-REGISTER by the stack: %d %s", acct_name(reg), status,
			  phrase);
		if ((status == 401 || status == 407) && reg->nh != NULL) {
			nua_handle_destroy(reg->nh);
			reg->nh = NULL;
			if (reg->state == REG_REGISTERING)
				reg_send(reg);
		}
		break;
	case nua_r_authenticate:
		/* Only sent when our credentials could not be used (no challenge to answer). */
		if (status >= 300 || status == 202) {
			g_autofree char *why =
			    g_strdup_printf("cannot answer the challenge %s: %d %s",
					    sip_str(reg->challenge), status, phrase);

			reg_fail(reg, reg->status >= 300 ? reg->status : 401, why, NULL, true);
		}
		break;
	default:
		log_debug(MOD, "account=%s %s %d %s", acct_name(reg), nua_event_name(event), status,
			  phrase);
		break;
	}
}

/* ---- the API ---- */

int sip_reg_start(struct ponte_sip *sip)
{
	const struct ponte_config *cfg = sip_config(sip);
	struct sip_reg_set *set;

	if (set_find(sip) != NULL)
		return -EALREADY;
	set = g_new0(struct sip_reg_set, 1);
	set->sip = sip;
	set->nb_regs = cfg->sip.nb_accounts;
	set->regs = g_new0(struct sip_reg, set->nb_regs > 0 ? set->nb_regs : 1);
	reg_sets = g_list_prepend(reg_sets, set);

	for (size_t i = 0; i < set->nb_regs; i++) {
		struct sip_reg *reg = &set->regs[i];
		const char *why;

		reg->owner.on_event = reg_on_event;
		reg->set = set;
		reg->acct = &cfg->sip.accounts[i];
		reg->realms = g_ptr_array_new_with_free_func(g_free);
		reg->expires = reg->acct->expires > 0 ? reg->acct->expires : REG_EXPIRES_DEFAULT;
		if (!reg->acct->do_register) {
			reg->state = REG_DISABLED;
			continue;
		}
		why = reg_prepare(reg);
		if (why != NULL) {
			reg->state = REG_FAILED;
			reg_set_reason(reg, 0, why);
			log_error(MOD, "account=%s cannot register: %s", acct_name(reg), why);
			continue;
		}
		reg->state = REG_UNREGISTERED;
		reg_send(reg);
	}
	return 0;
}

void sip_reg_stop(struct ponte_sip *sip)
{
	struct sip_reg_set *set = set_find(sip);

	if (set == NULL)
		return;
	reg_sets = g_list_remove(reg_sets, set);
	for (size_t i = 0; i < set->nb_regs; i++) {
		struct sip_reg *reg = &set->regs[i];

		reg_stop_timers(reg);
		if (reg->nh != NULL) {
			/*
			 * The un-REGISTER (Expires: 0, RFC 3261 §10.2.2) goes out with our cached
			 * credentials when nua processes it, before the destroy queued after it;
			 * nta carries the transaction on after the handle is gone. (This nua would
			 * also un-REGISTER by itself on destroy, once: not older ones.)
			 */
			if (reg->state == REG_REGISTERED) {
				log_info(MOD, "account=%s un-REGISTER", acct_name(reg));
				nua_unregister(reg->nh, TAG_END());
			}
			nua_handle_destroy(reg->nh);
			reg->nh = NULL;
		}
		reg->state = REG_UNREGISTERED;
		g_ptr_array_free(reg->realms, TRUE);
		g_free(reg->aor);
		g_free(reg->aor_user);
		g_free(reg->contact_user);
		g_free(reg->reason);
		g_free(reg->challenge);
	}
	g_free(set->regs);
	g_free(set);
}

static json_t *json_str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

void sip_reg_status(struct ponte_sip *sip, json_t *array)
{
	struct sip_reg_set *set = set_find(sip);
	gint64 now = g_get_monotonic_time();

	if (set == NULL)
		return;
	for (size_t i = 0; i < set->nb_regs; i++) {
		struct sip_reg *reg = &set->regs[i];
		json_t *expires_in = json_null(), *retry_in = json_null();

		if (reg->state == REG_REGISTERED) {
			gint64 left =
			    reg->registered_us + (gint64)reg->granted * G_USEC_PER_SEC - now;

			expires_in = json_integer(left > 0 ? left / G_USEC_PER_SEC : 0);
		}
		if (reg->retry_us != 0) {
			gint64 left = reg->retry_us - now;

			/* Rounded up: a pending retry never shows as 0; one under way as null. */
			if (left > 0)
				retry_in =
				    json_integer((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
		}
		json_array_append_new(
		    array,
		    json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:I, s:I, s:o}", "name",
			      sip_str(reg->acct->name), "aor", json_str_or_null(reg->aor), "state",
			      state_names[reg->state], "status",
			      reg->status > 0 ? json_integer(reg->status) : json_null(), "reason",
			      json_str_or_null(reg->reason), "expires_in", expires_in,
			      "next_retry_in", retry_in, "registrations",
			      (json_int_t)reg->nb_registrations, "attempts",
			      (json_int_t)reg->nb_attempts, "peer",
			      json_str_or_null(reg->peer_ip[0] != '\0' ? reg->peer_ip : NULL)));
	}
}

bool sip_reg_is_local_user(struct ponte_sip *sip, const char *user, const char **account_name)
{
	struct sip_reg_set *set = set_find(sip);

	if (set == NULL || !is_set(user))
		return false;
	for (size_t i = 0; i < set->nb_regs; i++) {
		struct sip_reg *reg = &set->regs[i];

		if (reg->contact_user != NULL && is_same_user(user, reg->contact_user)) {
			if (account_name != NULL)
				*account_name = reg->acct->name;
			return true;
		}
	}
	return false;
}

/* Whether a and b are the same IP address (IPv4 or IPv6 literals, any spelling). */
static bool is_same_ip(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	int fa = strchr(a, ':') != NULL ? AF_INET6 : AF_INET;
	int fb = strchr(b, ':') != NULL ? AF_INET6 : AF_INET;

	return fa == fb && inet_pton(fa, a, x) == 1 && inet_pton(fb, b, y) == 1 &&
	       memcmp(x, y, fa == AF_INET ? 4 : 16) == 0;
}

/* Whether ip is the host of uri, when that host is an IP literal. */
static bool is_uri_ip(const char *uri, const char *ip)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	url_t *url = is_set(uri) ? url_make(home, uri) : NULL;
	bool is_it = false;

	if (url != NULL && is_set(url->url_host)) {
		g_autofree char *host =
		    url->url_host[0] == '['
			? g_strndup(url->url_host + 1, strlen(url->url_host) - 2)
			: g_strdup(url->url_host);

		is_it = is_same_ip(host, ip);
	}
	su_home_deinit(home);
	return is_it;
}

/* Whether ip is where reg's account talks to us from: its registrar or outbound proxy. */
static bool is_account_peer(const struct sip_reg *reg, const char *ip)
{
	if (!is_set(ip))
		return false;
	return (reg->peer_ip[0] != '\0' && is_same_ip(reg->peer_ip, ip)) ||
	       is_uri_ip(reg->acct->registrar, ip) || is_uri_ip(reg->acct->outbound_proxy, ip);
}

const struct ponte_sip_account *sip_reg_account_for(struct ponte_sip *sip, const char *user,
						    const char *ip, bool *is_from_account)
{
	struct sip_reg_set *set = set_find(sip);

	*is_from_account = false;
	if (set == NULL || !is_set(user))
		return NULL;
	/* The Contact we registered: its user is ours alone. */
	for (size_t i = 0; i < set->nb_regs; i++) {
		struct sip_reg *reg = &set->regs[i];

		if (reg->contact_user != NULL && is_same_user(user, reg->contact_user)) {
			*is_from_account = is_account_peer(reg, ip);
			return reg->acct;
		}
	}
	/* The address of record's user: only from the account's own registrar or proxy, since
	 * two providers may well give two accounts the same user name. */
	for (size_t i = 0; i < set->nb_regs; i++) {
		struct sip_reg *reg = &set->regs[i];

		if (reg->aor_user != NULL && is_same_user(user, reg->aor_user) &&
		    is_account_peer(reg, ip)) {
			*is_from_account = true;
			return reg->acct;
		}
	}
	return NULL;
}

const char *sip_reg_incoming_target(const struct ponte_sip_account *a)
{
	return is_set(a->incoming) ? a->incoming : sip_str(a->name);
}

bool sip_reg_is_incoming_target(const char *s)
{
	size_t n = strlen(s);

	if (g_str_has_prefix(s, INCOMING_ROOM_PREFIX))
		return room_name_is_valid(s + strlen(INCOMING_ROOM_PREFIX),
					  n - strlen(INCOMING_ROOM_PREFIX));
	if (n == 0 || n > INCOMING_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

int sip_reg_check_config(const struct ponte_config *cfg, char **why)
{
	for (size_t i = 0; i < cfg->sip.nb_accounts; i++) {
		const struct ponte_sip_account *a = &cfg->sip.accounts[i];
		const char *target = a->incoming;

		/* Without one, the account's name: the configuration's names are browser names. */
		if (is_set(target) && !sip_reg_is_incoming_target(target)) {
			g_autofree char *shown = g_strescape(target, NULL);

			*why = g_strdup_printf("sip.accounts[%zu] (%s): incoming \"%.64s\" is "
					       "neither a browser name (1 to %d of [A-Za-z0-9._-]) "
					       "nor room-KEY (a room name of 1 to %d bytes without "
					       "':' or control characters)",
					       i, sip_str(a->name), shown, INCOMING_NAME_MAX,
					       ROOM_NAME_MAX);
			return -EINVAL;
		}
	}
	return 0;
}
