/* SPDX-License-Identifier: MIT */
/*
 * DTLS-SRTP between two in-process endpoints whose send ops feed each other through a queue
 * drained by an idle source, so no endpoint is ever re-entered from its own op. The wire can
 * lose chosen flights, lose everything, or mix garbage in; endpoints can destroy themselves
 * from inside any op. Run it under valgrind too (see docs/webrtc.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "dtls.h"
#include "log.h"
#include "loop.h"
#include "tap.h"

#define LABEL "EXTRACTOR-dtls_srtp"
#define FAST_RTO_MS 50

enum when { NEVER, IN_SEND, IN_CONNECTED, IN_FAILED, IN_APP, IN_CLOSED };

struct ep {
	const char *name;
	struct ponte_dtls *d;
	struct ep *peer;
	enum ponte_dtls_role role;

	/* The wire, as this endpoint's sends see it. */
	int drop_flight; /* drop the first transmission of this flight (1 = first), 0: none */
	bool is_drop_all;
	bool has_garbage; /* garbage goes in before every datagram delivered to this endpoint */
	long last_burst;
	int nb_flights, nb_dropped, nb_sent;
	size_t max_sent;

	enum when destroy_when;
	bool is_gone; /* destroyed by the test */
	int nb_ops_after_destroy;

	int nb_connected, nb_failed, nb_closed, nb_app;
	int fail_err;
	char why[600];
	gint64 t_failed;
	struct ponte_srtp_key tx, rx;
	uint16_t profile;
	uint8_t km[2 * (PONTE_SRTP_MAX_KEY_LEN + PONTE_SRTP_MAX_SALT_LEN)];
	int export_rc;
	GByteArray *app; /* everything received, concatenated */
	size_t last_app_len;
};

struct pkt {
	struct ep *to;
	size_t len;
	uint8_t data[];
};

static struct ponte_dtls_cert *cert_a, *cert_b;
static struct ep A, B;
static GQueue wire = G_QUEUE_INIT;
static guint wire_src;
/* Which delivery (or start) is running: sends during one belong to one flight; sends with
 * -1 come from a retransmission timer. */
static long cur_burst = -1, burst_seq;
static GRand *rnd;

static void ep_gone(struct ep *e)
{
	ponte_dtls_destroy(e->d);
	e->d = NULL;
	e->is_gone = true;
}

static void deliver_garbage(struct ep *to, const struct pkt *real);

static gboolean wire_drain(gpointer unused)
{
	struct pkt *p = g_queue_pop_head(&wire);

	if (p != NULL && p->to->d != NULL) {
		if (p->to->has_garbage)
			deliver_garbage(p->to, p);
		if (p->to->d != NULL) {
			cur_burst = ++burst_seq;
			ponte_dtls_input(p->to->d, p->data, p->len);
			cur_burst = -1;
		}
	}
	g_free(p);
	if (!g_queue_is_empty(&wire))
		return G_SOURCE_CONTINUE;
	wire_src = 0;
	return G_SOURCE_REMOVE;
}

static void wire_put(struct ep *to, const uint8_t *data, size_t len)
{
	struct pkt *p = g_malloc(sizeof(*p) + len);

	p->to = to;
	p->len = len;
	memcpy(p->data, data, len);
	g_queue_push_tail(&wire, p);
	if (wire_src == 0)
		wire_src = g_idle_add(wire_drain, NULL);
}

static void wire_clear(void)
{
	struct pkt *p;

	while ((p = g_queue_pop_head(&wire)) != NULL)
		g_free(p);
	if (wire_src != 0)
		g_source_remove(wire_src);
	wire_src = 0;
}

static void op_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ep *e = ctx;

	if (e->is_gone) {
		e->nb_ops_after_destroy++;
		return;
	}
	e->nb_sent++;
	e->max_sent = MAX(e->max_sent, len);
	if (cur_burst >= 0 && cur_burst != e->last_burst) {
		e->last_burst = cur_burst;
		e->nb_flights++;
	}
	if (e->is_drop_all || (cur_burst >= 0 && e->drop_flight == e->nb_flights))
		e->nb_dropped++;
	else
		wire_put(e->peer, pkt, len);
	if (e->destroy_when == IN_SEND)
		ep_gone(e);
}

static void op_connected(void *ctx, const struct ponte_srtp_key *tx,
			 const struct ponte_srtp_key *rx, uint16_t profile)
{
	struct ep *e = ctx;
	size_t km_len = 2 * ((size_t)tx->key_len + tx->salt_len);

	if (e->is_gone) {
		e->nb_ops_after_destroy++;
		return;
	}
	e->nb_connected++;
	e->tx = *tx;
	e->rx = *rx;
	e->profile = profile;
	e->export_rc = ponte_dtls_export(e->d, LABEL, e->km, km_len);
	if (e->destroy_when == IN_CONNECTED)
		ep_gone(e);
}

static void op_failed(void *ctx, int err, const char *why)
{
	struct ep *e = ctx;

	if (e->is_gone) {
		e->nb_ops_after_destroy++;
		return;
	}
	e->nb_failed++;
	e->fail_err = err;
	e->t_failed = g_get_monotonic_time();
	g_strlcpy(e->why, why, sizeof(e->why));
	if (e->destroy_when == IN_FAILED)
		ep_gone(e);
}

static void op_app(void *ctx, const uint8_t *data, size_t len)
{
	struct ep *e = ctx;

	if (e->is_gone) {
		e->nb_ops_after_destroy++;
		return;
	}
	e->nb_app++;
	e->last_app_len = len;
	g_byte_array_append(e->app, data, (guint)len);
	if (e->destroy_when == IN_APP)
		ep_gone(e);
}

static void op_closed(void *ctx)
{
	struct ep *e = ctx;

	if (e->is_gone) {
		e->nb_ops_after_destroy++;
		return;
	}
	e->nb_closed++;
	if (e->destroy_when == IN_CLOSED)
		ep_gone(e);
}

static const struct ponte_dtls_ops ops = {
    .send = op_send,
    .connected = op_connected,
    .failed = op_failed,
    .app_data = op_app,
    .closed = op_closed,
};

/* Garbage of every kind that must be dropped without disturbing the handshake. */
static void deliver_garbage(struct ep *to, const struct pkt *real)
{
	static uint8_t big[65536];
	uint8_t junk[1500];
	size_t len, rec_len;

	cur_burst = ++burst_seq;
	/* Random bytes that the caller's RFC 7983 demux would still call DTLS. */
	len = (size_t)g_rand_int_range(rnd, 1, sizeof(junk));
	for (size_t i = 0; i < len; i++)
		junk[i] = (uint8_t)g_rand_int(rnd);
	junk[0] = (uint8_t)g_rand_int_range(rnd, 20, 64);
	ponte_dtls_input(to->d, junk, len);
	/* The real datagram cut inside its first record. */
	rec_len = real->len >= 13 ? (size_t)(real->data[11] << 8 | real->data[12]) : 0;
	len = (size_t)g_rand_int_range(rnd, 1, (gint32)MIN(real->len, 13 + rec_len));
	if (to->d != NULL)
		ponte_dtls_input(to->d, real->data, len);
	/* A record that claims more bytes than the datagram has. */
	memcpy(junk, "\x16\xfe\xfd\x00\x00\x00\x00\x00\x00\x00\x07\x05\xdc", 13);
	if (to->d != NULL)
		ponte_dtls_input(to->d, junk, 40);
	/* A forged application data record of epoch 1: its authentication tag cannot hold. */
	memcpy(junk, "\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x00\x09\x00\x40", 13);
	for (size_t i = 13; i < 13 + 64; i++)
		junk[i] = (uint8_t)g_rand_int(rnd);
	if (to->d != NULL)
		ponte_dtls_input(to->d, junk, 13 + 64);
	/* Empty, a lone byte, and 64 KiB. */
	if (to->d != NULL)
		ponte_dtls_input(to->d, junk, 0);
	if (to->d != NULL)
		ponte_dtls_input(to->d, junk, 1);
	big[0] = 22;
	if (to->d != NULL)
		ponte_dtls_input(to->d, big, sizeof(big));
	cur_burst = -1;
}

struct side {
	enum ponte_dtls_role role;
	const uint16_t *profiles;
	size_t nb_profiles;
	bool is_wrong_fp;
	unsigned int mtu;
	unsigned int retransmit_ms;
	unsigned int timeout_ms;
	const char *fp_alg; /* NULL: sha-256 */
	bool is_lower_case;
};

static int ep_setup(struct ep *e, const char *name, struct ep *peer,
		    const struct ponte_dtls_cert *own, const struct ponte_dtls_cert *peer_cert,
		    const struct side *s)
{
	struct ponte_dtls_params p = {
	    .role = s->role,
	    .profiles = s->profiles,
	    .nb_profiles = s->nb_profiles,
	    .mtu = s->mtu,
	    .retransmit_ms = s->retransmit_ms ? s->retransmit_ms : FAST_RTO_MS,
	    .handshake_timeout_ms = s->timeout_ms ? s->timeout_ms : 10000,
	    .log_name = name,
	};
	char fp[PONTE_DTLS_FINGERPRINT_MAX];

	g_byte_array_unref(e->app);
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->peer = peer;
	e->role = s->role;
	e->last_burst = -1;
	e->app = g_byte_array_new();
	p.fingerprint_alg = s->fp_alg != NULL ? s->fp_alg : "sha-256";
	if (ponte_dtls_cert_digest(peer_cert, p.fingerprint_alg, fp, sizeof(fp)) != 0)
		return -EINVAL;
	if (s->is_wrong_fp)
		fp[strlen(fp) - 1] = fp[strlen(fp) - 1] == '0' ? '1' : '0';
	if (s->is_lower_case)
		for (char *c = fp; *c; c++)
			*c = g_ascii_tolower(*c);
	p.fingerprint = fp;
	return ponte_dtls_create(own, &p, &ops, e, &e->d);
}

/* A is the first side, B the second; both created, neither started. */
static bool pair_setup(const struct side *a, const struct side *b)
{
	wire_clear();
	return ep_setup(&A, "session=A", &B, cert_a, cert_b, a) == 0 &&
	       ep_setup(&B, "session=B", &A, cert_b, cert_a, b) == 0;
}

static void ep_start(struct ep *e)
{
	cur_burst = ++burst_seq;
	if (ponte_dtls_start(e->d) != 0)
		e->nb_failed += 100;
	cur_burst = -1;
}

static void pair_start(void)
{
	/* The server first, as the caller does when ICE completes on its side first. */
	struct ep *server = A.role == PONTE_DTLS_SERVER ? &A : &B;

	ep_start(server);
	ep_start(server == &A ? &B : &A);
}

static void pair_teardown(void)
{
	wire_clear();
	if (A.d != NULL)
		ponte_dtls_destroy(A.d);
	if (B.d != NULL)
		ponte_dtls_destroy(B.d);
	A.d = B.d = NULL;
}

/* Run the loop until pred holds (NULL: for the whole time) or max_ms passes. */
static void run(bool (*pred)(void), unsigned int max_ms)
{
	test_loop_run(pred, max_ms, 5);
}

static bool both_connected(void)
{
	return A.nb_connected > 0 && B.nb_connected > 0;
}

static bool ep_finished(const struct ep *e)
{
	return e->nb_connected > 0 || e->nb_failed > 0 || e->is_gone;
}

static bool both_finished(void)
{
	return ep_finished(&A) && ep_finished(&B);
}

static bool a_failed(void)
{
	return A.nb_failed > 0;
}

static bool key_eq(const struct ponte_srtp_key *x, const struct ponte_srtp_key *y)
{
	return x->profile == y->profile && x->key_len == y->key_len && x->salt_len == y->salt_len &&
	       memcmp(x->key, y->key, x->key_len) == 0 &&
	       memcmp(x->salt, y->salt, x->salt_len) == 0;
}

/*
 * The keys of a connected pair: each side's tx is the other's rx, and both equal the RFC 5764
 * §4.2 split of the exporter output, done here independently of the module.
 */
static void check_keys(const char *what, uint16_t want_profile, uint8_t key_len, uint8_t salt_len)
{
	const struct ep *client = A.role == PONTE_DTLS_CLIENT ? &A : &B;
	const struct ep *server = client == &A ? &B : &A;
	const uint8_t *km = client->km;
	size_t k = key_len, s = salt_len;
	bool split_ok;

	CHECK(both_connected() && A.nb_connected == 1 && B.nb_connected == 1,
	      "%s: both sides connected once", what);
	CHECK(A.profile == want_profile && B.profile == want_profile &&
		  A.tx.profile == want_profile && A.rx.profile == want_profile,
	      "%s: profile 0x%04x negotiated (have 0x%04x/0x%04x)", what, want_profile, A.profile,
	      B.profile);
	CHECK(A.tx.key_len == key_len && A.tx.salt_len == salt_len && B.rx.key_len == key_len,
	      "%s: %u-byte keys, %u-byte salts", what, key_len, salt_len);
	CHECK(key_eq(&A.tx, &B.rx) && key_eq(&B.tx, &A.rx), "%s: A's tx is B's rx and vice versa",
	      what);
	CHECK(memcmp(&A.tx.key, &A.rx.key, key_len) != 0, "%s: the two directions differ", what);
	CHECK(client->export_rc == 0 && server->export_rc == 0 &&
		  memcmp(client->km, server->km, 2 * (k + s)) == 0,
	      "%s: both exporters agree", what);
	split_ok = memcmp(client->tx.key, km, k) == 0 && memcmp(server->tx.key, km + k, k) == 0 &&
		   memcmp(client->tx.salt, km + 2 * k, s) == 0 &&
		   memcmp(server->tx.salt, km + 2 * k + s, s) == 0;
	CHECK(split_ok,
	      "%s: client tx = client_write key/salt, server tx = server_write (RFC 5764 §4.2)",
	      what);
	CHECK(A.max_sent <= 1200 && B.max_sent <= 1200,
	      "%s: no datagram over the 1200 MTU (%zu, %zu)", what, A.max_sent, B.max_sent);
	CHECK(A.nb_ops_after_destroy == 0 && B.nb_ops_after_destroy == 0 && A.nb_failed == 0 &&
		  B.nb_failed == 0,
	      "%s: no failure", what);
}

static const uint16_t gcm_cm[] = {PONTE_SRTP_AEAD_AES_128_GCM, PONTE_SRTP_AES128_CM_SHA1_80};
static const uint16_t cm_gcm[] = {PONTE_SRTP_AES128_CM_SHA1_80, PONTE_SRTP_AEAD_AES_128_GCM};
static const uint16_t cm_only[] = {PONTE_SRTP_AES128_CM_SHA1_80};
static const uint16_t gcm_only[] = {PONTE_SRTP_AEAD_AES_128_GCM};
static const uint16_t gcm256[] = {PONTE_SRTP_AEAD_AES_256_GCM};
static const uint16_t cm32[] = {PONTE_SRTP_AES128_CM_SHA1_32};

static void test_cert(void)
{
	const char *alg = NULL;
	const char *fp = ponte_dtls_cert_fingerprint(cert_a, &alg);
	char buf[PONTE_DTLS_FINGERPRINT_MAX];
	bool is_format_ok = fp != NULL && strlen(fp) == 95;
	int64_t left = ponte_dtls_cert_not_after(cert_a) - g_get_real_time() / G_USEC_PER_SEC;

	for (size_t i = 0; is_format_ok && i < 95; i++)
		is_format_ok =
		    i % 3 == 2 ? fp[i] == ':' : g_ascii_isxdigit(fp[i]) && !g_ascii_islower(fp[i]);
	CHECK_STR(alg, "sha-256", "certificate fingerprint algorithm is sha-256");
	CHECK(is_format_ok, "fingerprint is 32 upper-case hex bytes joined by ':' (%s)", fp);
	CHECK(ponte_dtls_cert_digest(cert_a, "sha-256", buf, sizeof(buf)) == 0 &&
		  strcmp(buf, fp) == 0,
	      "ponte_dtls_cert_digest(sha-256) gives the same string");
	CHECK(ponte_dtls_cert_digest(cert_a, "SHA-1", buf, sizeof(buf)) == 0 && strlen(buf) == 59,
	      "sha-1 digest has 20 bytes (names are case-insensitive)");
	CHECK(ponte_dtls_cert_digest(cert_a, "sha-512", buf, sizeof(buf)) == 0 &&
		  strlen(buf) == 191,
	      "sha-512 digest has 64 bytes");
	CHECK(ponte_dtls_cert_digest(cert_a, "md5", buf, sizeof(buf)) == -EINVAL, "md5 is refused");
	CHECK(ponte_dtls_cert_digest(cert_a, "sha-256", buf, 50) == -ENOSPC,
	      "a short buffer gives -ENOSPC");
	CHECK(strcmp(fp, ponte_dtls_cert_fingerprint(cert_b, NULL)) != 0,
	      "two generated certificates differ");
	CHECK(left > 29 * 86400 && left <= 30 * 86400 + 60,
	      "valid for 30 days from now (%" G_GINT64_FORMAT " s left)", left);
	ponte_dtls_cert_ref(cert_a);
	ponte_dtls_cert_unref(cert_a);
	CHECK(strcmp(ponte_dtls_cert_fingerprint(cert_a, NULL), fp) == 0,
	      "ref then unref keeps the certificate");
}

static void test_bad_params(void)
{
	const uint16_t unknown[] = {0x0005};
	const uint16_t dup[] = {PONTE_SRTP_AES128_CM_SHA1_80, PONTE_SRTP_AES128_CM_SHA1_80};
	const char *fp = ponte_dtls_cert_fingerprint(cert_b, NULL);
	struct ponte_dtls_params p = {
	    .role = PONTE_DTLS_CLIENT, .fingerprint_alg = "sha-256", .fingerprint = fp};
	struct ponte_dtls *d = NULL;
	struct ponte_dtls_ops no_failed = ops;
	char trunc[PONTE_DTLS_FINGERPRINT_MAX];

	no_failed.failed = NULL;
	CHECK(ponte_dtls_create(cert_a, &p, &ops, NULL, &d) == 0 && d != NULL,
	      "good parameters create a session");
	CHECK(ponte_dtls_send_app(d, (const uint8_t *)"x", 1) == -ENOTCONN,
	      "send_app before the handshake: -ENOTCONN");
	CHECK(ponte_dtls_export(d, LABEL, (uint8_t *)trunc, 10) == -ENOTCONN &&
		  ponte_dtls_max_app(d) == 0,
	      "no exporter or app MTU before the handshake");
	ponte_dtls_destroy(d);
	ponte_dtls_destroy(NULL);

	p.fingerprint_alg = "md5";
	CHECK(ponte_dtls_create(cert_a, &p, &ops, NULL, &d) == -EINVAL, "md5 fingerprint: -EINVAL");
	p.fingerprint_alg = "sha-384";
	CHECK(ponte_dtls_create(cert_a, &p, &ops, NULL, &d) == -EINVAL,
	      "sha-256 length under sha-384: -EINVAL");
	p.fingerprint_alg = "sha-256";
	g_strlcpy(trunc, fp, sizeof(trunc));
	trunc[strlen(trunc) - 3] = '\0';
	p.fingerprint = trunc;
	CHECK(ponte_dtls_create(cert_a, &p, &ops, NULL, &d) == -EINVAL, "31-byte sha-256: -EINVAL");
	trunc[2] = '-';
	CHECK(ponte_dtls_create(cert_a, &p, &ops, NULL, &d) == -EINVAL, "bad separator: -EINVAL");
	p.fingerprint = "ZZ";
	CHECK(ponte_dtls_create(cert_a, &p, &ops, NULL, &d) == -EINVAL, "not hex: -EINVAL");
	p.fingerprint = NULL;
	CHECK(ponte_dtls_create(cert_a, &p, &ops, NULL, &d) == -EINVAL, "no fingerprint: -EINVAL");
	p.fingerprint = fp;
	p.profiles = unknown;
	p.nb_profiles = 1;
	CHECK(ponte_dtls_create(cert_a, &p, &ops, NULL, &d) == -EINVAL,
	      "unknown SRTP profile: -EINVAL");
	p.profiles = dup;
	p.nb_profiles = 2;
	CHECK(ponte_dtls_create(cert_a, &p, &ops, NULL, &d) == -EINVAL,
	      "duplicate SRTP profile: -EINVAL");
	p.profiles = NULL;
	p.nb_profiles = 0;
	p.mtu = 100;
	CHECK(ponte_dtls_create(cert_a, &p, &ops, NULL, &d) == -EINVAL, "MTU 100: -EINVAL");
	p.mtu = 0;
	CHECK(ponte_dtls_create(cert_a, &p, &no_failed, NULL, &d) == -EINVAL,
	      "ops without failed: -EINVAL");
	CHECK(ponte_dtls_create(NULL, &p, &ops, NULL, &d) == -EINVAL, "no certificate: -EINVAL");
}

static void test_handshake(enum ponte_dtls_role a_role, const uint16_t *a_prof, size_t a_nb,
			   const uint16_t *b_prof, size_t b_nb, uint16_t want, uint8_t key_len,
			   uint8_t salt_len)
{
	struct side a = {.role = a_role, .profiles = a_prof, .nb_profiles = a_nb};
	struct side b = {.role = !a_role, .profiles = b_prof, .nb_profiles = b_nb};
	char what[160];

	snprintf(what, sizeof(what), "A %s offers %s%s, B %s offers %s%s",
		 a_role == PONTE_DTLS_CLIENT ? "client" : "server",
		 a_prof ? ponte_srtp_profile_name(a_prof[0]) : "default", a_nb > 1 ? "+" : "",
		 a_role == PONTE_DTLS_CLIENT ? "server" : "client",
		 b_prof ? ponte_srtp_profile_name(b_prof[0]) : "default", b_nb > 1 ? "+" : "");
	CHECK(pair_setup(&a, &b), "%s: sessions created", what);
	pair_start();
	run(both_connected, 5000);
	check_keys(what, want, key_len, salt_len);
	pair_teardown();
}

/* Each side expecting the wrong fingerprint of the other: refused there with -EPERM. */
static void test_fingerprint_mismatch(bool is_client_wrong)
{
	struct side a = {.role = PONTE_DTLS_CLIENT, .is_wrong_fp = is_client_wrong};
	struct side b = {.role = PONTE_DTLS_SERVER, .is_wrong_fp = !is_client_wrong};
	struct ep *wrong = is_client_wrong ? &A : &B, *other = is_client_wrong ? &B : &A;
	const char *what = is_client_wrong ? "client expects a wrong fingerprint"
					   : "server expects a wrong fingerprint";
	char expected[PONTE_DTLS_FINGERPRINT_MAX];
	const char *presented =
	    ponte_dtls_cert_fingerprint(is_client_wrong ? cert_b : cert_a, NULL);

	g_strlcpy(expected, presented, sizeof(expected));
	expected[strlen(expected) - 1] = expected[strlen(expected) - 1] == '0' ? '1' : '0';
	CHECK(pair_setup(&a, &b), "%s: sessions created", what);
	pair_start();
	run(both_finished, 5000);
	run(NULL, 300); /* nothing may arrive late */
	CHECK(wrong->nb_failed == 1 && wrong->fail_err == -EPERM,
	      "%s: failed(-EPERM) on that side (err %d: %s)", what, wrong->fail_err, wrong->why);
	CHECK(strstr(wrong->why, expected) != NULL && strstr(wrong->why, presented) != NULL,
	      "%s: why names both fingerprints", what);
	CHECK(wrong->nb_connected == 0 && other->nb_connected == 0, "%s: no side connected", what);
	CHECK(other->nb_failed == 1 && other->fail_err == -ECONNRESET &&
		  strstr(other->why, "bad certificate") != NULL,
	      "%s: the other side got the bad_certificate alert (%d: %s)", what, other->fail_err,
	      other->why);
	pair_teardown();
}

static void test_no_common_profile(void)
{
	struct side a = {.role = PONTE_DTLS_CLIENT, .profiles = cm_only, .nb_profiles = 1};
	struct side b = {.role = PONTE_DTLS_SERVER, .profiles = gcm_only, .nb_profiles = 1};

	CHECK(pair_setup(&a, &b), "no common profile: sessions created");
	pair_start();
	run(both_finished, 5000);
	CHECK(A.nb_connected == 0 && B.nb_connected == 0 && A.fail_err == -EPROTO &&
		  B.fail_err == -EPROTO,
	      "no common SRTP profile: both fail with -EPROTO, no keys (%d: %s / %d: %s)",
	      A.fail_err, A.why, B.fail_err, B.why);
	pair_teardown();
}

/* Lose the first transmission of one flight; the retransmission timer must recover. */
static void test_loss(bool is_client, int flight, const char *what)
{
	struct side a = {.role = PONTE_DTLS_CLIENT};
	struct side b = {.role = PONTE_DTLS_SERVER};
	struct ponte_dtls_stats sa, sb;
	struct ep *lossy = is_client ? &A : &B;
	gint64 t0 = g_get_monotonic_time();

	CHECK(pair_setup(&a, &b), "%s: sessions created", what);
	lossy->drop_flight = flight;
	pair_start();
	run(both_connected, 5000);
	ponte_dtls_get_stats(A.d, &sa);
	ponte_dtls_get_stats(B.d, &sb);
	CHECK(lossy->nb_dropped > 0, "%s: %d datagram(s) lost", what, lossy->nb_dropped);
	CHECK(sa.nb_retransmits + sb.nb_retransmits > 0,
	      "%s: recovered by retransmission (client %" G_GUINT64_FORMAT
	      ", server %" G_GUINT64_FORMAT ")",
	      what, sa.nb_retransmits, sb.nb_retransmits);
	check_keys(what, PONTE_SRTP_AEAD_AES_128_GCM, 16, 12);
	CHECK(g_get_monotonic_time() - t0 < 2 * G_USEC_PER_SEC, "%s: within 2 s", what);
	pair_teardown();
}

static void test_timeout(void)
{
	struct side a = {.role = PONTE_DTLS_CLIENT, .retransmit_ms = 100, .timeout_ms = 1200};
	struct side b = {.role = PONTE_DTLS_SERVER, .timeout_ms = 800};
	struct ponte_dtls_stats st;
	gint64 t0;

	/* A client whose peer never answers. */
	CHECK(pair_setup(&a, &b), "timeout: sessions created");
	A.is_drop_all = true;
	t0 = g_get_monotonic_time();
	ep_start(&A);
	run(a_failed, 5000);
	ponte_dtls_get_stats(A.d, &st);
	CHECK(A.nb_failed == 1 && A.fail_err == -ETIMEDOUT,
	      "client, silent peer: failed(-ETIMEDOUT) (%s)", A.why);
	CHECK(A.t_failed - t0 >= 1150 * 1000 && A.t_failed - t0 < 2500 * 1000,
	      "client, silent peer: after the 1.2 s deadline (%" G_GINT64_FORMAT " ms)",
	      (A.t_failed - t0) / 1000);
	CHECK(st.nb_retransmits >= 3 && st.nb_tx == st.nb_retransmits + 1,
	      "client: ClientHello sent and retransmitted %" G_GUINT64_FORMAT
	      " times (100, 200, 400 ms...)",
	      st.nb_retransmits);
	CHECK(A.nb_connected == 0 && B.nb_failed == 0,
	      "client, silent peer: nothing else reported");
	pair_teardown();

	/* A server that never hears a ClientHello. */
	CHECK(pair_setup(&a, &b), "timeout: sessions created again");
	t0 = g_get_monotonic_time();
	ep_start(&B);
	run(NULL, 1100);
	CHECK(B.nb_failed == 1 && B.fail_err == -ETIMEDOUT && B.t_failed - t0 >= 750 * 1000,
	      "server, no ClientHello: failed(-ETIMEDOUT) after 0.8 s (%s)", B.why);
	CHECK(ponte_dtls_start(B.d) == -EALREADY, "start after failure: -EALREADY");
	pair_teardown();
}

static void test_garbage(enum ponte_dtls_role a_role)
{
	struct side a = {.role = a_role};
	struct side b = {.role = !a_role};
	struct ponte_dtls_stats sa, sb;
	const char *what = a_role == PONTE_DTLS_CLIENT ? "garbage, A client" : "garbage, A server";

	CHECK(pair_setup(&a, &b), "%s: sessions created", what);
	A.has_garbage = B.has_garbage = true;
	pair_start();
	run(both_connected, 5000);
	check_keys(what, PONTE_SRTP_AEAD_AES_128_GCM, 16, 12);
	/* After the handshake too: application data still gets through the garbage. */
	CHECK(ponte_dtls_send_app(A.d, (const uint8_t *)"through", 7) == 0,
	      "%s: send_app after garbage", what);
	run(NULL, 100);
	CHECK(B.nb_app == 1 && B.app->len == 7 && memcmp(B.app->data, "through", 7) == 0,
	      "%s: exactly the real message arrived, forged records dropped", what);
	ponte_dtls_get_stats(A.d, &sa);
	ponte_dtls_get_stats(B.d, &sb);
	CHECK(sa.nb_rx_dropped > 0 && sb.nb_rx_dropped > 0 && sa.nb_rx > sa.nb_rx_dropped,
	      "%s: short, empty and 64 KiB datagrams counted as dropped (%" G_GUINT64_FORMAT
	      " of %" G_GUINT64_FORMAT ")",
	      what, sa.nb_rx_dropped, sa.nb_rx);
	pair_teardown();
}

static size_t random_datagram(uint8_t *junk, size_t size, int i)
{
	size_t len = (size_t)g_rand_int_range(rnd, 0, (gint32)size);

	for (size_t j = 0; j < len; j++)
		junk[j] = (uint8_t)g_rand_int(rnd);
	if (len > 0)
		junk[0] = (uint8_t)g_rand_int_range(rnd, 20, 64);
	/* Every other one a record that looks right as far as the header goes. */
	if (len >= 13 && i % 2 == 0) {
		junk[0] = (uint8_t)g_rand_int_range(rnd, 20, 26);
		junk[1] = 0xfe;
		junk[2] = 0xfd;
		junk[3] = 0;
		junk[4] = (uint8_t)(i % 4 == 0);
		junk[11] = (uint8_t)((len - 13) >> 8);
		junk[12] = (uint8_t)(len - 13);
	}
	return len;
}

/* Garbage alone, into sessions in every state, must never crash. */
static void test_garbage_only(void)
{
	struct side a = {.role = PONTE_DTLS_CLIENT};
	struct side b = {.role = PONTE_DTLS_SERVER};
	uint8_t junk[2048];
	int nb_fatal = 0, nb_other = 0;

	/* During the handshake: a client waiting for its ServerHello, a server for a
	 * ClientHello. Whoever fails is replaced so that the garbage keeps hitting live ones. */
	CHECK(pair_setup(&a, &b), "garbage only: sessions created");
	A.is_drop_all = true;
	ep_start(&A);
	for (int i = 0; i < 2000; i++) {
		size_t len = random_datagram(junk, sizeof(junk), i);

		ponte_dtls_input(A.d, junk, len);
		ponte_dtls_input(B.d, junk, len);
		if (A.nb_failed + B.nb_failed > 0) {
			nb_fatal += A.nb_failed + B.nb_failed;
			nb_other += (A.nb_failed && A.fail_err != -EPROTO) ||
				    (B.nb_failed && B.fail_err != -EPROTO);
			pair_teardown();
			pair_setup(&a, &b);
			A.is_drop_all = true;
			ep_start(&A);
		}
	}
	run(NULL, 20);
	/* Records well-formed enough to parse but out of place (epoch-0 application data
	 * before any ClientHello, say) are fatal to OpenSSL: that is allowed, crashing is not. */
	CHECK(A.nb_connected + B.nb_connected == 0 && nb_other == 0,
	      "2000 random datagrams into handshaking sessions: no crash, nothing connected, "
	      "%d session(s) refused with -EPROTO",
	      nb_fatal);
	pair_teardown();

	/* Connected: nothing unauthenticated can hurt any more (RFC 6347 §4.1.2.7). */
	CHECK(pair_setup(&a, &b), "garbage after connect: sessions created");
	pair_start();
	run(both_connected, 5000);
	for (int i = 0; i < 2000; i++) {
		size_t len = random_datagram(junk, sizeof(junk), i);

		ponte_dtls_input(A.d, junk, len);
		ponte_dtls_input(B.d, junk, len);
	}
	CHECK(A.nb_failed + B.nb_failed + A.nb_app + B.nb_app + A.nb_closed + B.nb_closed == 0,
	      "2000 random datagrams into connected sessions: silently discarded");
	CHECK(ponte_dtls_send_app(B.d, (const uint8_t *)"still", 5) == 0, "send_app still works");
	run(NULL, 50);
	CHECK(A.nb_app == 1 && A.app->len == 5, "and the data arrives");
	pair_teardown();
}

/* A ClientHello that overtakes the caller's start: the server starts itself. */
static void test_early_client_hello(void)
{
	struct side a = {.role = PONTE_DTLS_CLIENT};
	struct side b = {.role = PONTE_DTLS_SERVER};
	struct ponte_dtls_stats st;

	CHECK(pair_setup(&a, &b), "early ClientHello: sessions created");
	ponte_dtls_input(A.d, (const uint8_t *)"\x16\xfe\xfd\0\0\0\0\0\0\0\0\0\0", 13);
	ponte_dtls_get_stats(A.d, &st);
	CHECK(st.nb_rx == 1 && st.nb_rx_dropped == 1 && A.nb_sent == 0,
	      "a client not started drops what it receives");
	ep_start(&A);
	run(NULL, 30);
	CHECK(B.nb_sent > 0, "the server answered without start");
	CHECK(ponte_dtls_start(B.d) == 0, "start on the server that started itself: 0");
	CHECK(ponte_dtls_start(B.d) == -EALREADY && ponte_dtls_start(A.d) == -EALREADY,
	      "start again: -EALREADY");
	run(both_connected, 5000);
	CHECK(both_connected(), "early ClientHello: connected");
	pair_teardown();
}

static void test_app_and_close(void)
{
	struct side a = {.role = PONTE_DTLS_CLIENT};
	struct side b = {.role = PONTE_DTLS_SERVER};
	uint8_t big[1500];
	size_t max;

	CHECK(pair_setup(&a, &b), "app data: sessions created");
	pair_start();
	run(both_connected, 5000);
	max = ponte_dtls_max_app(A.d);
	CHECK(max > 1100 && max <= 1200 - 13, "the app MTU leaves room for the record (%zu)", max);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	CHECK(ponte_dtls_send_app(A.d, (const uint8_t *)"hello B", 7) == 0 &&
		  ponte_dtls_send_app(B.d, (const uint8_t *)"hello A", 7) == 0 &&
		  ponte_dtls_send_app(A.d, big, max) == 0,
	      "send_app both ways, up to the app MTU");
	CHECK(ponte_dtls_send_app(A.d, big, max + 1) == -EMSGSIZE, "over the app MTU: -EMSGSIZE");
	CHECK(ponte_dtls_send_app(A.d, big, 0) == -EINVAL, "empty: -EINVAL");
	run(NULL, 100);
	CHECK(B.nb_app == 2 && B.app->len == 7 + max && memcmp(B.app->data, "hello B", 7) == 0 &&
		  memcmp(B.app->data + 7, big, max) == 0,
	      "B received both messages intact, one op each");
	CHECK(A.nb_app == 1 && A.app->len == 7 && memcmp(A.app->data, "hello A", 7) == 0,
	      "A received B's message");
	CHECK(A.max_sent <= 1200, "the largest datagram fits the MTU (%zu)", A.max_sent);

	ponte_dtls_close(A.d);
	CHECK(ponte_dtls_send_app(A.d, big, 1) == -ENOTCONN, "send_app after close: -ENOTCONN");
	run(NULL, 100);
	CHECK(B.nb_closed == 1 && B.nb_failed == 0, "close_notify: the peer's closed op ran");
	CHECK(A.nb_closed == 0 && A.nb_failed == 0 && A.nb_ops_after_destroy == 0,
	      "the closing side gets no op for the answer");
	pair_teardown();
}

/* A small MTU: every flight is fragmented and still fits. */
static void test_small_mtu(void)
{
	struct side a = {.role = PONTE_DTLS_CLIENT, .mtu = 300};
	struct side b = {.role = PONTE_DTLS_SERVER, .mtu = 300};

	CHECK(pair_setup(&a, &b), "MTU 300: sessions created");
	pair_start();
	run(both_connected, 5000);
	CHECK(both_connected() && A.max_sent <= 300 && B.max_sent <= 300 && B.nb_sent >= 3,
	      "MTU 300: handshake done, largest datagrams %zu/%zu, server sent %d", A.max_sent,
	      B.max_sent, B.nb_sent);
	CHECK(key_eq(&A.tx, &B.rx) && key_eq(&B.tx, &A.rx), "MTU 300: keys agree");
	pair_teardown();
}

static void test_other_hashes(void)
{
	static const char *const algs[] = {"sha-1", "sha-384", "sha-512", "SHA-256"};

	for (size_t i = 0; i < G_N_ELEMENTS(algs); i++) {
		struct side a = {
		    .role = PONTE_DTLS_CLIENT, .fp_alg = algs[i], .is_lower_case = true};
		struct side b = {.role = PONTE_DTLS_SERVER, .fp_alg = algs[i]};

		CHECK(pair_setup(&a, &b), "%s fingerprints: sessions created", algs[i]);
		pair_start();
		run(both_connected, 5000);
		CHECK(both_connected() && A.nb_failed + B.nb_failed == 0,
		      "%s fingerprints (lower-case hex on one side) verify", algs[i]);
		pair_teardown();
	}
}

static void test_destroy_in_ops(void)
{
	struct side c = {.role = PONTE_DTLS_CLIENT};
	struct side s = {.role = PONTE_DTLS_SERVER};
	struct side wrong = {.role = PONTE_DTLS_SERVER, .is_wrong_fp = true};

	/* In connected: the client connects last; the server must stay connected. */
	pair_setup(&c, &s);
	A.destroy_when = IN_CONNECTED;
	pair_start();
	run(both_connected, 5000);
	run(NULL, 150);
	CHECK(A.is_gone && A.nb_connected == 1 && A.nb_ops_after_destroy == 0 &&
		  B.nb_connected == 1 && B.nb_failed == 0,
	      "destroy inside connected: no op afterwards, the peer stays connected");
	pair_teardown();

	/* In connected, on the server, whose last flight went out just before. */
	pair_setup(&c, &s);
	B.destroy_when = IN_CONNECTED;
	pair_start();
	run(both_connected, 5000);
	CHECK(B.is_gone && A.nb_connected == 1 && B.nb_ops_after_destroy == 0,
	      "destroy inside the server's connected: its last flight was already sent");
	pair_teardown();

	/* In failed. */
	pair_setup(&c, &wrong);
	B.destroy_when = IN_FAILED;
	A.destroy_when = IN_FAILED;
	pair_start();
	run(both_finished, 5000);
	run(NULL, 150);
	CHECK(A.is_gone && B.is_gone && A.nb_ops_after_destroy + B.nb_ops_after_destroy == 0,
	      "destroy inside failed, on both sides");
	pair_teardown();

	/* In send, from inside start. */
	pair_setup(&c, &s);
	A.destroy_when = IN_SEND;
	ep_start(&B);
	ep_start(&A);
	run(NULL, 300);
	CHECK(A.is_gone && A.nb_sent == 1 && A.nb_failed == 0 && A.nb_ops_after_destroy == 0,
	      "destroy inside send during start: start returns, nothing more (no retransmission)");
	pair_teardown();

	/* In send, from inside the retransmission timer. */
	pair_setup(&c, &s);
	A.drop_flight = 1;
	ep_start(&B);
	ep_start(&A);
	A.destroy_when = IN_SEND;
	run(NULL, 300);
	CHECK(A.is_gone && A.nb_sent == 2 && A.nb_ops_after_destroy == 0,
	      "destroy inside send from the retransmission timer");
	pair_teardown();

	/* In app_data with more records behind in the same loop. */
	pair_setup(&c, &s);
	pair_start();
	run(both_connected, 5000);
	B.destroy_when = IN_APP;
	ponte_dtls_send_app(A.d, (const uint8_t *)"one", 3);
	ponte_dtls_send_app(A.d, (const uint8_t *)"two", 3);
	run(NULL, 100);
	CHECK(B.is_gone && B.nb_app == 1 && B.nb_ops_after_destroy == 0,
	      "destroy inside app_data: one op, none after");
	pair_teardown();

	/* In closed. */
	pair_setup(&c, &s);
	pair_start();
	run(both_connected, 5000);
	B.destroy_when = IN_CLOSED;
	ponte_dtls_close(A.d);
	run(NULL, 100);
	CHECK(B.is_gone && B.nb_closed == 1 && B.nb_ops_after_destroy == 0,
	      "destroy inside closed");
	pair_teardown();

	/* Mid-handshake from outside, with its timer armed and its ClientHello in flight. */
	pair_setup(&c, &s);
	pair_start();
	ep_gone(&A);
	run(NULL, 300);
	CHECK(A.nb_ops_after_destroy == 0 && A.nb_sent == 1 && B.nb_connected == 0 &&
		  B.nb_sent >= 2,
	      "destroy mid-handshake: no op, no retransmission; the peer keeps retransmitting");
	pair_teardown();

	/* Never started; closed before start. */
	pair_setup(&c, &s);
	ponte_dtls_close(A.d);
	CHECK(ponte_dtls_start(A.d) == -EALREADY, "start after close: -EALREADY");
	pair_teardown();
	CHECK(A.nb_sent + B.nb_sent == 0, "destroy without start: nothing sent");
}

int main(void)
{
	ponte_log_set_level(PONTE_LOG_WARN);
	test_loop = g_main_loop_new(NULL, FALSE);
	rnd = g_rand_new_with_seed(5764);

	CHECK(ponte_dtls_cert_generate(&cert_a) == 0 && ponte_dtls_cert_generate(&cert_b) == 0,
	      "two certificates generated");
	test_cert();
	test_bad_params();

	/* Every role assignment, every profile, and whose preference wins. */
	for (int r = 0; r < 2; r++) {
		enum ponte_dtls_role ra = r == 0 ? PONTE_DTLS_CLIENT : PONTE_DTLS_SERVER;
		bool a_srv = ra == PONTE_DTLS_SERVER;

		test_handshake(ra, NULL, 0, NULL, 0, PONTE_SRTP_AEAD_AES_128_GCM, 16, 12);
		test_handshake(ra, cm_gcm, 2, cm_gcm, 2, PONTE_SRTP_AES128_CM_SHA1_80, 16, 14);
		test_handshake(ra, gcm_cm, 2, cm_gcm, 2,
			       a_srv ? PONTE_SRTP_AEAD_AES_128_GCM : PONTE_SRTP_AES128_CM_SHA1_80,
			       16, a_srv ? 12 : 14);
		test_handshake(ra, cm_gcm, 2, gcm_cm, 2,
			       a_srv ? PONTE_SRTP_AES128_CM_SHA1_80 : PONTE_SRTP_AEAD_AES_128_GCM,
			       16, a_srv ? 14 : 12);
		test_handshake(ra, cm_only, 1, gcm_cm, 2, PONTE_SRTP_AES128_CM_SHA1_80, 16, 14);
		test_handshake(ra, gcm256, 1, gcm256, 1, PONTE_SRTP_AEAD_AES_256_GCM, 32, 12);
		test_handshake(ra, cm32, 1, cm32, 1, PONTE_SRTP_AES128_CM_SHA1_32, 16, 14);
	}
	test_no_common_profile();
	test_other_hashes();

	test_fingerprint_mismatch(true);
	test_fingerprint_mismatch(false);

	test_loss(true, 1, "ClientHello lost");
	test_loss(false, 1, "server's first flight lost");
	test_loss(true, 2, "client's second flight lost");
	test_loss(false, 2, "server's last flight lost");
	test_timeout();

	test_garbage(PONTE_DTLS_CLIENT);
	test_garbage(PONTE_DTLS_SERVER);
	test_garbage_only();
	test_early_client_hello();
	test_app_and_close();
	test_small_mtu();
	test_destroy_in_ops();

	ponte_dtls_cert_unref(cert_a);
	ponte_dtls_cert_unref(cert_b);
	g_byte_array_unref(A.app);
	g_byte_array_unref(B.app);
	g_rand_free(rnd);
	g_main_loop_unref(test_loop);
	return tap_done();
}
