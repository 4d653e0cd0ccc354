/* SPDX-License-Identifier: MIT */
/*
 * A session's DTLS must die with the session. The crash this guards against: libnice emitted
 * "connected" and the selected pair on the media I/O thread (where the sockets are read), so
 * the session started DTLS there while the main loop started one for the browser's first
 * DTLS datagram; one of the two was orphaned, and its handshake deadline fired into the freed
 * session after the hang-up.
 *
 * 1. Two real libnice agents through ponte_ice on 127.0.0.1: every report (candidates, state,
 *    DTLS) reaches its owner on the main loop's thread, never on the media I/O thread.
 * 2. A real ponte_session against a "browser" agent that connects ICE and never starts DTLS,
 *    hung up before the handshake deadline: nothing of the session runs afterwards, past the
 *    deadline. Run under ASan (meson -Db_sanitize=address), where a callback into the freed
 *    session is a heap-use-after-free.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "config.h"
#include "dtls.h"
#include "ice.h"
#include "log.h"
#include "mediaio.h"
#include "session.h"
#include "loop.h"
#include "tap.h"

static GThread *main_thread;

/* ---- 1. where ICE reports run ---- */

struct side {
	struct ponte_ice *ice;
	struct side *peer;
	bool is_connected;
	int nb_reports, nb_off_main;
};

static struct side *cur_a, *cur_b2;

static void note_thread(struct side *s)
{
	s->nb_reports++;
	if (g_thread_self() != main_thread)
		s->nb_off_main++;
}

static void s_candidate(void *ctx, const char *candidate)
{
	struct side *s = ctx;

	note_thread(s);
	if (candidate == NULL)
		ponte_ice_remote_gathering_done(s->peer->ice);
	else
		ponte_ice_add_remote_candidate(s->peer->ice, candidate);
}

static void s_state(void *ctx, enum ponte_ice_state st)
{
	struct side *s = ctx;

	note_thread(s);
	s->is_connected = st == PONTE_ICE_CONNECTED;
}

static void s_dtls(void *ctx, const uint8_t *pkt, size_t len)
{
	note_thread(ctx);
}

static const struct ponte_ice_ops s_ops = {s_candidate, s_state, s_dtls};

static bool sides_connected(void)
{
	return cur_a->is_connected && cur_b2->is_connected;
}

static void test_reports_on_main(void)
{
	const char *addrs[] = {"127.0.0.1", NULL};
	struct ponte_ice_params pa = {.is_controlling = true, .addresses = addrs, .log_name = "a"};
	struct ponte_ice_params pb = {.is_controlling = false, .addresses = addrs,
				      .log_name = "b"};
	struct side a = {0}, b = {0};
	uint8_t hello[13] = {22, 0xfe, 0xfd};

	cur_a = &a;
	cur_b2 = &b;
	a.peer = &b;
	b.peer = &a;
	CHECK(ponte_ice_create(&pa, &s_ops, &a, &a.ice) == 0 &&
		      ponte_ice_create(&pb, &s_ops, &b, &b.ice) == 0,
	      "two agents");
	ponte_ice_set_remote_credentials(a.ice, ponte_ice_ufrag(b.ice), ponte_ice_pwd(b.ice));
	ponte_ice_set_remote_credentials(b.ice, ponte_ice_ufrag(a.ice), ponte_ice_pwd(a.ice));
	ponte_ice_gather(a.ice);
	ponte_ice_gather(b.ice);
	test_loop_run(sides_connected, 10000, 10);
	CHECK(a.is_connected && b.is_connected, "ICE connects");
	ponte_ice_send(a.ice, hello, sizeof(hello));
	test_loop_run(NULL, 300, 10);
	/* The controlled side learns of the nomination from the peer's check, which the media
	 * I/O thread reads: its "connected" is what used to arrive there. */
	CHECK(a.nb_off_main == 0 && b.nb_off_main == 0,
	      "every ICE report runs on the main loop's thread (off it: controlling %d of %d, "
	      "controlled %d of %d)",
	      a.nb_off_main, a.nb_reports, b.nb_off_main, b.nb_reports);
	ponte_ice_destroy(a.ice);
	ponte_ice_destroy(b.ice);
	test_loop_run(NULL, 100, 10);
}

/* ---- 2. a session hung up before its handshake deadline ---- */

struct browser {
	struct ponte_ice *ice;
	struct ponte_session *s; /* NULL once hung up */
	bool is_connected;
	int nb_dtls_in;
};

struct gw {
	struct browser *b;
	int nb_ended;
	char reason[64];
	int nb_candidates;
};

static struct browser *cur_b;
static struct gw *cur_gw;

/* ---- the browser's side ---- */

static void b_candidate(void *ctx, const char *candidate)
{
	struct browser *b = ctx;

	if (b->s != NULL)
		ponte_session_candidate(b->s, candidate != NULL ? candidate : "");
}

static void b_state(void *ctx, enum ponte_ice_state st)
{
	struct browser *b = ctx;

	b->is_connected = st == PONTE_ICE_CONNECTED;
}

static void b_dtls(void *ctx, const uint8_t *pkt, size_t len)
{
	struct browser *b = ctx;

	b->nb_dtls_in++;
}

static const struct ponte_ice_ops b_ops = {b_candidate, b_state, b_dtls};

/* ---- the gateway's side (what gateway.c does with a session) ---- */

static void gw_candidate(void *ctx, const char *candidate)
{
	struct gw *g = ctx;

	if (candidate != NULL) {
		g->nb_candidates++;
		ponte_ice_add_remote_candidate(g->b->ice, candidate);
	} else {
		ponte_ice_remote_gathering_done(g->b->ice);
	}
}

static void gw_media_ready(void *ctx, const struct ponte_media_leg *leg)
{
}

static void gw_ended(void *ctx, const char *reason)
{
	struct gw *g = ctx;

	g->nb_ended++;
	g_strlcpy(g->reason, reason, sizeof(g->reason));
}

static const struct ponte_session_ops gw_ops = {
	.candidate = gw_candidate,
	.media_ready = gw_media_ready,
	.ended = gw_ended,
};

static bool b_connected(void)
{
	return cur_b->is_connected;
}

static bool b_got_dtls(void)
{
	return cur_b->nb_dtls_in > 0;
}

static bool gw_got_ended(void)
{
	return cur_gw->nb_ended > 0;
}

static char *attr(const char *sdp, const char *name)
{
	const char *p = strstr(sdp, name);
	size_t n;

	if (p == NULL)
		return NULL;
	p += strlen(name);
	n = strcspn(p, "\r\n");
	return g_strndup(p, n);
}

static char *offer_text(struct ponte_ice *ice, const char *fp)
{
	return g_strdup_printf("v=0\r\n"
			       "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
			       "s=-\r\n"
			       "t=0 0\r\n"
			       "a=group:BUNDLE 0\r\n"
			       "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
			       "c=IN IP4 0.0.0.0\r\n"
			       "a=ice-ufrag:%s\r\n"
			       "a=ice-pwd:%s\r\n"
			       "a=ice-options:trickle\r\n"
			       "a=fingerprint:sha-256 %s\r\n"
			       "a=setup:actpass\r\n"
			       "a=mid:0\r\n"
			       "a=sendrecv\r\n"
			       "a=rtcp-mux\r\n"
			       "a=rtpmap:111 opus/48000/2\r\n"
			       "a=ssrc:1111 cname:test\r\n",
			       ponte_ice_ufrag(ice), ponte_ice_pwd(ice), fp);
}

/*
 * One call: offer, ICE up, the browser then does what is_hello says (nothing, or one
 * ClientHello-range datagram the gateway cannot finish a handshake with), hang-up after
 * hangup_ms, then the loop runs past the handshake deadline.
 */
static void run_call(const struct ponte_session_env *env, struct ponte_dtls_cert *browser_cert,
		     bool is_hello, unsigned hangup_ms, unsigned after_ms, const char *what)
{
	const char *addrs[] = {"127.0.0.1", NULL};
	struct ponte_ice_params bp = {.is_controlling = true, .addresses = addrs,
				      .log_name = "browser"};
	struct browser b = {0};
	struct gw g = {.b = &b};
	char err[256] = "";
	char *answer = NULL, *offer, *ufrag, *pwd;
	int rc;

	cur_b = &b;
	cur_gw = &g;
	rc = ponte_ice_create(&bp, &b_ops, &b, &b.ice);
	CHECK(rc == 0, "%s: browser agent", what);
	rc = ponte_session_create(env, "g-test", false, &gw_ops, &g, &b.s);
	CHECK(rc == 0, "%s: session", what);
	offer = offer_text(b.ice, ponte_dtls_cert_fingerprint(browser_cert, NULL));
	rc = ponte_session_offer(b.s, offer, &answer, err, sizeof(err));
	CHECK(rc == 0 && answer != NULL, "%s: the offer is answered%s%s", what, err[0] ? ": " : "",
	      err);
	if (answer == NULL)
		goto out;
	ufrag = attr(answer, "a=ice-ufrag:");
	pwd = attr(answer, "a=ice-pwd:");
	ponte_ice_set_remote_credentials(b.ice, ufrag, pwd);
	g_free(ufrag);
	g_free(pwd);
	ponte_ice_gather(b.ice);
	test_loop_run(b_connected, 10000, 10);
	CHECK(b.is_connected, "%s: ICE connects", what);
	if (is_hello) {
		/* A ClientHello header with a body OpenSSL refuses to parse as one. */
		uint8_t hello[64] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 51, 1, 0, 0, 47};

		ponte_ice_send(b.ice, hello, sizeof(hello));
	}
	test_loop_run(NULL, hangup_ms, 10);
	CHECK(g.nb_ended == 0, "%s: still up before the hang-up (%s)", what,
	      g.nb_ended ? g.reason : "not ended");
	/* Hang-up: what gateway.c's free_later does. */
	ponte_session_destroy(b.s);
	b.s = NULL;
	test_loop_run(gw_got_ended, after_ms, 50);
	CHECK(g.nb_ended == 0, "%s: nothing of the session runs after its destruction "
	      "(ended: %s)", what, g.nb_ended ? g.reason : "never");
out:
	ponte_ice_destroy(b.ice);
	test_loop_run(NULL, 100, 10);
	g_free(answer);
	g_free(offer);
	(void)b_got_dtls;
}

int main(void)
{
	struct ponte_config *cfg = ponte_config_defaults();
	struct ponte_dp_config dcfg = {.max_flows = 8, .max_ports = 8};
	struct ponte_dtls_cert *cert = NULL, *browser_cert = NULL;
	struct ponte_session_env env = {.cfg = cfg};
	char *addrs[] = {g_strdup("127.0.0.1"), NULL};

	/* Line by line: an assertion in the session must not swallow the checks before it. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ponte_log_set_level(PONTE_LOG_WARN);
	main_thread = g_thread_self();
	test_loop = g_main_loop_new(NULL, FALSE);
	CHECK(ponte_mediaio_start() == 0, "media I/O thread");
	CHECK(ponte_dp_create(&dcfg, &env.dp) == 0, "dataplane");
	CHECK(ponte_dtls_cert_generate(&cert) == 0 && ponte_dtls_cert_generate(&browser_cert) == 0,
	      "certificates");
	env.cert = cert;
	g_strfreev(cfg->webrtc.addresses);
	cfg->webrtc.addresses = g_memdup2(addrs, sizeof(addrs));

	test_reports_on_main();
	/* Past PONTE_DTLS_DEFAULT_HANDSHAKE_TIMEOUT_MS: the deadline of any DTLS object the
	 * session made would have fired by then. */
	run_call(&env, browser_cert, false, 200, PONTE_DTLS_DEFAULT_HANDSHAKE_TIMEOUT_MS + 1500,
		 "silent browser");

	ponte_dtls_cert_unref(cert);
	ponte_dtls_cert_unref(browser_cert);
	ponte_dp_destroy(env.dp);
	ponte_mediaio_stop();
	ponte_config_free(cfg);
	g_main_loop_unref(test_loop);
	return tap_done();
}
