/* SPDX-License-Identifier: MIT */
/*
 * Digest authentication for sofia-sip's nua: an auth client plugin for the "Digest" scheme that
 * answers MD5, MD5-sess, SHA-256, SHA-256-sess, SHA-512-256 and SHA-512-256-sess challenges
 * (RFC 7616 §3.4 and §6.1; RFC 8760 §2.2 makes SHA-256 and SHA-512-256 mandatory for SIP), where
 * sofia's own plugin only knows MD5 and MD5-sess.
 *
 * How sofia-sip 1.12.11 (libsofia-sip-ua/iptsec/auth_client.c) drives a plugin:
 * - auc_challenge() keeps one auth_client_t per scheme, realm (as written, quotes included) and
 *   credential class on the handle, allocated with our auc_size as a sub-home of the handle's
 *   home, and calls our challenge function once for each WWW-Authenticate/Proxy-Authenticate
 *   header that matches it, in the order of the headers. A negative return fails the whole
 *   auc_challenge() (nua then reports the 401/407 as it is); 2 means "resend with the
 *   credentials held" (nua restarts the request by itself if it has them), 1 "noted". When a
 *   request that was already challenged gets no 2, nua takes the credentials for wrong, clears
 *   them and reports the 401/407.
 * - nua_authenticate() reaches our save function through auc_credentials(); every request of the
 *   handle then goes through our authorize function; Authentication-Info through our info
 *   function; clearing and copying credentials through ours too.
 *
 * Several challenges for one realm in one response (RFC 8760 §2.4: SHA-256 and MD5, say): the
 * call for the first of them sees them all through au_next and picks the strongest one it can
 * answer (SHA-512-256, then SHA-256, then MD5; the topmost among equals). RFC 8760 has the UAC
 * take the topmost one it supports "unless a local policy dictates otherwise": preferring the
 * strongest is that policy, and it keeps a reordering middlebox from forcing MD5. The calls for
 * the later headers of the same list are recognized by their address and only counted.
 * Challenges we cannot answer (unknown algorithm or qop, no nonce, oversized values) are
 * skipped; only when none for the realm is left does the challenge fail.
 *
 * Credentials are kept as H(username:realm:password) for each hash, computed when they are
 * saved (a client's realm never changes) and wiped when the client is freed: the password
 * itself is not kept.
 *
 * Not implemented: userhash (RFC 7616 §3.4.4; the username goes as is, which is what a client
 * without userhash support does) and checking rspauth in Authentication-Info (its nextnonce is
 * used).
 */
/* libsofia-sip-ua is built with it: without it our auth_client_t would be shorter than sofia's
 * (auc_register_plugin() refuses an auc_size below it) and would lack ca_clear. */
#define SOFIA_EXTEND_AUTH_CLIENT 1

#include "sip_digest.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <sofia-sip/auth_client.h>
#include <sofia-sip/auth_client_plugin.h>
#include <sofia-sip/auth_common.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_string.h>
#include <sofia-sip/url.h>

#include "log.h"

#define MOD "sip"

#define HEX_MAX PONTE_SIP_DIGEST_HEX_MAX
/* Longest nonce, opaque or realm we send back; a challenge with a longer one is skipped. */
#define PARAM_MAX 1024
/* Challenges for one realm in one response that are parsed; later ones are ignored. */
#define OFFERS_MAX 16
/* Random bytes in a cnonce: 32 hex digits. */
#define CNONCE_BYTES 16

/* Weakest first: a higher value is preferred. */
enum hash_id { HASH_MD5, HASH_SHA256, HASH_SHA512_256, NB_HASHES };

enum qop { QOP_NONE, QOP_AUTH, QOP_AUTH_INT };

static const char *const qop_names[] = {
    [QOP_NONE] = "", [QOP_AUTH] = "auth", [QOP_AUTH_INT] = "auth-int"};

struct digest_alg {
	const char *name;
	enum hash_id hash;
	bool is_sess;
};

/* RFC 7616 §6.1, the IANA "Hash Algorithms for HTTP Digest Authentication" registry. */
static const struct digest_alg algs[] = {
    {"MD5", HASH_MD5, false},
    {"MD5-sess", HASH_MD5, true},
    {"SHA-256", HASH_SHA256, false},
    {"SHA-256-sess", HASH_SHA256, true},
    {"SHA-512-256", HASH_SHA512_256, false},
    {"SHA-512-256-sess", HASH_SHA512_256, true},
};

/* ---- the computation (RFC 7616 §3.4) ---- */

struct part {
	const void *data;
	size_t len;
};

#define PART(s) ((struct part){(s), strlen(s)})

static const EVP_MD *hash_md(enum hash_id id)
{
	switch (id) {
	case HASH_MD5:
		return EVP_md5();
	case HASH_SHA256:
		return EVP_sha256();
	case HASH_SHA512_256:
		return EVP_sha512_256();
	default:
		return NULL;
	}
}

static size_t hash_hex_len(enum hash_id id)
{
	return id == HASH_MD5 ? 32 : 64;
}

/* Algorithm name (any case, RFC 7616 §3.3 tokens) to its entry; NULL means MD5 (§3.3). */
static const struct digest_alg *find_alg(const char *name)
{
	if (name == NULL)
		return &algs[0];
	for (size_t i = 0; i < G_N_ELEMENTS(algs); i++)
		if (strcasecmp(name, algs[i].name) == 0)
			return &algs[i];
	return NULL;
}

static void to_hex(const unsigned char *b, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[b[i] >> 4];
		hex[2 * i + 1] = digits[b[i] & 15];
	}
	hex[2 * len] = '\0';
}

/* H(p0:p1:...) in lowercase hex: the parts joined with colons, as every value of §3.4 is. */
static int hash_hex(enum hash_id id, const struct part *parts, size_t nb_parts, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *type = hash_md(id);
	int rc = -EIO;

	if (ctx == NULL)
		return -ENOMEM;
	if (type == NULL || EVP_DigestInit_ex(ctx, type, NULL) != 1)
		goto out;
	for (size_t i = 0; i < nb_parts; i++) {
		if (i > 0 && EVP_DigestUpdate(ctx, ":", 1) != 1)
			goto out;
		if (parts[i].len > 0 && EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || 2 * (size_t)len + 1 > HEX_MAX)
		goto out;
	to_hex(md, len, hex);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

/* H(username:realm:password), the secret part of A1 (§3.4.2). */
static int ha1_base(enum hash_id id, const char *user, const char *realm, const char *password,
		    char *hex)
{
	const struct part p[] = {PART(user), PART(realm), PART(password)};

	return hash_hex(id, p, G_N_ELEMENTS(p), hex);
}

struct digest_req {
	const struct digest_alg *alg;
	const char *ha1; /* H(username:realm:password) with alg's hash */
	const char *nonce;
	const char *cnonce, *nc; /* with a qop (and -sess, which requires one) */
	enum qop qop;
	const char *method, *uri;
	const void *body; /* for auth-int */
	size_t body_len;
};

static int digest_compute(const struct digest_req *r, char *out)
{
	char ha1_sess[HEX_MAX], ha2[HEX_MAX], hbody[HEX_MAX];
	const char *ha1 = r->ha1;
	enum hash_id id = r->alg->hash;
	int rc;

	if (r->alg->is_sess) {
		/* §3.4.2: A1 = H(username:realm:password):nonce:cnonce for the -sess variants. */
		const struct part p[] = {PART(r->ha1), PART(r->nonce), PART(r->cnonce)};

		rc = hash_hex(id, p, G_N_ELEMENTS(p), ha1_sess);
		if (rc < 0)
			goto out;
		ha1 = ha1_sess;
	}
	if (r->qop == QOP_AUTH_INT) {
		/* §3.4.3: A2 = method:uri:H(entity-body). */
		const struct part b = {r->body != NULL ? r->body : "", r->body_len};

		rc = hash_hex(id, &b, 1, hbody);
		if (rc == 0) {
			const struct part p[] = {PART(r->method), PART(r->uri), PART(hbody)};

			rc = hash_hex(id, p, G_N_ELEMENTS(p), ha2);
		}
	} else {
		const struct part p[] = {PART(r->method), PART(r->uri)};

		rc = hash_hex(id, p, G_N_ELEMENTS(p), ha2);
	}
	if (rc < 0)
		goto out;
	if (r->qop != QOP_NONE) {
		/* §3.4.1: KD(H(A1), nonce:nc:cnonce:qop:H(A2)). */
		const struct part p[] = {PART(ha1),	  PART(r->nonce),	   PART(r->nc),
					 PART(r->cnonce), PART(qop_names[r->qop]), PART(ha2)};

		rc = hash_hex(id, p, G_N_ELEMENTS(p), out);
	} else {
		/* RFC 2069 §2.1.2, kept by RFC 2617 §3.2.2.1: KD(H(A1), nonce:H(A2)). */
		const struct part p[] = {PART(ha1), PART(r->nonce), PART(ha2)};

		rc = hash_hex(id, p, G_N_ELEMENTS(p), out);
	}
out:
	explicit_bzero(ha1_sess, sizeof(ha1_sess));
	return rc;
}

int ponte_sip_digest_response(const char *algorithm, const char *user, const char *realm,
			      const char *password, const char *method, const char *uri,
			      const char *nonce, const char *cnonce, const char *nc,
			      const char *qop, const char *body, size_t body_len, char *out,
			      size_t outlen)
{
	struct digest_req r = {.nonce = nonce,
			       .cnonce = cnonce,
			       .nc = nc,
			       .method = method,
			       .uri = uri,
			       .body = body,
			       .body_len = body_len};
	char ha1[HEX_MAX], response[HEX_MAX];
	int rc;

	if (user == NULL || realm == NULL || password == NULL || method == NULL || uri == NULL ||
	    nonce == NULL || out == NULL || (body == NULL && body_len > 0))
		return -EINVAL;
	r.alg = find_alg(algorithm);
	if (r.alg == NULL)
		return -EINVAL;
	if (qop == NULL)
		r.qop = QOP_NONE;
	else if (strcmp(qop, "auth") == 0)
		r.qop = QOP_AUTH;
	else if (strcmp(qop, "auth-int") == 0)
		r.qop = QOP_AUTH_INT;
	else
		return -EINVAL;
	if ((r.qop != QOP_NONE && (cnonce == NULL || nc == NULL)) ||
	    (r.alg->is_sess && cnonce == NULL))
		return -EINVAL;
	if (outlen < hash_hex_len(r.alg->hash) + 1)
		return -ENOSPC;
	rc = ha1_base(r.alg->hash, user, realm, password, ha1);
	if (rc == 0) {
		r.ha1 = ha1;
		rc = digest_compute(&r, response);
	}
	if (rc == 0)
		memcpy(out, response, hash_hex_len(r.alg->hash) + 1);
	explicit_bzero(ha1, sizeof(ha1));
	return rc;
}

/* ---- the plugin ---- */

struct digest_client {
	auth_client_t ca; /* first: sofia allocates auc_size bytes and uses them as this */
	bool is_set_up;	  /* realm is set and the wiping destructor registered */
	char *realm;	  /* unquoted, as hashed and sent back */
	/* The credentials as H(username:realm:password) for each hash ("" if the hash failed),
	 * unusable while ca.ca_clear is set; ca.ca_user is the username, ca.ca_pass an empty
	 * placeholder that sofia wants non-NULL. */
	bool has_ha1;
	char ha1[NB_HASHES][HEX_MAX];
	/* The challenge requests answer; alg is NULL while there is none. */
	const struct digest_alg *alg;
	char *alg_token; /* the server's spelling, echoed; NULL if it sent none (MD5) */
	char *nonce;
	char *opaque; /* NULL if none */
	enum qop qop;
	char cnonce[2 * CNONCE_BYTES + 1]; /* "" until the first request with this nonce */
	uint32_t nc;			   /* requests sent with this nonce and cnonce */
	/* Where we are in a response's list of challenges (see the top of the file). */
	const msg_auth_t *round_next; /* only compared, never dereferenced */
	unsigned int nb_round_left;
};

/* One challenge as we would answer it. */
struct offer {
	const struct digest_alg *alg;
	const char *alg_token, *nonce, *opaque;
	enum qop qop;
	bool is_stale;
};

/* Called by sofia when the client's home is freed, before its memory is. */
static void client_wipe(void *home)
{
	struct digest_client *dc = home;

	explicit_bzero(dc->ha1, sizeof(dc->ha1));
	dc->has_ha1 = false;
}

static bool is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Whether s fits back in a quoted-string (RFC 3261 §25.1) and is not oversized. */
static bool is_sendable(const char *s)
{
	for (size_t n = 0; s[n] != '\0'; n++)
		if (n >= PARAM_MAX || is_ctl((unsigned char)s[n]))
			return false;
	return true;
}

static bool append_quoted(GString *s, const char *v)
{
	g_string_append_c(s, '"');
	for (; *v != '\0'; v++) {
		if (is_ctl((unsigned char)*v))
			return false;
		if (*v == '"' || *v == '\\')
			g_string_append_c(s, '\\');
		g_string_append_c(s, *v);
	}
	g_string_append_c(s, '"');
	return true;
}

static int client_set_up(struct digest_client *dc)
{
	auth_client_t *ca = &dc->ca;

	if (ca->ca_realm == NULL)
		return -EINVAL;
	if (dc->realm == NULL)
		dc->realm = ca->ca_realm[0] == '"' ? msg_unquote_dup(ca->ca_home, ca->ca_realm)
						   : su_strdup(ca->ca_home, ca->ca_realm);
	if (dc->realm == NULL)
		return -ENOMEM;
	if (!is_sendable(dc->realm))
		return -EINVAL;
	if (su_home_destructor(ca->ca_home, client_wipe) < 0)
		return -ENOMEM;
	dc->is_set_up = true;
	return 0;
}

/* Whether sofia hands challenge ch to client ca: the same test as auth_client.c's. */
static bool is_ours(const auth_client_t *ca, const msg_auth_t *ch)
{
	const char *realm;

	if (ch->au_scheme == NULL || !su_casematch(ch->au_scheme, ca->ca_scheme))
		return false;
	realm = msg_header_find_param(ch->au_common, "realm=");
	return realm != NULL && su_strmatch(realm, ca->ca_realm);
}

static const msg_auth_t *next_ours(const auth_client_t *ca, const msg_auth_t *ch)
{
	for (; ch != NULL; ch = ch->au_next)
		if (is_ours(ca, ch))
			return ch;
	return NULL;
}

/* qop-options (RFC 7616 §3.3): tokens separated by commas and spaces; auth is preferred to
 * auth-int, unknown tokens are skipped. Negative if neither is offered. */
static int pick_qop(const char *list)
{
	bool has_auth = false, has_auth_int = false;

	while (*list != '\0') {
		size_t n;

		list += strspn(list, ", \t");
		n = strcspn(list, ", \t");
		if (n == 4 && strncasecmp(list, "auth", 4) == 0)
			has_auth = true;
		else if (n == 8 && strncasecmp(list, "auth-int", 8) == 0)
			has_auth_int = true;
		list += n;
	}
	return has_auth ? QOP_AUTH : has_auth_int ? QOP_AUTH_INT : -1;
}

/* Read a challenge's parameters (RFC 7616 §3.3, unquoted into home); false if we cannot answer
 * it. */
static bool parse_offer(su_home_t *home, const msg_auth_t *ch, struct offer *o)
{
	const char *nonce = NULL, *opaque = NULL, *algorithm = NULL, *qop = NULL, *stale = NULL;
	int q = QOP_NONE;

	memset(o, 0, sizeof(*o));
	if (ch->au_params == NULL ||
	    auth_get_params(home, ch->au_params, "nonce=", &nonce, "opaque=", &opaque,
			    "algorithm=", &algorithm, "qop=", &qop, "stale=", &stale, NULL) < 0)
		return false;
	if (nonce == NULL || !is_sendable(nonce) || (opaque != NULL && !is_sendable(opaque)))
		return false;
	o->alg = find_alg(algorithm);
	if (o->alg == NULL)
		return false;
	if (qop != NULL) {
		q = pick_qop(qop);
		if (q < 0)
			return false;
	}
	/* -sess hashes a cnonce, and a cnonce goes only with a qop (RFC 2617 §3.2.2). */
	if (o->alg->is_sess && q == QOP_NONE)
		return false;
	o->alg_token = algorithm;
	o->nonce = nonce;
	o->opaque = opaque;
	o->qop = (enum qop)q;
	o->is_stale = stale != NULL && strcasecmp(stale, "true") == 0;
	return true;
}

static void forget_challenge(struct digest_client *dc)
{
	su_home_t *home = dc->ca.ca_home;

	su_free(home, dc->alg_token);
	su_free(home, dc->nonce);
	su_free(home, dc->opaque);
	dc->alg_token = dc->nonce = dc->opaque = NULL;
	dc->alg = NULL;
	dc->qop = QOP_NONE;
	dc->cnonce[0] = '\0';
	dc->nc = 0;
}

static int store_challenge(struct digest_client *dc, const struct offer *o)
{
	su_home_t *home = dc->ca.ca_home;
	char *token = o->alg_token != NULL ? su_strdup(home, o->alg_token) : NULL;
	char *nonce = su_strdup(home, o->nonce);
	char *opaque = o->opaque != NULL ? su_strdup(home, o->opaque) : NULL;
	bool is_new_nonce = dc->nonce == NULL || strcmp(dc->nonce, o->nonce) != 0;

	if (nonce == NULL || (o->alg_token != NULL && token == NULL) ||
	    (o->opaque != NULL && opaque == NULL)) {
		su_free(home, token);
		su_free(home, nonce);
		su_free(home, opaque);
		forget_challenge(dc);
		return -ENOMEM;
	}
	su_free(home, dc->alg_token);
	su_free(home, dc->nonce);
	su_free(home, dc->opaque);
	dc->alg = o->alg;
	dc->alg_token = token;
	dc->nonce = nonce;
	dc->opaque = opaque;
	dc->qop = o->qop;
	/* nc counts the requests sent with a nonce (§3.4): a new nonce starts over, with a new
	 * cnonce. The same nonce again, not stale, is the server refusing our answer. */
	if (is_new_nonce || o->is_stale) {
		dc->cnonce[0] = '\0';
		dc->nc = 0;
	}
	return 0;
}

static int digest_challenge(auth_client_t *ca, msg_auth_t const *ch)
{
	struct digest_client *dc = (struct digest_client *)ca;
	su_home_t tmp[1] = {SU_HOME_INIT(tmp)};
	struct offer best = {0}, o;
	unsigned int nb = 0;
	bool had_challenge = dc->alg != NULL;
	int rc;

	if (!dc->is_set_up && client_set_up(dc) < 0)
		return -1;
	if (dc->nb_round_left > 0 && ch == dc->round_next) {
		/* A later header of the list the first call chose from. */
		dc->nb_round_left--;
		dc->round_next = next_ours(ca, ch->au_next);
		return 1;
	}
	for (const msg_auth_t *h = ch; h != NULL; h = h->au_next) {
		if (!is_ours(ca, h))
			continue;
		if (++nb > OFFERS_MAX || !parse_offer(tmp, h, &o))
			continue;
		if (best.alg == NULL || o.alg->hash > best.alg->hash)
			best = o;
	}
	dc->nb_round_left = nb > 0 ? nb - 1 : 0;
	dc->round_next = next_ours(ca, ch->au_next);
	if (best.alg == NULL) {
		log_warn(MOD,
			 "digest realm=%.64s: none of %u challenge(s) can be answered "
			 "(algorithm, qop or nonce)",
			 dc->realm, nb);
		forget_challenge(dc);
		dc->nb_round_left = 0;
		su_home_deinit(tmp);
		return -1;
	}
	rc = store_challenge(dc, &best);
	su_home_deinit(tmp);
	if (rc < 0) {
		dc->nb_round_left = 0;
		return -1;
	}
	log_debug(MOD, "digest realm=%.64s: %s%s%s of %u challenge(s)", dc->realm, dc->alg->name,
		  dc->qop != QOP_NONE ? " qop=" : "", qop_names[dc->qop], nb);
	/* stale=true: our credentials were right, only the nonce expired (RFC 7616 §3.3). */
	return best.is_stale || !had_challenge ? 2 : 1;
}

static int new_cnonce(char *hex)
{
	unsigned char b[CNONCE_BYTES];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	to_hex(b, sizeof(b), hex);
	return 0;
}

static int digest_authorize(auth_client_t *ca, su_home_t *home, char const *method,
			    url_t const *url, msg_payload_t const *body,
			    msg_header_t **return_headers)
{
	struct digest_client *dc = (struct digest_client *)ca;
	struct digest_req r = {0};
	char response[HEX_MAX], nc[9];
	char *uri = NULL;
	GString *s = NULL;
	bool is_ok;
	int rc = -1;

	dc->nb_round_left = 0;
	if (ca->ca_user == NULL || ca->ca_clear || !dc->has_ha1)
		return 0; /* no credentials: no header, as sofia's own plugin */
	if (dc->alg == NULL || method == NULL || url == NULL || dc->ha1[dc->alg->hash][0] == '\0')
		return -1;
	uri = url_as_string(home, url);
	if (uri == NULL)
		return -1;
	if (dc->qop != QOP_NONE) {
		if (dc->nc == UINT32_MAX)
			goto out; /* nc would repeat: wait for a new nonce */
		if ((dc->nc == 0 || dc->cnonce[0] == '\0') && new_cnonce(dc->cnonce) < 0)
			goto out;
		dc->nc++;
		snprintf(nc, sizeof(nc), "%08" PRIx32, dc->nc);
	}
	r.alg = dc->alg;
	r.ha1 = dc->ha1[dc->alg->hash];
	r.nonce = dc->nonce;
	r.cnonce = dc->cnonce;
	r.nc = nc;
	r.qop = dc->qop;
	r.method = method;
	r.uri = uri;
	r.body = body != NULL ? body->pl_data : NULL;
	r.body_len = body != NULL && body->pl_data != NULL ? body->pl_len : 0;
	if (digest_compute(&r, response) < 0)
		goto out;

	/* RFC 7616 §3.4 (RFC 3261 §25.1 dig-resp): quoted strings, except algorithm, qop, nc. */
	s = g_string_new("Digest username=");
	is_ok = append_quoted(s, ca->ca_user);
	g_string_append(s, ", realm=");
	is_ok = is_ok && append_quoted(s, dc->realm);
	g_string_append(s, ", nonce=");
	is_ok = is_ok && append_quoted(s, dc->nonce);
	g_string_append(s, ", uri=");
	is_ok = is_ok && append_quoted(s, uri);
	g_string_append_printf(s, ", response=\"%s\"", response);
	if (dc->alg_token != NULL)
		g_string_append_printf(s, ", algorithm=%s", dc->alg_token);
	if (dc->qop != QOP_NONE) {
		g_string_append_printf(s, ", cnonce=\"%s\", qop=%s, nc=%s", dc->cnonce,
				       qop_names[dc->qop], nc);
	}
	if (dc->opaque != NULL) {
		g_string_append(s, ", opaque=");
		is_ok = is_ok && append_quoted(s, dc->opaque);
	}
	if (!is_ok)
		goto out; /* a control character in the username or URI */
	*return_headers = msg_header_make(home, ca->ca_credential_class, s->str);
	rc = *return_headers != NULL ? 0 : -1;
out:
	if (s != NULL)
		g_string_free(s, TRUE);
	su_free(home, uri);
	return rc;
}

/* Authentication-Info or Proxy-Authentication-Info: the nonce for the next request (RFC 7616
 * §3.5). */
static int digest_info(auth_client_t *ca, msg_auth_info_t const *ai)
{
	struct digest_client *dc = (struct digest_client *)ca;
	su_home_t tmp[1] = {SU_HOME_INIT(tmp)};
	const char *nextnonce = NULL;
	char *nonce;
	int rc = 0;

	dc->nb_round_left = 0;
	if (dc->alg == NULL || ai == NULL || ai->ai_params == NULL)
		return 0;
	if (auth_get_params(tmp, ai->ai_params, "nextnonce=", &nextnonce, NULL) < 0) {
		rc = -1;
	} else if (nextnonce != NULL && nextnonce[0] != '\0' && is_sendable(nextnonce) &&
		   strcmp(nextnonce, dc->nonce) != 0) {
		nonce = su_strdup(ca->ca_home, nextnonce);
		if (nonce == NULL) {
			rc = -1;
		} else {
			su_free(ca->ca_home, dc->nonce);
			dc->nonce = nonce;
			dc->cnonce[0] = '\0';
			dc->nc = 0;
			rc = 1;
		}
	}
	su_home_deinit(tmp);
	return rc;
}

/*
 * What auc_clear_credentials() calls when the server refused our credentials. The hashes stay
 * (they are wiped when the client is freed) so that being handed the same credentials again is
 * reported as no change, as sofia's own plugin does: nua_authenticate() then fails with 904
 * instead of sending a request the server has already refused.
 */
static int digest_clear(auth_client_t *ca)
{
	ca->ca_clear = 1;
	return 1;
}

/* The realm as nua_authenticate() gives it ("\"realm\"", as sofia compares) or unquoted. */
static bool realm_matches(const struct digest_client *dc, const char *realm)
{
	return su_strmatch(realm, dc->ca.ca_realm) || auth_strcmp(realm, dc->realm) == 0;
}

static int set_user(struct digest_client *dc, const char *user)
{
	auth_client_t *ca = &dc->ca;
	char *copy = su_strdup(ca->ca_home, user);

	if (copy == NULL)
		return -ENOMEM;
	if (ca->ca_pass == NULL) {
		ca->ca_pass = su_strdup(ca->ca_home, "");
		if (ca->ca_pass == NULL) {
			su_free(ca->ca_home, copy);
			return -ENOMEM;
		}
	}
	su_free(ca->ca_home, ca->ca_user);
	ca->ca_user = copy;
	return 0;
}

/* Returns 1 if the credentials were taken, 0 if they are not for this client or unchanged
 * (even if cleared, see digest_clear()). */
static int digest_save_credentials(auth_client_t *ca, char const *scheme, char const *realm,
				   char const *user, char const *pass)
{
	struct digest_client *dc = (struct digest_client *)ca;
	char ha1[NB_HASHES][HEX_MAX];
	int rc = -1;

	if (ca->ca_scheme == NULL || ca->ca_realm == NULL || user == NULL || pass == NULL)
		return -1;
	if (scheme != NULL && !su_casematch(scheme, ca->ca_scheme))
		return 0;
	if (!dc->is_set_up && client_set_up(dc) < 0)
		return -1;
	if (realm != NULL && !realm_matches(dc, realm))
		return 0;
	memset(ha1, 0, sizeof(ha1));
	for (int i = 0; i < NB_HASHES; i++) {
		/* A hash that fails (MD5 in FIPS mode) leaves "": challenges with it fail. */
		if (ha1_base((enum hash_id)i, user, dc->realm, pass, ha1[i]) < 0)
			ha1[i][0] = '\0';
	}
	if (dc->has_ha1 && su_strmatch(user, ca->ca_user) &&
	    memcmp(ha1, dc->ha1, sizeof(ha1)) == 0) {
		rc = 0;
		goto out;
	}
	if (set_user(dc, user) < 0)
		goto out;
	memcpy(dc->ha1, ha1, sizeof(ha1));
	dc->has_ha1 = true;
	ca->ca_clear = 0;
	rc = 1;
out:
	explicit_bzero(ha1, sizeof(ha1));
	return rc;
}

/* auc_copy_credentials(): only from another client of ours, which holds the hashes. */
static int digest_copy_credentials(auth_client_t *dst, auth_client_t const *src)
{
	struct digest_client *d = (struct digest_client *)dst;
	const struct digest_client *s = (const struct digest_client *)src;

	if (src->ca_auc != dst->ca_auc || !s->has_ha1 || src->ca_user == NULL || src->ca_clear)
		return 0;
	if (!su_casematch(src->ca_scheme, dst->ca_scheme) ||
	    !su_strmatch(src->ca_realm, dst->ca_realm))
		return 0;
	if (!d->is_set_up && client_set_up(d) < 0)
		return -1;
	if (d->has_ha1 && !dst->ca_clear && su_strmatch(dst->ca_user, src->ca_user) &&
	    memcmp(d->ha1, s->ha1, sizeof(d->ha1)) == 0)
		return 1;
	if (set_user(d, src->ca_user) < 0)
		return -1;
	memcpy(d->ha1, s->ha1, sizeof(d->ha1));
	d->has_ha1 = true;
	dst->ca_clear = 0;
	return 1;
}

static const auth_client_plugin_t digest_plugin = {
    .auc_plugin_size = sizeof(auth_client_plugin_t),
    .auc_size = sizeof(struct digest_client),
    .auc_name = "Digest",
    .auc_challenge = digest_challenge,
    .auc_authorize = digest_authorize,
    .auc_info = digest_info,
    .auc_clear = digest_clear,
    .auc_save_credentials = digest_save_credentials,
    .auc_copy_credentials = digest_copy_credentials,
};

/* ---- registration ---- */

/* The plugin sofia picks for a challenge given as header text; NULL if none. */
static const auth_client_plugin_t *plugin_for(su_home_t *home, const char *challenge)
{
	auth_client_t *list = NULL;
	msg_auth_t *ch = sip_www_authenticate_make(home, challenge);

	if (ch == NULL || auc_challenge(&list, home, ch, sip_authorization_class) < 0 ||
	    list == NULL)
		return NULL;
	return list->ca_auc;
}

static int register_plugin(void)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	const auth_client_plugin_t *basic;
	int rc = 0;

	/*
	 * auc_register_plugin() in sofia-sip 1.12.11 puts a plugin in the first slot that is
	 * free or holds a plugin of a *different* name (its name test is inverted), so registering
	 * "Digest" alone would replace Basic, second, and leave the built-in Digest first, where
	 * challenges find it. Registering the built-in Basic first moves it to the first slot,
	 * then ours replaces it there: [Digest (ours), Basic]. A corrected auc_register_plugin()
	 * replaces each namesake, with the same result. The probes check which one we got.
	 */
	basic = plugin_for(home, "Basic realm=\"ponte-probe\"");
	if (basic == NULL || basic->auc_name == NULL || !su_casematch(basic->auc_name, "Basic")) {
		rc = -ENOTSUP;
		goto out;
	}
	errno = 0;
	if (auc_register_plugin(basic) < 0 || auc_register_plugin(&digest_plugin) < 0) {
		rc = errno != 0 ? -errno : -EINVAL;
		goto out;
	}
	if (plugin_for(home, "Digest realm=\"ponte-probe\", nonce=\"probe\"") != &digest_plugin ||
	    plugin_for(home, "Basic realm=\"ponte-probe\"") != basic)
		rc = -EPROTO;
out:
	su_home_deinit(home);
	if (rc < 0)
		log_error(MOD, "cannot replace sofia-sip's digest authentication: %s",
			  g_strerror(-rc));
	else
		log_debug(MOD, "digest authentication: MD5, SHA-256, SHA-512-256 and their -sess");
	return rc;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc; /* written once, under init_once */

static void init_plugin(void)
{
	init_rc = register_plugin();
}

int ponte_sip_digest_init(void)
{
	pthread_once(&init_once, init_plugin);
	return init_rc;
}
