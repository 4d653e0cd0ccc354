/* SPDX-License-Identifier: MIT */
/*
 * The SIP stack against a real SIP peer: SIPp (Debian sip-tester) on 127.0.0.1 playing the
 * scenarios in tests/unit/sip/. Proves that an outgoing call reports 18x progress (with early
 * media SDP) and the 2xx answer, that our BYE and CANCEL reach the phone and complete its
 * scenario (SIPp exits 0 only then), that a BYE from the phone, a 486, and the ring timeout end
 * the call with the right status, that an offerless INVITE gets its answer in the ACK, that
 * incoming INVITEs get 480 with a Warning and OPTIONS 200, that malformed datagrams leave the
 * stack working, that sip.public_address goes in Via, Contact and From, and that destroying
 * the stack with a ringing call cancels it without a callback. Exits 77 (skipped) without the
 * sipp command. PONTE_TEST_DEBUG=1 logs the stack's events; PONTE_TEST_KEEP=1 keeps SIPp's
 * message logs in the temporary directory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "log.h"
#include "sip.h"
#include "lo_ports.h"
#include "loop.h"
#include "tap.h"

#define SCENARIO_DIR PONTE_SRC_DIR "/tests/unit/sip"
#define SDP_OFFER                                                                                  \
	"v=0\r\no=ponte 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"            \
	"m=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
#define SDP_ANSWER_PCMA                                                                            \
	"v=0\r\no=ponte 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"            \
	"m=audio 40002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"

static char *tmpdir;

/* ---- the main loop, with a watchdog so that nothing can hang ---- */


/* Run the loop until pred holds (NULL: for the whole time) or max_ms passes. */
static void run(bool (*pred)(void), unsigned int max_ms)
{
	test_loop_run(pred, max_ms, 10);
}

/* ---- ports ---- */
/* ---- SIPp ---- */

struct sipp {
	GPid pid;
	bool is_running;
	int status;
	int port;
	char *messages; /* SIPp's message log (-trace_msg), kept for the checks and failures */
	guint poll_src;
};

/* Polled with waitpid rather than a GLib child watch, whose helper thread would show up under
 * valgrind. */
static gboolean on_sipp_poll(gpointer data)
{
	struct sipp *s = data;

	if (waitpid(s->pid, &s->status, WNOHANG) != s->pid)
		return G_SOURCE_CONTINUE;
	s->is_running = false;
	s->poll_src = 0;
	return G_SOURCE_REMOVE;
}

static struct sipp *cur_sipp;

static bool sipp_exited(void)
{
	return !cur_sipp->is_running;
}

/* Whether someone (SIPp) holds this UDP port on 127.0.0.1. */
static bool udp_port_taken(int port)
{
	int fd = bind_lo(SOCK_DGRAM, port);

	if (fd >= 0) {
		close(fd);
		return false;
	}
	return fd == -EADDRINUSE;
}

static int wait_port;

static bool sipp_listening(void)
{
	return udp_port_taken(wait_port) || !cur_sipp->is_running;
}

/*
 * Start SIPp on scenario file name (in tests/unit/sip/). remote: "127.0.0.1:PORT" to call us
 * (SIPp as the calling phone), NULL to wait for our call (SIPp as the called phone).
 */
static bool sipp_start(struct sipp *s, const char *name, const char *remote)
{
	g_autofree char *sf = g_strdup_printf("%s/%s.xml", SCENARIO_DIR, name);
	g_autofree char *port = NULL, *mport = NULL;
	GError *err = NULL;
	GPtrArray *argv = g_ptr_array_new();
	static int nb_runs;
	bool is_ok;

	memset(s, 0, sizeof(*s));
	s->port = free_port();
	port = g_strdup_printf("%d", s->port);
	mport = g_strdup_printf("%d", s->port + 1);
	s->messages = g_strdup_printf("%s/%s-%d.log", tmpdir, name, nb_runs++);
	g_ptr_array_add(argv, "sipp");
	if (remote != NULL)
		g_ptr_array_add(argv, (char *)remote);
	g_ptr_array_add(argv, "-sf");
	g_ptr_array_add(argv, sf);
	g_ptr_array_add(argv, "-i");
	g_ptr_array_add(argv, "127.0.0.1");
	g_ptr_array_add(argv, "-p");
	g_ptr_array_add(argv, port);
	g_ptr_array_add(argv, "-mi");
	g_ptr_array_add(argv, "127.0.0.1");
	g_ptr_array_add(argv, "-mp");
	g_ptr_array_add(argv, mport);
	g_ptr_array_add(argv, "-m");
	g_ptr_array_add(argv, "1");
	g_ptr_array_add(argv, "-nostdin");
	/* SIPp gives up by itself, failing, if the scenario does not complete in time. */
	g_ptr_array_add(argv, "-timeout");
	g_ptr_array_add(argv, "20s");
	g_ptr_array_add(argv, "-timeout_error");
	g_ptr_array_add(argv, "-trace_msg");
	g_ptr_array_add(argv, "-message_file");
	g_ptr_array_add(argv, s->messages);
	g_ptr_array_add(argv, NULL);
	is_ok = g_spawn_async(tmpdir, (char **)argv->pdata, NULL,
			      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
				  G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
			      NULL, NULL, &s->pid, &err);
	g_ptr_array_free(argv, TRUE);
	if (!is_ok) {
		printf("# spawn sipp: %s\n", err->message);
		g_error_free(err);
		return false;
	}
	s->is_running = true;
	s->poll_src = g_timeout_add(20, on_sipp_poll, s);
	if (remote == NULL) {
		/* Our INVITE must not find the port closed: an ICMP error would fail the call. */
		cur_sipp = s;
		wait_port = s->port;
		run(sipp_listening, 5000);
	}
	return true;
}

/* Wait for SIPp to finish its scenario; its exit status, or -1 if it had to be killed. */
static int sipp_wait(struct sipp *s, unsigned int max_ms)
{
	int rc;

	cur_sipp = s;
	run(sipp_exited, max_ms);
	if (s->is_running) {
		kill(s->pid, SIGKILL);
		run(sipp_exited, 3000);
		rc = -1;
	} else {
		rc = WIFEXITED(s->status) ? WEXITSTATUS(s->status) : -1;
	}
	if (rc != 0) {
		g_autofree char *text = NULL;

		printf("# sipp exit %d; its messages (%s):\n", rc, s->messages);
		if (g_file_get_contents(s->messages, &text, NULL, NULL)) {
			g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

			for (char **l = lines; *l != NULL; l++)
				printf("#   %s\n", *l);
		}
	}
	return rc;
}

/* The text SIPp logged (sent and received messages), "" if none; g_free it. */
static char *sipp_log(const struct sipp *s)
{
	char *text = NULL;

	if (!g_file_get_contents(s->messages, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

static void sipp_free(struct sipp *s)
{
	if (s->is_running) {
		kill(s->pid, SIGKILL);
		cur_sipp = s;
		run(sipp_exited, 3000);
	}
	if (s->poll_src != 0)
		g_source_remove(s->poll_src);
	if (getenv("PONTE_TEST_KEEP") == NULL)
		g_unlink(s->messages);
	g_free(s->messages);
}

/* ---- what the stack reports ---- */

struct rec {
	int nb_progress;
	int progress_status[4];
	bool progress_has_sdp[4];
	bool is_answered;
	char *answer_sdp;
	bool is_ended;
	int nb_ended;
	int end_status;
	char *end_reason;
	int nb_after_end; /* callbacks after ended(): must stay 0 */
	/* What the callbacks do. */
	bool do_hangup_on_progress;
	bool do_ack_answer; /* offerless: send SDP_ANSWER_PCMA in the ACK */
	int ack_rc;
	struct ponte_sip_call *call;
};

static void on_progress(void *ctx, int status, const char *reason, const char *sdp)
{
	struct rec *r = ctx;

	if (r->is_ended)
		r->nb_after_end++;
	if (r->nb_progress < 4) {
		r->progress_status[r->nb_progress] = status;
		r->progress_has_sdp[r->nb_progress] = sdp != NULL && strstr(sdp, "m=audio") != NULL;
	}
	r->nb_progress++;
	if (r->do_hangup_on_progress)
		ponte_sip_hangup(r->call);
}

static void on_answered(void *ctx, const char *sdp)
{
	struct rec *r = ctx;

	if (r->is_ended)
		r->nb_after_end++;
	r->is_answered = true;
	r->answer_sdp = g_strdup(sdp);
	if (r->do_ack_answer)
		r->ack_rc = ponte_sip_call_ack(r->call, SDP_ANSWER_PCMA);
}

static void on_ended(void *ctx, int status, const char *reason)
{
	struct rec *r = ctx;

	if (r->is_ended)
		r->nb_after_end++;
	r->is_ended = true;
	r->nb_ended++;
	r->end_status = status;
	g_free(r->end_reason);
	r->end_reason = g_strdup(reason);
}

static const struct ponte_sip_call_ops rec_ops = {on_progress, on_answered, on_ended};

static void rec_clear(struct rec *r)
{
	g_free(r->answer_sdp);
	g_free(r->end_reason);
	memset(r, 0, sizeof(*r));
}

static struct rec *cur_rec;

static bool rec_progressed(void)
{
	return cur_rec->nb_progress > 0 || cur_rec->is_ended;
}

static bool rec_answered(void)
{
	return cur_rec->is_answered || cur_rec->is_ended;
}

static bool rec_ended(void)
{
	return cur_rec->is_ended;
}

/* Let the stack finish transactions (ACKs, 200 to BYE) for a moment. */
static void settle(unsigned int ms)
{
	run(NULL, ms);
}

/* ---- tests ---- */

static struct ponte_config *cfg;
static struct ponte_sip *sip;

static char *target(const struct sipp *s)
{
	return g_strdup_printf("sip:phone@127.0.0.1:%d", s->port);
}

static void test_bad_targets(void)
{
	static const char *const bad[] = {
	    "",
	    "not a uri",
	    "tel:+15551234567",
	    "sip:",
	    "sip:@",
	    "http://127.0.0.1/",
	    "sip:a@127.0.0.1>\r\nX-Evil: 1",
	    "sip:a@127.0.0.1?Subject=hi",
	    "<sip:a@127.0.0.1>",
	};
	struct rec r = {0};
	int nb_einval = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct ponte_sip_call *call = (void *)1;

		if (ponte_sip_call(sip, bad[i], NULL, SDP_OFFER, &rec_ops, &r, &call) == -EINVAL &&
		    call == NULL)
			nb_einval++;
		else
			printf("# accepted: '%s'\n", bad[i]);
	}
	settle(200);
	CHECK(nb_einval == (int)G_N_ELEMENTS(bad),
	      "unparsable or non-SIP targets: -EINVAL, no call");
	CHECK(r.nb_progress == 0 && !r.is_answered && r.nb_ended == 0,
	      "and no callback ran for them");
}

/* 100/180/200 with SDP; we hang up with BYE, which the phone receives and answers. */
static void test_answer_then_bye(void)
{
	struct sipp s;
	struct rec r = {0};
	g_autofree char *to = NULL, *wire = NULL;
	const char *call_id;
	int rc;

	if (!sipp_start(&s, "uas_answer", NULL))
		return;
	to = target(&s);
	rc = ponte_sip_call(sip, to, "alice", SDP_OFFER, &rec_ops, &r, &r.call);
	CHECK(rc == 0, "call %s", to);
	if (rc != 0)
		goto out;
	call_id = ponte_sip_call_id(r.call);
	CHECK(call_id != NULL && strlen(call_id) >= 16, "the call has a Call-ID at once (%s)",
	      call_id);
	cur_rec = &r;
	run(rec_answered, 10000);
	CHECK(r.nb_progress == 1 && r.progress_status[0] == 180 && !r.progress_has_sdp[0],
	      "progress(180) without SDP (100 Trying is not reported)");
	CHECK(r.is_answered && r.answer_sdp != NULL && strstr(r.answer_sdp, "m=audio") != NULL,
	      "answered with the phone's SDP");
	CHECK(!r.is_ended, "the call is up");
	/* The Call-ID is read before the call is freed by the hangup. */
	wire = g_strdup_printf("Call-ID: %s", call_id);
	ponte_sip_hangup(r.call);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "the phone got our BYE and answered it: its scenario completed (exit %d)",
	      rc);
	{
		g_autofree char *text = sipp_log(&s);

		CHECK(strstr(text, wire) != NULL,
		      "the INVITE on the wire carries ponte_sip_call_id()");
		CHECK(strstr(text, "From: <sip:alice@127.0.0.1") != NULL,
		      "From carries the caller's user part");
	}
	settle(300);
	CHECK(r.nb_ended == 0, "no ended() after our own hangup");
out:
	sipp_free(&s);
	rec_clear(&r);
}

/*
 * A trunk that challenges calls: the stack answers its 407 with the trunk's credentials (one
 * retry), the trunk verifies them and answers. Also the number route through that trunk.
 */
static void test_trunk_auth(void)
{
	struct sipp s;
	struct rec r = {0};
	struct ponte_sip_trunk trunk = {0};
	g_autofree char *address = NULL, *routed = NULL;
	/* The configuration owns its strings (ponte_config_free() frees them): the default
	 * route is kept aside, not overwritten, and put back at the end. */
	char *default_route = cfg->sip.number_route;
	int rc;

	if (!sipp_start(&s, "uas_invite_auth", NULL))
		return;
	address = g_strdup_printf("sip:127.0.0.1:%d", s.port);
	trunk.name = "carrier";
	trunk.address = address;
	trunk.username = "trunkuser";
	trunk.password = "trunk-pass";
	cfg->sip.trunks = &trunk;
	cfg->sip.nb_trunks = 1;
	cfg->sip.number_route = "carrier";
	routed = ponte_sip_route_number(sip, "+4930123#");
	CHECK(routed != NULL && g_str_has_prefix(routed, "sip:+4930123%23@127.0.0.1:"),
	      "a number is routed through the trunk (%s)", routed ? routed : "NULL");
	CHECK(ponte_sip_route_number(sip, "sip:x@y") == NULL &&
		      ponte_sip_route_number(sip, "12a") == NULL,
	      "what is not a number is not routed");
	rc = ponte_sip_call(sip, routed, "alice", SDP_OFFER, &rec_ops, &r, &r.call);
	CHECK(rc == 0, "call %s", routed);
	if (rc != 0)
		goto out;
	cur_rec = &r;
	run(rec_answered, 10000);
	CHECK(r.is_answered && !r.is_ended,
	      "the trunk's 407 and 401 were answered with its credentials; the call is up");
	ponte_sip_hangup(r.call);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "the trunk verified the digest and got our BYE (exit %d)", rc);
	settle(200);
out:
	cfg->sip.trunks = NULL;
	cfg->sip.nb_trunks = 0;
	cfg->sip.number_route = default_route;
	sipp_free(&s);
	rec_clear(&r);
}

static void test_peer_bye(void)
{
	struct sipp s;
	struct rec r = {0};
	g_autofree char *to = NULL;
	int rc;

	if (!sipp_start(&s, "uas_peer_bye", NULL))
		return;
	to = target(&s);
	rc = ponte_sip_call(sip, to, NULL, SDP_OFFER, &rec_ops, &r, &r.call);
	CHECK(rc == 0, "call a phone that hangs up by itself");
	if (rc != 0)
		goto out;
	cur_rec = &r;
	run(rec_ended, 10000);
	CHECK(r.is_answered, "answered first");
	CHECK(r.nb_ended == 1 && r.end_status == 0 && r.end_reason != NULL &&
		  strcmp(r.end_reason, "bye") == 0,
	      "the phone's BYE ends the call: ended(0, \"bye\") (have %d %s)", r.end_status,
	      r.end_reason);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "our 200 to the BYE reached the phone (exit %d)", rc);
	settle(200);
	CHECK(r.nb_after_end == 0 && r.nb_ended == 1, "nothing after ended()");
out:
	sipp_free(&s);
	rec_clear(&r);
}

static void test_busy(const char *what)
{
	struct sipp s;
	struct rec r = {0};
	g_autofree char *to = NULL;
	int rc;

	if (!sipp_start(&s, "uas_busy", NULL))
		return;
	to = target(&s);
	rc = ponte_sip_call(sip, to, NULL, SDP_OFFER, &rec_ops, &r, &r.call);
	CHECK(rc == 0, "%s: call a busy phone", what);
	if (rc != 0)
		goto out;
	cur_rec = &r;
	run(rec_ended, 10000);
	CHECK(r.nb_ended == 1 && r.end_status == 486 && r.end_reason != NULL &&
		  strcmp(r.end_reason, "Busy Here") == 0,
	      "%s: ended(486, \"Busy Here\") (have %d %s)", what, r.end_status, r.end_reason);
	CHECK(r.nb_progress == 0 && !r.is_answered, "%s: no progress, no answer", what);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "%s: the 486 was acknowledged (exit %d)", what, rc);
out:
	sipp_free(&s);
	rec_clear(&r);
}

static void test_early_media(void)
{
	struct sipp s;
	struct rec r = {0};
	g_autofree char *to = NULL;
	int rc;

	if (!sipp_start(&s, "uas_early", NULL))
		return;
	to = target(&s);
	rc = ponte_sip_call(sip, to, NULL, SDP_OFFER, &rec_ops, &r, &r.call);
	CHECK(rc == 0, "call a phone with early media");
	if (rc != 0)
		goto out;
	cur_rec = &r;
	run(rec_answered, 10000);
	CHECK(r.nb_progress == 1 && r.progress_status[0] == 183 && r.progress_has_sdp[0],
	      "progress(183) with the early media SDP");
	CHECK(r.is_answered && r.answer_sdp != NULL, "then answered with SDP");
	ponte_sip_hangup(r.call);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "BYE after early media completed the phone's scenario (exit %d)", rc);
out:
	sipp_free(&s);
	rec_clear(&r);
}

/* The phone rings; we hang up from inside progress(): CANCEL, 200, 487, ACK. */
static void test_cancel(void)
{
	struct sipp s;
	struct rec r = {.do_hangup_on_progress = true};
	g_autofree char *to = NULL;
	int rc;

	if (!sipp_start(&s, "uas_ring", NULL))
		return;
	to = target(&s);
	rc = ponte_sip_call(sip, to, NULL, SDP_OFFER, &rec_ops, &r, &r.call);
	CHECK(rc == 0, "call a phone that only rings");
	if (rc != 0)
		goto out;
	cur_rec = &r;
	run(rec_progressed, 10000);
	CHECK(r.nb_progress == 1 && r.progress_status[0] == 180, "progress(180), then hang up");
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "the phone got CANCEL, answered 487, got the ACK (exit %d)", rc);
	settle(300);
	CHECK(r.nb_ended == 0 && !r.is_answered && r.nb_progress == 1,
	      "no callback after a hangup from inside progress()");
out:
	sipp_free(&s);
	rec_clear(&r);
}

/*
 * Hang up before any response: the CANCEL waits for the first provisional response
 * (RFC 3261 §9.1), then goes out as usual.
 */
static void test_cancel_at_once(void)
{
	struct sipp s;
	struct rec r = {0};
	g_autofree char *to = NULL;
	int rc;

	if (!sipp_start(&s, "uas_ring", NULL))
		return;
	to = target(&s);
	rc = ponte_sip_call(sip, to, NULL, SDP_OFFER, &rec_ops, &r, &r.call);
	CHECK(rc == 0, "call, and hang up before the INVITE has left");
	if (rc != 0)
		goto out;
	ponte_sip_hangup(r.call);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "the phone still got CANCEL, answered 487, got the ACK (exit %d)", rc);
	settle(300);
	CHECK(r.nb_progress == 0 && r.nb_ended == 0 && !r.is_answered, "and no callback at all");
out:
	sipp_free(&s);
	rec_clear(&r);
}

/* We cancel while the phone answers: the 2xx is acknowledged and the call ended with one BYE. */
static void test_cancel_crossing_2xx(void)
{
	struct sipp s;
	struct rec r = {.do_hangup_on_progress = true};
	g_autofree char *to = NULL;
	int rc;

	if (!sipp_start(&s, "uas_answer_on_cancel", NULL))
		return;
	to = target(&s);
	rc = ponte_sip_call(sip, to, NULL, SDP_OFFER, &rec_ops, &r, &r.call);
	CHECK(rc == 0, "call a phone that answers as our CANCEL arrives");
	if (rc != 0)
		goto out;
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "the crossing 2xx got its ACK and exactly one BYE (exit %d)", rc);
	CHECK(r.nb_progress == 1 && !r.is_answered && r.nb_ended == 0,
	      "no answered() or ended() after the hangup");
out:
	sipp_free(&s);
	rec_clear(&r);
}

static void test_ring_timeout(void)
{
	struct sipp s;
	struct rec r = {0};
	g_autofree char *to = NULL;
	gint64 t0;
	double secs;
	int rc;

	if (!sipp_start(&s, "uas_ring", NULL))
		return;
	to = target(&s);
	t0 = g_get_monotonic_time();
	rc = ponte_sip_call(sip, to, NULL, SDP_OFFER, &rec_ops, &r, &r.call);
	CHECK(rc == 0, "call a phone that rings for ever (ring_timeout %d s)",
	      cfg->sip.ring_timeout);
	if (rc != 0)
		goto out;
	cur_rec = &r;
	run(rec_ended, 10000);
	secs = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	CHECK(r.nb_ended == 1 && r.end_status == 408 && r.end_reason != NULL &&
		  strcmp(r.end_reason, "ring timeout") == 0,
	      "ended(408, \"ring timeout\") (have %d %s)", r.end_status, r.end_reason);
	CHECK(secs >= cfg->sip.ring_timeout - 0.2 && secs < cfg->sip.ring_timeout + 2.0,
	      "after the ring timeout (%.1f s)", secs);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "the phone got the CANCEL of the timeout (exit %d)", rc);
	settle(300);
	CHECK(r.nb_after_end == 0 && r.nb_ended == 1, "nothing after ended(), not even the 487");
out:
	sipp_free(&s);
	rec_clear(&r);
}

static void test_offerless(void)
{
	struct sipp s;
	struct rec r = {.do_ack_answer = true, .ack_rc = 1};
	g_autofree char *to = NULL;
	int rc;

	if (!sipp_start(&s, "uas_offerless", NULL))
		return;
	to = target(&s);
	rc = ponte_sip_call(sip, to, NULL, NULL, &rec_ops, &r, &r.call);
	CHECK(rc == 0, "offerless INVITE");
	if (rc != 0)
		goto out;
	cur_rec = &r;
	run(rec_answered, 10000);
	CHECK(r.is_answered && r.answer_sdp != NULL && strstr(r.answer_sdp, "PCMA") != NULL,
	      "answered with the phone's offer");
	CHECK(r.ack_rc == 0, "ponte_sip_call_ack() sent our answer");
	CHECK(ponte_sip_call_ack(r.call, SDP_ANSWER_PCMA) == -EALREADY, "a second ACK is refused");
	settle(300);
	ponte_sip_hangup(r.call);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "the ACK carried the answer, then BYE (exit %d)", rc);
out:
	sipp_free(&s);
	rec_clear(&r);
}

static void test_incoming(void)
{
	g_autofree char *remote = g_strdup_printf("127.0.0.1:%d", cfg->sip.port);
	struct sipp s;
	int rc;

	if (sipp_start(&s, "uac_invite_480", remote)) {
		rc = sipp_wait(&s, 10000);
		CHECK(rc == 0,
		      "an incoming INVITE gets 480 with Warning: 399 ponte \"...\" (exit %d)", rc);
		sipp_free(&s);
	}
	if (sipp_start(&s, "uac_options", remote)) {
		rc = sipp_wait(&s, 10000);
		CHECK(rc == 0, "OPTIONS gets 200 with our Allow list (exit %d)", rc);
		sipp_free(&s);
	}
}

/* Datagrams (and a TCP stream) that no parser should trust. */
static void test_malformed(void)
{
	static const char *const junk[] = {
	    /* Content-Length that is not a number */
	    "INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKj1\r\n"
	    "From: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: junk1\r\n"
	    "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: abc\r\n\r\nv=0\r\n",
	    /* no From, To, Call-ID or CSeq */
	    "INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKj2\r\n"
	    "Content-Length: 0\r\n\r\n",
	    /* Content-Length far beyond the datagram, and negative */
	    "INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKj3\r\n"
	    "From: <sip:a@b>;tag=3\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: junk3\r\n"
	    "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: "
	    "99999999\r\n\r\nv=0",
	    "INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKj4\r\n"
	    "From: <sip:a@b>;tag=4\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: junk4\r\n"
	    "CSeq: 1 INVITE\r\nContent-Length: -5\r\n\r\n",
	    /* no Via at all, a broken CSeq, a broken request line */
	    "INVITE sip:x@127.0.0.1 SIP/2.0\r\nFrom: <sip:a@b>;tag=5\r\nTo: <sip:x@h>\r\n"
	    "Call-ID: junk5\r\nCSeq: one INVITE\r\n\r\n",
	    "INVITE\r\n\r\n",
	    "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnone\r\n"
	    "From: <sip:a@b>;tag=6\r\nTo: <sip:x@h>;tag=7\r\nCall-ID: junk6\r\n"
	    "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
	    /* a BYE and an ACK for dialogs that do not exist */
	    "BYE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKj8\r\n"
	    "From: <sip:a@b>;tag=8\r\nTo: <sip:x@h>;tag=9\r\nCall-ID: junk8\r\n"
	    "CSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
	    "ACK sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKj9\r\n"
	    "From: <sip:a@b>;tag=8\r\nTo: <sip:x@h>;tag=9\r\nCall-ID: junk9\r\n"
	    "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
	    "\r\n\r\n",
	    "\x01\x02\x03\xff\xfe garbage",
	    "",
	};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->sip.port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), tcp;
	int nb_sent = 0;
	char big[3000];

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (size_t i = 0; i < G_N_ELEMENTS(junk); i++) {
		size_t len = strlen(junk[i]);

		/* The empty one is a zero-length datagram. */
		if (sendto(fd, junk[i], len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len)
			nb_sent++;
		else
			printf("# sendto junk %zu: %s\n", i, g_strerror(errno));
	}
	/* A header line longer than anything sane. */
	memset(big, 'A', sizeof(big));
	memcpy(big, "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nX-Long: ", 42);
	if (sendto(fd, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to)) ==
	    (ssize_t)sizeof(big))
		nb_sent++;
	close(fd);
	/* The same on the TCP side: garbage, then an impossible Content-Length, then hang up. */
	tcp = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(tcp, (struct sockaddr *)&to, sizeof(to)) == 0) {
		g_autofree char *stream = g_strconcat(junk[10], junk[2], NULL);

		if (write(tcp, stream, strlen(stream)) == (ssize_t)strlen(stream))
			nb_sent++;
	} else {
		printf("# connect over TCP: %s\n", g_strerror(errno));
	}
	settle(500);
	close(tcp);
	settle(300);
	CHECK(nb_sent == (int)G_N_ELEMENTS(junk) + 2, "sent %d malformed messages (UDP and TCP)",
	      nb_sent);
	/* Still alive and still calling. */
	test_busy("after the malformed messages");
}

/* A second stack on the same port fails cleanly, with a reason. */
static void test_port_taken(void)
{
	struct ponte_sip *other = NULL;
	char *why = NULL;
	int rc = ponte_sip_create(cfg, &other, &why);

	CHECK(rc < 0 && other == NULL && why != NULL, "a second stack on the same port: %d (%s)",
	      rc, why != NULL ? why : "no reason");
	g_free(why);
	if (other != NULL)
		ponte_sip_destroy(other);
}

/* A second stack behind a (pretend) 1:1 NAT: the public address goes in Via, Contact, From. */
static void test_public_address(void)
{
	struct ponte_config *nat = ponte_config_defaults();
	struct ponte_sip *other = NULL;
	struct sipp s;
	struct rec r = {0};
	char *why = NULL;
	g_autofree char *to = NULL, *text = NULL;
	int rc;

	g_free(nat->sip.public_address);
	nat->sip.public_address = g_strdup("192.0.2.10");
	nat->sip.port = free_port();
	rc = ponte_sip_create(nat, &other, &why);
	CHECK(rc == 0, "a stack with sip.public_address (%s)", why != NULL ? why : "ok");
	g_free(why);
	if (rc != 0)
		goto out_cfg;
	if (!sipp_start(&s, "uas_busy", NULL))
		goto out_sip;
	to = target(&s);
	rc = ponte_sip_call(other, to, NULL, SDP_OFFER, &rec_ops, &r, &r.call);
	cur_rec = &r;
	run(rec_ended, 10000);
	CHECK(rc == 0 && r.end_status == 486, "it places calls from its local address");
	rc = sipp_wait(&s, 10000);
	text = sipp_log(&s);
	CHECK(strstr(text, "Via: SIP/2.0/UDP 192.0.2.10:") != NULL, "Via names the public address");
	CHECK(strstr(text, "Contact: <sip:ponte@192.0.2.10:") != NULL,
	      "so does Contact, with our From's user");
	CHECK(strstr(text, "From: <sip:ponte@192.0.2.10>") != NULL, "and From");
	sipp_free(&s);
	rec_clear(&r);
out_sip:
	ponte_sip_destroy(other);
out_cfg:
	ponte_config_free(nat);
}

/* Destroying the stack with a ringing call: CANCEL goes out, no callback, bounded. */
static void test_destroy_ringing(void)
{
	struct sipp s;
	struct rec r = {0};
	g_autofree char *to = NULL;
	gint64 t0;
	double secs;
	int rc;

	if (!sipp_start(&s, "uas_ring", NULL))
		return;
	to = target(&s);
	rc = ponte_sip_call(sip, to, NULL, SDP_OFFER, &rec_ops, &r, &r.call);
	CHECK(rc == 0, "call a ringing phone, then destroy the stack");
	cur_rec = &r;
	run(rec_progressed, 10000);
	t0 = g_get_monotonic_time();
	ponte_sip_destroy(sip);
	sip = NULL;
	secs = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	CHECK(secs < 5.0, "ponte_sip_destroy() returned in %.2f s", secs);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "the ringing phone got the CANCEL of the shutdown (exit %d)", rc);
	settle(200);
	CHECK(r.nb_ended == 0 && !r.is_answered, "no callback after ponte_sip_destroy()");
	sipp_free(&s);
	rec_clear(&r);
}

int main(void)
{
	g_autofree char *sipp_path = g_find_program_in_path("sipp");
	GError *err = NULL;
	char *why = NULL;
	int rc;

	if (sipp_path == NULL) {
		printf("# skipped: no sipp command (Debian package sip-tester)\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	ponte_log_set_level(getenv("PONTE_TEST_DEBUG") != NULL ? PONTE_LOG_DEBUG : PONTE_LOG_WARN);
	test_loop = g_main_loop_new(NULL, FALSE);
	tmpdir = g_dir_make_tmp("ponte-sip-XXXXXX", &err);
	g_assert_no_error(err);

	cfg = ponte_config_defaults();
	cfg->sip.port = free_port();
	/* Below the schema's minimum on purpose, to keep the test short. */
	cfg->sip.ring_timeout = 2;
	rc = ponte_sip_create(cfg, &sip, &why);
	CHECK(rc == 0, "stack on 127.0.0.1:%d (%s)", cfg->sip.port, why != NULL ? why : "ok");
	g_free(why);
	if (rc != 0)
		goto out;
	{
		g_autofree char *want = g_strdup_printf("sip:127.0.0.1:%d", cfg->sip.port);

		CHECK_STR(ponte_sip_contact(sip), want, "ponte_sip_contact()");
	}

	test_bad_targets();
	test_answer_then_bye();
	test_trunk_auth();
	test_peer_bye();
	test_busy("plain");
	test_early_media();
	test_cancel();
	test_cancel_at_once();
	test_cancel_crossing_2xx();
	test_ring_timeout();
	test_offerless();
	test_incoming();
	test_malformed();
	test_port_taken();
	test_public_address();
	test_destroy_ringing();

out:
	if (sip != NULL)
		ponte_sip_destroy(sip);
	ponte_config_free(cfg);
	g_rmdir(tmpdir);
	g_free(tmpdir);
	g_main_loop_unref(test_loop);
	return tap_done();
}
