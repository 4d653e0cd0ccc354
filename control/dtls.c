/* SPDX-License-Identifier: MIT */
/*
 * DTLS-SRTP (RFC 5763, RFC 5764) over OpenSSL 3.0, which speaks DTLS 1.2 at most.
 *
 * OpenSSL reads and writes through a small BIO of ours that keeps datagram boundaries: a read
 * returns exactly the datagram being fed in (or "retry"), and writes are collected into
 * datagrams of at most the MTU that are handed to the send op only after OpenSSL returns, so
 * no op ever runs inside OpenSSL and an op may destroy the session.
 */
#include "dtls.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"

#define MOD "dtls"

/* RFC 6347 §4.1: a record is a 13-byte header and at most 2^14 + 2048 bytes; a datagram
 * outside these bounds cannot be DTLS and never reaches OpenSSL. */
#define RECORD_HEADER_LEN 13
#define MAX_DATAGRAM (RECORD_HEADER_LEN + 16384 + 2048)
#define MAX_PLAINTEXT 16384
#define MIN_MTU 256
#define MAX_MTU 16384
/* RFC 6347 §4.2.4.1: double the timer on each retransmission, up to at least 60 s. */
#define MAX_RETRANSMIT_US 60000000u

/*
 * RFC 8827 §6.5: forward-secret suites only, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 first.
 * The RSA and CBC ones are there for older peers; which of ECDSA/RSA applies to us depends
 * on our key, the peer's on its.
 */
static const char cipher_list[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
				  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
				  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
				  "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
				  "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA";
static const char group_list[] = "X25519:P-256:P-384";

static const uint16_t default_profiles[] = {PONTE_SRTP_AEAD_AES_128_GCM,
					    PONTE_SRTP_AES128_CM_SHA1_80};

/* RFC 8122 §5 hash function names (the RFC 3279 textual names). MD5 and MD2 are refused. */
struct hash_info {
	const char *name;
	const EVP_MD *(*md)(void);
};

static const struct hash_info hash_table[] = {
    {"sha-1", EVP_sha1},     {"sha-224", EVP_sha224}, {"sha-256", EVP_sha256},
    {"sha-384", EVP_sha384}, {"sha-512", EVP_sha512},
};

struct ponte_dtls_cert {
	int nb_refs;	  /* atomic */
	SSL_CTX *ssl_ctx; /* shared by every session made from this certificate */
	X509 *x509;
	char fingerprint[PONTE_DTLS_FINGERPRINT_MAX]; /* sha-256 */
};

enum dtls_state {
	DTLS_NEW, /* created, not started */
	DTLS_HANDSHAKING,
	DTLS_CONNECTED,
	DTLS_DONE, /* failed, closed by either side: no op runs any more */
};

struct ponte_dtls {
	int nb_refs; /* the owner's, plus one per ponte_dtls_* frame on the stack */
	bool is_destroyed;
	enum dtls_state state;
	bool is_start_called;
	enum ponte_dtls_role role;
	const struct ponte_dtls_ops *ops;
	void *ctx;
	char *log_name;
	SSL *ssl;

	/* The datagram OpenSSL may read next, borrowed from ponte_dtls_input. */
	const uint8_t *rx_pkt;
	size_t rx_len;
	/* The datagram OpenSSL is writing into, and finished ones for the send op (GBytes). */
	GByteArray *tx_cur;
	GQueue tx_queue;

	unsigned int mtu;
	unsigned int retransmit_ms;
	unsigned int handshake_timeout_ms;
	guint timer_src;    /* retransmission, as DTLSv1_get_timeout says */
	guint deadline_src; /* whole handshake */

	/* The fingerprint the peer's certificate must have (RFC 5763 §5). */
	const struct hash_info *fp_hash;
	uint8_t fp[EVP_MAX_MD_SIZE];
	unsigned int fp_len;
	char *fp_hex;
	bool is_fp_mismatch;
	char *fp_seen; /* what the peer's certificate had instead, for the log */

	bool has_alert_rx, has_alert_tx;
	int alert_rx, alert_tx; /* as the info callback gives them: level << 8 | description */

	struct ponte_dtls_stats stats;
};

/* The profiles OpenSSL's use_srtp knows and ponte_srtp_profile_sizes sizes (RFC 5764 §4.1.2,
 * RFC 7714 §14.2); their RFC names are OpenSSL's names. */
static bool profile_is_known(uint16_t id)
{
	return id != PONTE_SRTP_NULL && ponte_srtp_profile_sizes(id, NULL, NULL, NULL) == 0;
}

static const struct hash_info *hash_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < G_N_ELEMENTS(hash_table); i++)
		if (g_ascii_strcasecmp(hash_table[i].name, name) == 0)
			return &hash_table[i];
	return NULL;
}

/* Upper-case hex bytes joined by ':' (RFC 8122 §5); out holds 3 * len bytes. */
static void hex_colon(const uint8_t *bytes, size_t len, char *out)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		*out++ = digits[bytes[i] >> 4];
		*out++ = digits[bytes[i] & 0xf];
		*out++ = i + 1 < len ? ':' : '\0';
	}
	if (len == 0)
		*out = '\0';
}

static int hex_colon_parse(const char *s, uint8_t *out, size_t size, unsigned int *len)
{
	size_t n = 0;

	for (;;) {
		int hi = g_ascii_xdigit_value(s[0]);
		int lo = hi >= 0 ? g_ascii_xdigit_value(s[1]) : -1;

		if (lo < 0 || n == size)
			return -EINVAL;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (*s == '\0')
			break;
		if (*s++ != ':')
			return -EINVAL;
	}
	*len = (unsigned int)n;
	return 0;
}

static int digest_hex(X509 *x509, const struct hash_info *h, char *out, size_t size)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!X509_digest(x509, h->md(), md, &len))
		return -EIO;
	if (size < 3 * (size_t)len)
		return -ENOSPC;
	hex_colon(md, len, out);
	return 0;
}

/* ---- the BIO between OpenSSL and the datagrams ---- */

/* Close the datagram being written and queue it for the send op. */
static void tx_end(struct ponte_dtls *d)
{
	if (d->tx_cur->len == 0)
		return;
	g_queue_push_tail(&d->tx_queue, g_byte_array_free_to_bytes(d->tx_cur));
	d->tx_cur = g_byte_array_sized_new(d->mtu);
}

static int bio_write(BIO *b, const char *buf, int len)
{
	struct ponte_dtls *d = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	/*
	 * OpenSSL sizes handshake fragments to what BIO_wpending says is left of the MTU and
	 * flushes at the end of a flight, so records share a datagram as long as they fit. A
	 * record that would not fit starts the next datagram: one record never spans two.
	 */
	if (d->tx_cur->len > 0 && d->tx_cur->len + (size_t)len > d->mtu)
		tx_end(d);
	g_byte_array_append(d->tx_cur, (const guint8 *)buf, (guint)len);
	return len;
}

static int bio_read(BIO *b, char *out, int size)
{
	struct ponte_dtls *d = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (d->rx_pkt == NULL || size <= 0) {
		BIO_set_retry_read(b);
		return -1;
	}
	/* Like recv(2) on a UDP socket: one datagram per read, the excess is lost. */
	n = MIN(d->rx_len, (size_t)size);
	memcpy(out, d->rx_pkt, n);
	d->rx_pkt = NULL;
	d->rx_len = 0;
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct ponte_dtls *d = BIO_get_data(b);

	switch (cmd) {
	case BIO_CTRL_FLUSH:
		tx_end(d);
		return 1;
	case BIO_CTRL_WPENDING:
		return (long)d->tx_cur->len;
	case BIO_CTRL_PENDING:
		return d->rx_pkt != NULL ? (long)d->rx_len : 0;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return d->mtu;
	default:
		/* Includes BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: our MTU already is the payload's. */
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int bio_destroy(BIO *b)
{
	BIO_set_data(b, NULL);
	BIO_set_init(b, 0);
	return 1;
}

/* One method for the process: BIO type indexes are a small global pool. Never freed. */
static BIO_METHOD *bio_method(void)
{
	static gsize once;
	static BIO_METHOD *method;

	if (g_once_init_enter(&once)) {
		BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
					     "ponte dtls datagrams");

		if (m != NULL &&
		    (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
		     !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create) ||
		     !BIO_meth_set_destroy(m, bio_destroy))) {
			BIO_meth_free(m);
			m = NULL;
		}
		method = m;
		g_once_init_leave(&once, 1);
	}
	return method;
}

/* ---- certificates ---- */

/* Accept any chain: the peer is authenticated by the fingerprint in the session's verify. */
static int ctx_verify_cb(int preverify_ok, X509_STORE_CTX *store);

/* Build the shared SSL_CTX. Takes ownership of x509 and key, whatever happens. */
static int cert_wrap(X509 *x509, EVP_PKEY *key, struct ponte_dtls_cert **out)
{
	struct ponte_dtls_cert *c = g_new0(struct ponte_dtls_cert, 1);
	SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
	int rc = -EIO;

	if (ctx == NULL)
		goto fail;
	/* OpenSSL 3.0 has no DTLS 1.3; RFC 8827 §6.5 asks for at least 1.2. */
	if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, cipher_list) ||
	    !SSL_CTX_set1_groups_list(ctx, group_list))
		goto fail;
	if (SSL_CTX_use_certificate(ctx, x509) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		rc = -EINVAL;
		goto fail;
	}
	/*
	 * The MTU is ours to set (there is no socket to ask); no tickets, session cache or
	 * renegotiation: WebRTC never resumes, and each is one more thing a peer could poke.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* RFC 5763 §5: both ends present a certificate, so the server asks for one. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, ctx_verify_cb);
	rc = digest_hex(x509, hash_find("sha-256"), c->fingerprint, sizeof(c->fingerprint));
	if (rc != 0)
		goto fail;
	EVP_PKEY_free(key);
	c->nb_refs = 1;
	c->ssl_ctx = ctx;
	c->x509 = x509;
	*out = c;
	return 0;
fail:
	SSL_CTX_free(ctx);
	X509_free(x509);
	EVP_PKEY_free(key);
	g_free(c);
	ERR_clear_error();
	return rc;
}

int ponte_dtls_cert_generate(struct ponte_dtls_cert **out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x509 = X509_new();
	uint8_t serial[16], cn_bytes[8];
	char cn[2 * sizeof(cn_bytes) + 1];
	X509_NAME *name;
	BIGNUM *bn = NULL;

	if (key == NULL || x509 == NULL)
		goto fail;
	/* RFC 5280 §4.1.2.2: positive, at most 20 octets, unpredictable. */
	if (RAND_bytes(serial, sizeof(serial)) != 1 || RAND_bytes(cn_bytes, sizeof(cn_bytes)) != 1)
		goto fail;
	serial[0] = (serial[0] & 0x7f) | 0x40;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)))
		goto fail;
	/* A random CN, like browsers use, names nothing and tells an observer nothing. */
	for (size_t i = 0; i < sizeof(cn_bytes); i++)
		snprintf(cn + 2 * i, 3, "%02x", cn_bytes[i]);
	name = X509_get_subject_name(x509);
	if (!X509_set_version(x509, X509_VERSION_3) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
					0) ||
	    !X509_set_issuer_name(x509, name) ||
	    /* A day back: a peer whose clock is behind still sees it as valid. */
	    !X509_gmtime_adj(X509_getm_notBefore(x509), -24L * 3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x509), PONTE_DTLS_CERT_VALID_DAYS * 24L * 3600) ||
	    !X509_set_pubkey(x509, key) || !X509_sign(x509, key, EVP_sha256()))
		goto fail;
	BN_free(bn);
	return cert_wrap(x509, key, out);
fail:
	BN_free(bn);
	X509_free(x509);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return -EIO;
}

/* Encrypted keys would prompt on the terminal; refuse them instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

int ponte_dtls_cert_load(const char *cert_file, const char *key_file, struct ponte_dtls_cert **out,
			 char **why)
{
	X509 *x509 = NULL;
	EVP_PKEY *key = NULL;
	FILE *f;
	int rc;

	if (key_file == NULL || key_file[0] == '\0')
		key_file = cert_file;
	f = fopen(cert_file, "r");
	if (f == NULL) {
		rc = -errno;
		if (why != NULL)
			*why = g_strdup_printf("%s: %s", cert_file, g_strerror(-rc));
		return rc;
	}
	x509 = PEM_read_X509(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (x509 == NULL) {
		if (why != NULL)
			*why = g_strdup_printf("%s: no PEM certificate", cert_file);
		rc = -EINVAL;
		goto fail;
	}
	f = fopen(key_file, "r");
	if (f == NULL) {
		rc = -errno;
		if (why != NULL)
			*why = g_strdup_printf("%s: %s", key_file, g_strerror(-rc));
		goto fail;
	}
	key = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (key == NULL) {
		if (why != NULL)
			*why = g_strdup_printf("%s: no unencrypted PEM private key", key_file);
		rc = -EINVAL;
		goto fail;
	}
	if (X509_check_private_key(x509, key) != 1) {
		if (why != NULL)
			*why =
			    g_strdup_printf("%s: the key does not match %s", key_file, cert_file);
		rc = -EINVAL;
		goto fail;
	}
	rc = cert_wrap(x509, key, out);
	if (rc != 0 && why != NULL)
		*why = g_strdup_printf("%s: OpenSSL refused the certificate for DTLS", cert_file);
	return rc;
fail:
	X509_free(x509);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

struct ponte_dtls_cert *ponte_dtls_cert_ref(struct ponte_dtls_cert *cert)
{
	g_atomic_int_inc(&cert->nb_refs);
	return cert;
}

void ponte_dtls_cert_unref(struct ponte_dtls_cert *cert)
{
	if (cert == NULL || !g_atomic_int_dec_and_test(&cert->nb_refs))
		return;
	SSL_CTX_free(cert->ssl_ctx);
	X509_free(cert->x509);
	g_free(cert);
}

const char *ponte_dtls_cert_fingerprint(const struct ponte_dtls_cert *cert, const char **alg)
{
	if (alg != NULL)
		*alg = "sha-256";
	return cert->fingerprint;
}

int ponte_dtls_cert_digest(const struct ponte_dtls_cert *cert, const char *alg, char *out,
			   size_t size)
{
	const struct hash_info *h = hash_find(alg);

	if (h == NULL)
		return -EINVAL;
	return digest_hex(cert->x509, h, out, size);
}

int64_t ponte_dtls_cert_not_after(const struct ponte_dtls_cert *cert)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(X509_get0_notAfter(cert->x509), &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

/* ---- sessions ---- */

static void dtls_free(struct ponte_dtls *d)
{
	GBytes *b;

	SSL_free(d->ssl);
	while ((b = g_queue_pop_head(&d->tx_queue)) != NULL)
		g_bytes_unref(b);
	g_byte_array_free(d->tx_cur, TRUE);
	g_free(d->fp_hex);
	g_free(d->fp_seen);
	g_free(d->log_name);
	g_free(d);
}

static void dtls_hold(struct ponte_dtls *d)
{
	d->nb_refs++;
}

static void dtls_release(struct ponte_dtls *d)
{
	if (--d->nb_refs == 0)
		dtls_free(d);
}

static void timers_stop(struct ponte_dtls *d)
{
	if (d->timer_src != 0)
		g_source_remove(d->timer_src);
	if (d->deadline_src != 0)
		g_source_remove(d->deadline_src);
	d->timer_src = 0;
	d->deadline_src = 0;
}

/* Hand what OpenSSL wrote to the send op. False when an op destroyed the session. */
static bool tx_flush(struct ponte_dtls *d)
{
	GBytes *b;

	tx_end(d);
	while (!d->is_destroyed && (b = g_queue_pop_head(&d->tx_queue)) != NULL) {
		gsize len;
		const uint8_t *p = g_bytes_get_data(b, &len);

		d->stats.nb_tx++;
		d->ops->send(d->ctx, p, len);
		g_bytes_unref(b);
	}
	return !d->is_destroyed;
}

static gboolean on_retransmit_timer(gpointer data);

/* RFC 6347 §4.2.4: OpenSSL keeps the retransmission timer; we only wake it up on time. */
static void timer_arm(struct ponte_dtls *d)
{
	struct timeval tv;
	guint ms;

	if (d->timer_src != 0)
		g_source_remove(d->timer_src);
	d->timer_src = 0;
	if (d->is_destroyed || (d->state != DTLS_HANDSHAKING && d->state != DTLS_CONNECTED))
		return;
	if (DTLSv1_get_timeout(d->ssl, &tv) != 1)
		return;
	/* Round up: waking early only costs a second wake-up, but keeps the loop busy. */
	ms = (guint)tv.tv_sec * 1000 + (guint)(tv.tv_usec + 999) / 1000;
	d->timer_src = g_timeout_add(ms, on_retransmit_timer, d);
}

/* After every call into OpenSSL: send what it wrote, re-arm its timer. False when an op
 * destroyed the session. */
static bool after_ssl(struct ponte_dtls *d)
{
	if (!tx_flush(d))
		return false;
	timer_arm(d);
	return true;
}

/* The session is dead: send what is pending (an alert), then report. */
static void dtls_fail(struct ponte_dtls *d, int err, const char *why)
{
	if (d->state == DTLS_DONE)
		return;
	d->state = DTLS_DONE;
	timers_stop(d);
	ERR_clear_error();
	log_warn(MOD, "%s failed: %s (%s)", d->log_name, why, g_strerror(-err));
	/* The owner's ctx may be gone with a destroyed session: no op for it, ever. */
	if (d->is_destroyed || !tx_flush(d))
		return;
	d->ops->failed(d->ctx, err, why);
}

/* Name what went wrong in OpenSSL's terms; the error queue is cleared by dtls_fail. */
static void fail_ssl(struct ponte_dtls *d, int ssl_err)
{
	unsigned long e = ERR_peek_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
	char why[512];
	int err;

	if (reason == NULL)
		reason = "unknown error";
	if (d->is_fp_mismatch) {
		err = -EPERM;
		snprintf(why, sizeof(why),
			 "certificate fingerprint mismatch: expected %s %s, peer presented %s",
			 d->fp_hash->name, d->fp_hex, d->fp_seen != NULL ? d->fp_seen : "none");
	} else if (d->has_alert_rx && ((d->alert_rx >> 8) == SSL3_AL_FATAL ||
				       (d->alert_rx & 0xff) == SSL_AD_CLOSE_NOTIFY)) {
		err = -ECONNRESET;
		snprintf(why, sizeof(why), "peer sent alert %s",
			 SSL_alert_desc_string_long(d->alert_rx));
	} else if (ssl_err == SSL_ERROR_ZERO_RETURN) {
		err = -ECONNRESET;
		snprintf(why, sizeof(why), "peer closed during the handshake");
	} else if (ssl_err == SSL_ERROR_SSL) {
		err = -EPROTO;
		if (d->has_alert_tx)
			snprintf(why, sizeof(why), "%s (sent alert %s)", reason,
				 SSL_alert_desc_string_long(d->alert_tx));
		else
			snprintf(why, sizeof(why), "%s", reason);
	} else {
		err = -EIO;
		snprintf(why, sizeof(why), "OpenSSL error %d: %s", ssl_err, reason);
	}
	dtls_fail(d, err, why);
}

static bool fp_matches(struct ponte_dtls *d, X509 *peer)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char hex[PONTE_DTLS_FINGERPRINT_MAX];

	if (!X509_digest(peer, d->fp_hash->md(), md, &len))
		return false;
	if (len == d->fp_len && CRYPTO_memcmp(md, d->fp, len) == 0)
		return true;
	d->is_fp_mismatch = true;
	if (d->fp_seen == NULL) {
		hex_colon(md, len, hex);
		d->fp_seen = g_strdup(hex);
	}
	return false;
}

/*
 * RFC 5763 §5, RFC 8122 §5: browsers present self-signed certificates and nothing vouches
 * for them but the fingerprint signaled in SDP. So whatever chain validation found
 * (preverify_ok), the leaf's fingerprint decides; a mismatch aborts the handshake with a
 * bad_certificate alert.
 */
static int ctx_verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct ponte_dtls *d = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(store);

	if (d == NULL || leaf == NULL)
		return 0;
	if (fp_matches(d, leaf))
		return 1;
	X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
	return 0;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct ponte_dtls *d = SSL_get_app_data(ssl);

	if (d == NULL || !(where & SSL_CB_ALERT))
		return;
	if (where & SSL_CB_READ) {
		d->has_alert_rx = true;
		d->alert_rx = ret;
	} else {
		d->has_alert_tx = true;
		d->alert_tx = ret;
	}
}

/* RFC 6347 §4.2.4.1: the first timeout is configurable, then it doubles up to 60 s. */
static unsigned int timer_cb(SSL *ssl, unsigned int prev_us)
{
	struct ponte_dtls *d = SSL_get_app_data(ssl);

	if (prev_us == 0)
		return d->retransmit_ms * 1000u;
	return prev_us >= MAX_RETRANSMIT_US / 2 ? MAX_RETRANSMIT_US : prev_us * 2;
}

/* RFC 5764 §4.2: client key, server key, client salt, server salt, in that order. */
static void split_keys(const uint8_t *km, uint16_t profile, uint8_t k, uint8_t s,
		       struct ponte_srtp_key *client, struct ponte_srtp_key *server)
{
	memset(client, 0, sizeof(*client));
	memset(server, 0, sizeof(*server));
	client->profile = server->profile = profile;
	client->key_len = server->key_len = k;
	client->salt_len = server->salt_len = s;
	memcpy(client->key, km, k);
	memcpy(server->key, km + k, k);
	memcpy(client->salt, km + 2 * k, s);
	memcpy(server->salt, km + 2 * k + s, s);
}

static void on_handshake_done(struct ponte_dtls *d)
{
	uint8_t km[2 * (PONTE_SRTP_MAX_KEY_LEN + PONTE_SRTP_MAX_SALT_LEN)];
	struct ponte_srtp_key client, server;
	SRTP_PROTECTION_PROFILE *sp = SSL_get_selected_srtp_profile(d->ssl);
	uint16_t profile = sp != NULL && sp->id <= UINT16_MAX ? (uint16_t)sp->id : 0;
	X509 *peer = SSL_get0_peer_certificate(d->ssl);
	uint8_t key_len = 0, salt_len = 0;
	size_t km_len;

	/* The verify callback has refused a mismatch already; this also covers a handshake
	 * that somehow ended without a peer certificate. */
	if (peer == NULL || !fp_matches(d, peer)) {
		d->is_fp_mismatch = true;
		SSL_shutdown(d->ssl);
		fail_ssl(d, SSL_ERROR_SSL);
		return;
	}
	/* RFC 5764 §4.1.1: without a profile both sides agree on, there is no SRTP. */
	if (!profile_is_known(profile)) {
		SSL_shutdown(d->ssl);
		dtls_fail(d, -EPROTO, "no SRTP protection profile in common (RFC 5764 use_srtp)");
		return;
	}
	ponte_srtp_profile_sizes(profile, &key_len, &salt_len, NULL);
	km_len = 2 * ((size_t)key_len + salt_len);
	if (SSL_export_keying_material(d->ssl, km, km_len, "EXTRACTOR-dtls_srtp",
				       strlen("EXTRACTOR-dtls_srtp"), NULL, 0, 0) != 1) {
		SSL_shutdown(d->ssl);
		dtls_fail(d, -EIO, "exporting the SRTP keying material failed");
		return;
	}
	split_keys(km, profile, key_len, salt_len, &client, &server);
	OPENSSL_cleanse(km, sizeof(km));
	d->state = DTLS_CONNECTED;
	if (d->deadline_src != 0)
		g_source_remove(d->deadline_src);
	d->deadline_src = 0;
	log_info(MOD, "%s connected as %s: %s %s, %s", d->log_name,
		 d->role == PONTE_DTLS_CLIENT ? "client" : "server", SSL_get_version(d->ssl),
		 SSL_get_cipher_name(d->ssl), ponte_srtp_profile_name(profile));
	/* A server's last flight goes out before the keys are reported. */
	if (after_ssl(d)) {
		if (d->role == PONTE_DTLS_CLIENT)
			d->ops->connected(d->ctx, &client, &server, profile);
		else
			d->ops->connected(d->ctx, &server, &client, profile);
	}
	OPENSSL_cleanse(&client, sizeof(client));
	OPENSSL_cleanse(&server, sizeof(server));
}

static void handshake_step(struct ponte_dtls *d)
{
	int rc, err;

	ERR_clear_error();
	rc = SSL_do_handshake(d->ssl);
	if (rc == 1) {
		on_handshake_done(d);
		return;
	}
	err = SSL_get_error(d->ssl, rc);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
		after_ssl(d);
	else
		fail_ssl(d, err);
}

static void on_close_notify(struct ponte_dtls *d)
{
	d->state = DTLS_DONE;
	timers_stop(d);
	/* RFC 5246 §7.2.1: answer close_notify with our own. */
	ERR_clear_error();
	SSL_shutdown(d->ssl);
	ERR_clear_error();
	log_info(MOD, "%s closed by the peer", d->log_name);
	if (!tx_flush(d))
		return;
	if (d->ops->closed != NULL)
		d->ops->closed(d->ctx);
}

/* Records after the handshake: application data, alerts, a peer's retransmitted Finished. */
static void read_records(struct ponte_dtls *d)
{
	uint8_t buf[MAX_PLAINTEXT];

	while (!d->is_destroyed && d->state == DTLS_CONNECTED) {
		int n, err;

		ERR_clear_error();
		n = SSL_read(d->ssl, buf, sizeof(buf));
		if (n > 0) {
			if (!after_ssl(d))
				break;
			if (d->ops->app_data != NULL)
				d->ops->app_data(d->ctx, buf, (size_t)n);
			continue;
		}
		err = SSL_get_error(d->ssl, n);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			after_ssl(d);
		else if (err == SSL_ERROR_ZERO_RETURN)
			on_close_notify(d);
		else
			fail_ssl(d, err);
		break;
	}
}

static gboolean on_retransmit_timer(gpointer data)
{
	struct ponte_dtls *d = data;
	int rc;

	d->timer_src = 0;
	/* Cannot happen (destroy stops the timers), but costs nothing to rule out. */
	if (d->is_destroyed)
		return G_SOURCE_REMOVE;
	dtls_hold(d);
	ERR_clear_error();
	rc = DTLSv1_handle_timeout(d->ssl);
	if (rc > 0)
		d->stats.nb_retransmits++;
	if (rc < 0)
		dtls_fail(d, -ETIMEDOUT, "no answer from the peer: retransmissions ran out");
	else
		after_ssl(d);
	dtls_release(d);
	return G_SOURCE_REMOVE;
}

static gboolean on_deadline(gpointer data)
{
	struct ponte_dtls *d = data;
	char why[96];

	d->deadline_src = 0;
	if (d->is_destroyed)
		return G_SOURCE_REMOVE;
	dtls_hold(d);
	if (d->state == DTLS_HANDSHAKING) {
		snprintf(why, sizeof(why), "no handshake within %u ms", d->handshake_timeout_ms);
		dtls_fail(d, -ETIMEDOUT, why);
	}
	dtls_release(d);
	return G_SOURCE_REMOVE;
}

static char *profile_string(const uint16_t *ids, size_t nb)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < nb; i++) {
		if (!profile_is_known(ids[i])) {
			g_string_free(s, TRUE);
			return NULL;
		}
		g_string_append_printf(s, "%s%s", i ? ":" : "", ponte_srtp_profile_name(ids[i]));
	}
	return g_string_free(s, FALSE);
}

int ponte_dtls_create(const struct ponte_dtls_cert *cert, const struct ponte_dtls_params *p,
		      const struct ponte_dtls_ops *ops, void *ctx, struct ponte_dtls **out)
{
	const uint16_t *profiles = p != NULL && p->nb_profiles > 0 ? p->profiles : default_profiles;
	size_t nb_profiles =
	    p != NULL && p->nb_profiles > 0 ? p->nb_profiles : G_N_ELEMENTS(default_profiles);
	g_autofree char *srtp = NULL;
	struct ponte_dtls *d = NULL;
	BIO_METHOD *method = bio_method();
	BIO *bio;
	int rc = -EINVAL;

	if (cert == NULL || p == NULL || ops == NULL || ops->send == NULL ||
	    ops->connected == NULL || ops->failed == NULL || out == NULL ||
	    p->fingerprint == NULL || profiles == NULL || nb_profiles > 8 ||
	    (p->role != PONTE_DTLS_CLIENT && p->role != PONTE_DTLS_SERVER) ||
	    (p->mtu != 0 && (p->mtu < MIN_MTU || p->mtu > MAX_MTU)))
		return -EINVAL;
	srtp = profile_string(profiles, nb_profiles);
	if (srtp == NULL)
		return -EINVAL;
	if (method == NULL)
		return -ENOMEM;

	d = g_new0(struct ponte_dtls, 1);
	d->nb_refs = 1;
	d->role = p->role;
	d->ops = ops;
	d->ctx = ctx;
	d->log_name = g_strdup(p->log_name != NULL ? p->log_name : "session=?");
	d->mtu = p->mtu != 0 ? p->mtu : PONTE_DTLS_DEFAULT_MTU;
	d->retransmit_ms =
	    p->retransmit_ms != 0 ? p->retransmit_ms : PONTE_DTLS_DEFAULT_RETRANSMIT_MS;
	d->handshake_timeout_ms = p->handshake_timeout_ms != 0
				      ? p->handshake_timeout_ms
				      : PONTE_DTLS_DEFAULT_HANDSHAKE_TIMEOUT_MS;
	d->tx_cur = g_byte_array_sized_new(d->mtu);
	g_queue_init(&d->tx_queue);

	d->fp_hash = hash_find(p->fingerprint_alg);
	if (d->fp_hash == NULL ||
	    hex_colon_parse(p->fingerprint, d->fp, sizeof(d->fp), &d->fp_len) != 0 ||
	    d->fp_len != (unsigned int)EVP_MD_get_size(d->fp_hash->md()))
		goto fail;
	d->fp_hex = g_malloc(3 * (size_t)d->fp_len);
	hex_colon(d->fp, d->fp_len, d->fp_hex);

	rc = -ENOMEM;
	d->ssl = SSL_new(cert->ssl_ctx);
	if (d->ssl == NULL)
		goto fail;
	SSL_set_app_data(d->ssl, d);
	bio = BIO_new(method);
	if (bio == NULL)
		goto fail;
	BIO_set_data(bio, d);
	SSL_set_bio(d->ssl, bio, bio);
	rc = -EINVAL;
	/* SSL_set_tlsext_use_srtp returns 0 on success. */
	if (SSL_set_mtu(d->ssl, d->mtu) == 0 || SSL_set_tlsext_use_srtp(d->ssl, srtp) != 0)
		goto fail;
	DTLS_set_timer_cb(d->ssl, timer_cb);
	SSL_set_info_callback(d->ssl, info_cb);
	if (d->role == PONTE_DTLS_CLIENT)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	*out = d;
	return 0;
fail:
	ERR_clear_error();
	dtls_free(d);
	return rc;
}

static void handshake_begin(struct ponte_dtls *d)
{
	d->state = DTLS_HANDSHAKING;
	d->deadline_src = g_timeout_add(d->handshake_timeout_ms, on_deadline, d);
}

int ponte_dtls_start(struct ponte_dtls *d)
{
	int rc, err;

	if (d->is_destroyed || d->is_start_called || d->state == DTLS_DONE)
		return -EALREADY;
	d->is_start_called = true;
	/* A server that an early ClientHello started already is where the caller wants it. */
	if (d->state != DTLS_NEW)
		return 0;
	handshake_begin(d);
	if (d->role == PONTE_DTLS_SERVER)
		return 0;
	dtls_hold(d);
	ERR_clear_error();
	rc = SSL_do_handshake(d->ssl);
	err = SSL_get_error(d->ssl, rc);
	if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
		/* The ClientHello could not even be written: nothing to send, nothing to report
		 * but this return value. */
		d->state = DTLS_DONE;
		timers_stop(d);
		log_warn(MOD, "%s cannot start the handshake: OpenSSL error %d", d->log_name, err);
		ERR_clear_error();
		dtls_release(d);
		return -EPROTO;
	}
	after_ssl(d);
	dtls_release(d);
	return 0;
}

void ponte_dtls_input(struct ponte_dtls *d, const uint8_t *pkt, size_t len)
{
	d->stats.nb_rx++;
	/* RFC 7983 §7: DTLS starts with 20..63; anything else is the caller's mistake or noise. */
	if (d->is_destroyed || pkt == NULL || len < RECORD_HEADER_LEN || len > MAX_DATAGRAM ||
	    pkt[0] < 20 || pkt[0] > 63) {
		d->stats.nb_rx_dropped++;
		return;
	}
	/* A ClientHello may overtake the signaling that would have started a server. */
	if (d->state == DTLS_NEW && d->role == PONTE_DTLS_SERVER)
		handshake_begin(d);
	if (d->state != DTLS_HANDSHAKING && d->state != DTLS_CONNECTED) {
		d->stats.nb_rx_dropped++;
		return;
	}
	dtls_hold(d);
	d->rx_pkt = pkt;
	d->rx_len = len;
	if (d->state == DTLS_HANDSHAKING)
		handshake_step(d);
	/* The datagram that ended the handshake may carry more records. */
	if (!d->is_destroyed && d->state == DTLS_CONNECTED)
		read_records(d);
	/* Unread by OpenSSL is dropped, like a datagram nobody received: pkt is not ours. */
	d->rx_pkt = NULL;
	d->rx_len = 0;
	dtls_release(d);
}

int ponte_dtls_send_app(struct ponte_dtls *d, const uint8_t *data, size_t len)
{
	int n, rc = 0;

	if (d->is_destroyed || d->state != DTLS_CONNECTED)
		return -ENOTCONN;
	if (data == NULL || len == 0)
		return -EINVAL;
	if (len > DTLS_get_data_mtu(d->ssl))
		return -EMSGSIZE;
	dtls_hold(d);
	ERR_clear_error();
	n = SSL_write(d->ssl, data, (int)len);
	if (n != (int)len) {
		log_warn(MOD, "%s sending %zu bytes failed: OpenSSL error %d", d->log_name, len,
			 SSL_get_error(d->ssl, n));
		ERR_clear_error();
		rc = -EIO;
	}
	after_ssl(d);
	dtls_release(d);
	return rc;
}

size_t ponte_dtls_max_app(const struct ponte_dtls *d)
{
	if (d->state != DTLS_CONNECTED)
		return 0;
	return DTLS_get_data_mtu(d->ssl);
}

int ponte_dtls_export(const struct ponte_dtls *d, const char *label, uint8_t *out, size_t len)
{
	int ok;

	if (label == NULL || out == NULL || len == 0)
		return -EINVAL;
	if (d->state != DTLS_CONNECTED)
		return -ENOTCONN;
	ok = SSL_export_keying_material(d->ssl, out, len, label, strlen(label), NULL, 0, 0);
	ERR_clear_error();
	return ok == 1 ? 0 : -EINVAL;
}

void ponte_dtls_close(struct ponte_dtls *d)
{
	bool was_connected = d->state == DTLS_CONNECTED;

	if (d->state == DTLS_DONE)
		return;
	d->state = DTLS_DONE;
	timers_stop(d);
	log_info(MOD, "%s closed", d->log_name);
	if (!was_connected || d->is_destroyed)
		return;
	dtls_hold(d);
	ERR_clear_error();
	SSL_shutdown(d->ssl);
	ERR_clear_error();
	tx_flush(d);
	dtls_release(d);
}

void ponte_dtls_destroy(struct ponte_dtls *d)
{
	if (d == NULL)
		return;
	assert(!d->is_destroyed);
	d->is_destroyed = true;
	timers_stop(d);
	dtls_release(d);
}

void ponte_dtls_get_stats(const struct ponte_dtls *d, struct ponte_dtls_stats *out)
{
	*out = d->stats;
}
