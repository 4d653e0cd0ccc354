/* SPDX-License-Identifier: MIT */
/*
 * MESSAGE (RFC 3428) in the SIP stack (control/sip_message.c), against SIPp (Debian
 * sip-tester) on 127.0.0.1 with the scenarios in tests/unit/sip/: what the text check refuses;
 * incoming MESSAGEs handed to the server with their sender and text, and answered with the
 * server's status, or refused by the stack itself (415 with Accept for another content type,
 * 413 above the size limit, 400 for an empty body or bad UTF-8, 403 from a source that is not
 * a trunk, 480 without a server), a Latin-1 body converted to UTF-8; outgoing MESSAGEs whose
 * final status (200, 404, a closed port) reaches the callback, a trunk's 401 answered with its
 * credentials (SIPp's verifyauth checks the digest), a forgotten message that calls nobody
 * back; and a MESSAGE inside a call going to the call's message op. Exits 77 (skipped) without
 * the sipp command. PONTE_TEST_DEBUG=1 logs the stack's events; PONTE_TEST_KEEP=1 keeps SIPp's
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
#include "sip_message.h"
#include "loop.h"
#include "lo_ports.h"
#include "tap.h"

#define SCENARIO_DIR PONTE_SRC_DIR "/tests/unit/sip"
#define SDP_OFFER                                                                                  \
	"v=0\r\no=ponte 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"            \
	"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

static char *tmpdir;
static struct ponte_config *cfg;
static struct ponte_sip *sip;

static void run(bool (*pred)(void), unsigned int max_ms)
{
	test_loop_run(pred, max_ms, 10);
}

static void settle(unsigned int ms)
{
	run(NULL, ms);
}

/* ---- ports and SIPp ---- */
struct sipp {
	GPid pid;
	bool is_running;
	int status;
	int port;
	char *messages; /* SIPp's message log (-trace_msg) */
	guint poll_src;
};

static struct sipp *cur_sipp;
static int wait_port;

/* Polled rather than a GLib child watch, whose helper thread would show under valgrind. */
static gboolean on_sipp_poll(gpointer data)
{
	struct sipp *s = data;

	if (waitpid(s->pid, &s->status, WNOHANG) != s->pid)
		return G_SOURCE_CONTINUE;
	s->is_running = false;
	s->poll_src = 0;
	return G_SOURCE_REMOVE;
}

static bool sipp_exited(void)
{
	return !cur_sipp->is_running;
}

static bool sipp_listening(void)
{
	int fd = bind_lo(SOCK_DGRAM, wait_port);

	if (fd >= 0)
		close(fd);
	return fd == -EADDRINUSE || !cur_sipp->is_running;
}

/*
 * SIPp on scenario name with extra arguments (NULL-terminated pairs such as "-key", "body",
 * "..."); remote "127.0.0.1:PORT" to send to us, NULL to wait for us.
 */
static bool sipp_start(struct sipp *s, const char *name, const char *remote, const char *service,
		       const char *const *extra)
{
	g_autofree char *sf = g_strdup_printf("%s/%s.xml", SCENARIO_DIR, name);
	g_autofree char *port = NULL, *mport = NULL;
	GPtrArray *argv = g_ptr_array_new();
	static int nb_runs;
	GError *err = NULL;
	bool is_ok;

	memset(s, 0, sizeof(*s));
	s->port = free_port();
	port = g_strdup_printf("%d", s->port);
	mport = g_strdup_printf("%d", s->port + 1);
	s->messages = g_strdup_printf("%s/%s-%d.log", tmpdir, name, nb_runs++);
	g_ptr_array_add(argv, "sipp");
	if (remote != NULL)
		g_ptr_array_add(argv, (char *)remote);
	{
		const char *common[] = {"-sf", sf, "-i", "127.0.0.1", "-p", port, "-mi",
					"127.0.0.1", "-mp", mport, "-m", "1", "-nostdin",
					"-timeout", "20s", "-timeout_error", "-trace_msg",
					"-message_file", s->messages};

		for (size_t i = 0; i < G_N_ELEMENTS(common); i++)
			g_ptr_array_add(argv, (char *)common[i]);
	}
	if (service != NULL) {
		g_ptr_array_add(argv, "-s");
		g_ptr_array_add(argv, (char *)service);
	}
	for (const char *const *p = extra; p != NULL && *p != NULL; p++)
		g_ptr_array_add(argv, (char *)*p);
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
		/* Our request must not find the port closed. */
		cur_sipp = s;
		wait_port = s->port;
		run(sipp_listening, 5000);
	}
	return true;
}

static char *sipp_log(const struct sipp *s)
{
	char *text = NULL;

	if (!g_file_get_contents(s->messages, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

/* SIPp's exit status once its scenario ends, or -1 if it had to be killed. */
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
		g_autofree char *text = sipp_log(s);

		printf("# sipp exit %d; its messages (%s):\n# %s\n", rc, s->messages, text);
	}
	return rc;
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

/* The first line of the last response SIPp received ("SIP/2.0 404 Not Found"), or "". */
static char *last_status_line(const char *log)
{
	const char *p = NULL;

	for (const char *q = strstr(log, "\nSIP/2.0 "); q != NULL; q = strstr(q + 1, "\nSIP/2.0 "))
		p = q + 1;
	return p != NULL ? g_strndup(p, strcspn(p, "\r\n")) : g_strdup("");
}

/* ---- the server: what the stack hands over ---- */

struct got {
	int nb;
	char *from_uri, *from_display, *to_user, *text, *trunk;
	bool has_call;
	int reply;	     /* what on_message returns */
	const char *warning; /* and its Warning */
};

static struct got got;

static void got_clear(void)
{
	g_free(got.from_uri);
	g_free(got.from_display);
	g_free(got.to_user);
	g_free(got.text);
	g_free(got.trunk);
	memset(&got, 0, sizeof(got));
}

static void record(const struct ponte_sip_message_in *in)
{
	got_clear();
	got.nb = 1;
	got.from_uri = g_strdup(in->from_uri);
	got.from_display = g_strdup(in->from_display);
	got.to_user = g_strdup(in->to_user);
	/* SIPp ends its bodies with a line break. */
	got.text = g_strchomp(g_strndup(in->text, in->len));
	got.trunk = g_strdup(in->trunk);
	got.has_call = in->call != NULL;
}

static int reply_status = 200;
static const char *reply_warning;

static int on_message(void *ctx, const struct ponte_sip_message_in *in, const char **warning)
{
	(void)ctx;
	record(in);
	got.reply = reply_status;
	*warning = reply_warning;
	return reply_status;
}

static int on_invite(void *ctx, const struct ponte_sip_incoming *in, struct ponte_sip_call *call,
		     const char **warning)
{
	(void)ctx;
	(void)in;
	(void)call;
	(void)warning;
	return 480;
}

static void on_cancelled(void *ctx, struct ponte_sip_call *call)
{
	(void)ctx;
	(void)call;
}

static const struct ponte_sip_server_ops server_ops = {
	.invite = on_invite,
	.cancelled = on_cancelled,
	.message = on_message,
};

/* ---- tests ---- */

static void test_check_text(void)
{
#define TEXT(s) s, sizeof(s) - 1
	static const struct {
		const char *text;
		size_t len;
		int want;
		const char *what;
	} cases[] = {
	    {TEXT(""), -ENODATA, "empty"},
	    {TEXT("hello"), 0, "ASCII"},
	    {TEXT("Gr\xc3\xbc\xc3\x9f" "e \xe2\x98\x8e"), 0, "UTF-8 (Grüße ☎)"},
	    {TEXT("line one\nline\ttwo\r\n"), 0, "tabs and line breaks"},
	    {TEXT("\xff\xfe"), -EILSEQ, "not UTF-8"},
	    {TEXT("a\0b"), -EILSEQ, "a NUL byte"},
	    {TEXT("bell\x07"), -EILSEQ, "a control character"},
	    {TEXT("\xc2\x85"), -EILSEQ, "a C1 control character"},
	    {TEXT("\xed\xa0\x80"), -EILSEQ, "a UTF-16 surrogate"},
	};
#undef TEXT
	g_autofree char *at_limit = g_strnfill(PONTE_SIP_MESSAGE_MAX_OUT, 'x');
	const char *why = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		int rc = ponte_sip_message_check_text(cases[i].text, cases[i].len, 100, &why);

		CHECK(rc == cases[i].want, "check_text: %s -> %d (%s)", cases[i].what, rc,
		      rc != 0 ? why : "ok");
	}
	CHECK(ponte_sip_message_check_text(at_limit, PONTE_SIP_MESSAGE_MAX_OUT,
					   PONTE_SIP_MESSAGE_MAX_OUT, NULL) == 0 &&
		      ponte_sip_message_check_text(at_limit, PONTE_SIP_MESSAGE_MAX_OUT,
						   PONTE_SIP_MESSAGE_MAX_OUT - 1, NULL) == -EMSGSIZE,
	      "check_text: %d bytes pass at the limit, fail above it", PONTE_SIP_MESSAGE_MAX_OUT);
}

/*
 * One MESSAGE from SIPp to user with content type ctype and body; returns the status line
 * SIPp got (g_free), and the whole log in *log (g_free).
 */
static char *send_in(const char *user, const char *ctype, const char *body, char **log)
{
	g_autofree char *remote = g_strdup_printf("127.0.0.1:%d", cfg->sip.port);
	const char *extra[] = {"-key", "ctype", ctype, "-key", "body", body, NULL};
	struct sipp s;
	int rc;
	char *line;

	got_clear();
	*log = NULL;
	if (!sipp_start(&s, "uac_message", remote, user, extra))
		return g_strdup("");
	rc = sipp_wait(&s, 10000);
	*log = sipp_log(&s);
	line = last_status_line(*log);
	if (rc != 0)
		printf("# sipp exit %d\n", rc);
	sipp_free(&s);
	return line;
}

static void test_incoming(void)
{
	g_autofree char *line = NULL, *log = NULL;
	g_autofree char *big = g_strnfill(PONTE_SIP_MESSAGE_MAX_IN + 1, 'y');

	/* No server yet: 480, as for calls. */
	line = send_in("alice", "text/plain", "hello", &log);
	CHECK(g_str_has_prefix(line, "SIP/2.0 480") &&
		      strstr(log, "Warning: 399 ponte \"messages are not taken\"") != NULL,
	      "no server: %s, with a Warning", line);

	ponte_sip_set_server(sip, &server_ops, NULL);
	reply_status = 200;
	reply_warning = NULL;
	g_free(line);
	g_free(log);
	line = send_in("alice", "text/plain;charset=UTF-8", "Gr\xc3\xbc\xc3\x9f" "e \xe2\x98\x8e",
		       &log);
	CHECK(g_str_has_prefix(line, "SIP/2.0 200"), "a text/plain MESSAGE to alice: %s", line);
	CHECK(got.nb == 1 && got.to_user != NULL && strcmp(got.to_user, "alice") == 0 &&
		      got.from_uri != NULL && g_str_has_prefix(got.from_uri, "sip:phone@127.0.0.1:") &&
		      got.from_display != NULL && strcmp(got.from_display, "Desk Phone") == 0 &&
		      !got.has_call && got.trunk == NULL,
	      "the server got it for alice from sip:phone@... \"Desk Phone\" (%s, %s, %s)",
	      got.to_user, got.from_uri, got.from_display);
	CHECK(got.text != NULL && g_str_has_prefix(got.text, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x98\x8e"),
	      "with its UTF-8 text (%s)", got.text);

	reply_status = 404;
	reply_warning = "no browser has that name";
	g_free(line);
	g_free(log);
	line = send_in("bob", "text/plain", "anyone there?", &log);
	CHECK(g_str_has_prefix(line, "SIP/2.0 404") &&
		      strstr(log, "Warning: 399 ponte \"no browser has that name\"") != NULL,
	      "the server's 404 and Warning go back: %s", line);
	reply_status = 200;
	reply_warning = NULL;

	g_free(line);
	g_free(log);
	line = send_in("alice", "application/json", "{\"text\":\"hi\"}", &log);
	CHECK(g_str_has_prefix(line, "SIP/2.0 415") && strstr(log, "Accept: text/plain") != NULL &&
		      got.nb == 0,
	      "application/json: %s with Accept: text/plain, the server never sees it", line);

	g_free(line);
	g_free(log);
	line = send_in("alice", "text/plain", big, &log);
	CHECK(g_str_has_prefix(line, "SIP/2.0 413") && got.nb == 0, "a %d-byte body: %s",
	      PONTE_SIP_MESSAGE_MAX_IN + 1, line);

	g_free(line);
	g_free(log);
	line = send_in("alice", "text/plain;charset=ISO-8859-1", "Gr\xfc\xdf" "e", &log);
	CHECK(g_str_has_prefix(line, "SIP/2.0 200") && got.text != NULL &&
		      g_str_has_prefix(got.text, "Gr\xc3\xbc\xc3\x9f" "e"),
	      "a Latin-1 body reaches the server as UTF-8: %s (%s)", line, got.text);

	g_free(line);
	g_free(log);
	line = send_in("alice", "text/plain;charset=x-no-such-charset", "hi", &log);
	CHECK(g_str_has_prefix(line, "SIP/2.0 415") && got.nb == 0,
	      "an unknown charset: %s", line);

	g_free(line);
	g_free(log);
	line = send_in("alice", "text/plain", "\xff\xfe not UTF-8", &log);
	CHECK(g_str_has_prefix(line, "SIP/2.0 400") && got.nb == 0, "bytes that are not UTF-8: %s",
	      line);

	/* With trunks, only their addresses may send (403), as for INVITE. */
	{
		struct ponte_sip_trunk trunk = {0};
		char elsewhere[] = "192.0.2.1", here[] = "127.0.0.1";
		char *allow[] = {elsewhere, NULL};

		trunk.name = "carrier";
		trunk.address = "sip:192.0.2.1";
		trunk.allow = allow;
		cfg->sip.trunks = &trunk;
		cfg->sip.nb_trunks = 1;
		g_free(line);
		g_free(log);
		line = send_in("alice", "text/plain", "hello", &log);
		CHECK(g_str_has_prefix(line, "SIP/2.0 403") && got.nb == 0,
		      "from a source that is not a trunk: %s", line);
		allow[0] = here;
		g_free(line);
		g_free(log);
		line = send_in("alice", "text/plain", "hello", &log);
		CHECK(g_str_has_prefix(line, "SIP/2.0 200") && got.trunk != NULL &&
			      strcmp(got.trunk, "carrier") == 0,
		      "from the trunk's address: %s, trunk %s", line, got.trunk);
		cfg->sip.trunks = NULL;
		cfg->sip.nb_trunks = 0;
	}
	got_clear();
}

/* ---- outgoing ---- */

struct sent {
	int nb;
	int status;
	char *reason;
};

static struct sent *cur_sent;

static void on_status(void *ctx, int status, const char *reason)
{
	struct sent *r = ctx;

	r->nb++;
	r->status = status;
	g_free(r->reason);
	r->reason = g_strdup(reason);
}

static bool sent_done(void)
{
	return cur_sent->nb > 0;
}

/* Send text to SIPp running scenario with extra; *r gets the callback. */
static int send_out(struct sipp *s, const char *scenario, const char *const *extra,
		    const char *text, struct sent *r)
{
	g_autofree char *to = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!sipp_start(s, scenario, NULL, NULL, extra))
		return -1;
	to = g_strdup_printf("sip:bob@127.0.0.1:%d", s->port);
	rc = ponte_sip_message(sip, to, "alice", text, on_status, r, NULL);
	cur_sent = r;
	if (rc == 0)
		run(sent_done, 10000);
	return rc;
}

static void test_outgoing(void)
{
	static const char *const bad_to[] = {"", "bob", "tel:+4930123", "sip:", "<sip:a@b>",
					     "sip:a@127.0.0.1?Subject=x", "sip:a@b>\r\nX: 1"};
	g_autofree char *log = NULL;
	struct sent r = {0};
	struct sipp s;
	int nb_einval = 0;
	int rc;

	for (size_t i = 0; i < G_N_ELEMENTS(bad_to); i++)
		nb_einval += ponte_sip_message(sip, bad_to[i], NULL, "hi", on_status, &r, NULL) ==
			     -EINVAL;
	CHECK(nb_einval == (int)G_N_ELEMENTS(bad_to), "targets that are not SIP URIs: -EINVAL");
	CHECK(ponte_sip_message(sip, "sip:a@127.0.0.1", NULL, "", on_status, &r, NULL) ==
			  -EILSEQ &&
		      ponte_sip_message(sip, "sip:a@127.0.0.1", NULL, "\x01", on_status, &r,
					NULL) == -EILSEQ,
	      "empty text or control characters: -EILSEQ");
	{
		g_autofree char *big = g_strnfill(PONTE_SIP_MESSAGE_MAX_OUT + 1, 'z');

		CHECK(ponte_sip_message(sip, "sip:a@127.0.0.1", NULL, big, on_status, &r, NULL) ==
			      -EMSGSIZE,
		      "%d bytes of text: -EMSGSIZE", PONTE_SIP_MESSAGE_MAX_OUT + 1);
	}
	settle(100);
	CHECK(r.nb == 0, "and no callback for any of them");

	rc = send_out(&s, "uas_message", NULL, "Gr\xc3\xbc\xc3\x9f" "e from alice", &r);
	CHECK(rc == 0 && r.nb == 1 && r.status == 200 && r.reason != NULL &&
		      strcmp(r.reason, "OK") == 0,
	      "to a phone that takes it: %d %s", r.status, r.reason);
	rc = sipp_wait(&s, 10000);
	log = sipp_log(&s);
	CHECK(rc == 0 && strstr(log, "Gr\xc3\xbc\xc3\x9f" "e from alice") != NULL &&
		      strstr(log, "From: <sip:alice@") != NULL,
	      "the phone got text/plain;charset=UTF-8 from alice with the text (exit %d)", rc);
	sipp_free(&s);
	g_free(r.reason);

	rc = send_out(&s, "uas_message_404", NULL, "hello?", &r);
	CHECK(rc == 0 && r.nb == 1 && r.status == 404 && r.reason != NULL &&
		      strcmp(r.reason, "Not Found") == 0,
	      "to a phone that answers 404: %d %s", r.status, r.reason);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "that phone's scenario completed (exit %d)", rc);
	sipp_free(&s);
	g_free(r.reason);

	/* A trunk that challenges: its credentials answer the 401, its 202 is delivery. */
	{
		struct ponte_sip_trunk trunk = {0};
		g_autofree char *address = NULL;

		memset(&r, 0, sizeof(r));
		if (sipp_start(&s, "uas_message_auth", NULL, NULL, NULL)) {
			g_autofree char *to = g_strdup_printf("sip:4930123@127.0.0.1:%d", s.port);

			address = g_strdup_printf("sip:127.0.0.1:%d", s.port);
			trunk.name = "carrier";
			trunk.address = address;
			trunk.username = "trunkuser";
			trunk.password = "trunk-pass";
			cfg->sip.trunks = &trunk;
			cfg->sip.nb_trunks = 1;
			rc = ponte_sip_message(sip, to, NULL, "with credentials", on_status, &r,
					       NULL);
			cur_sent = &r;
			run(sent_done, 10000);
			CHECK(rc == 0 && r.nb == 1 && r.status == 202,
			      "through a trunk that challenges: %d %s (the digest was right)",
			      r.status, r.reason);
			rc = sipp_wait(&s, 10000);
			CHECK(rc == 0, "the trunk's scenario completed (exit %d)", rc);
			cfg->sip.trunks = NULL;
			cfg->sip.nb_trunks = 0;
			sipp_free(&s);
			g_free(r.reason);
		}
	}

	/* Nobody on the port: the ICMP error ends it at once. */
	{
		g_autofree char *to = g_strdup_printf("sip:nobody@127.0.0.1:%d", free_port());

		memset(&r, 0, sizeof(r));
		rc = ponte_sip_message(sip, to, NULL, "hello?", on_status, &r, NULL);
		cur_sent = &r;
		run(sent_done, 40000);
		CHECK(rc == 0 && r.nb == 1 && r.status >= 400,
		      "to a closed port: not delivered, %d %s", r.status, r.reason);
		g_free(r.reason);
	}

	/* Forgotten: the request goes on, the callback never runs. */
	{
		struct ponte_sip_msg *m = NULL;
		g_autofree char *to = NULL;

		memset(&r, 0, sizeof(r));
		if (sipp_start(&s, "uas_message", NULL, NULL, NULL)) {
			to = g_strdup_printf("sip:bob@127.0.0.1:%d", s.port);
			rc = ponte_sip_message(sip, to, NULL, "forget me", on_status, &r, &m);
			ponte_sip_message_forget(m);
			rc = rc == 0 ? sipp_wait(&s, 10000) : rc;
			settle(300);
			CHECK(rc == 0 && m != NULL && r.nb == 0,
			      "forgotten: the phone got it, nobody was called back");
			sipp_free(&s);
		}
	}
}

/* ---- in a call ---- */

struct call_rec {
	bool is_answered, is_ended;
	int nb_messages;
	char *text;
};

static void c_progress(void *ctx, int status, const char *reason, const char *sdp)
{
	(void)ctx;
	(void)status;
	(void)reason;
	(void)sdp;
}

static void c_answered(void *ctx, const char *sdp)
{
	(void)sdp;
	((struct call_rec *)ctx)->is_answered = true;
}

static void c_ended(void *ctx, int status, const char *reason)
{
	(void)status;
	(void)reason;
	((struct call_rec *)ctx)->is_ended = true;
}

static int c_message(void *ctx, const struct ponte_sip_message_in *in, const char **warning)
{
	struct call_rec *c = ctx;

	(void)warning;
	c->nb_messages++;
	g_free(c->text);
	c->text = g_strchomp(g_strndup(in->text, in->len));
	return in->call != NULL ? 200 : 500;
}

static const struct ponte_sip_call_ops call_ops = {
	.progress = c_progress,
	.answered = c_answered,
	.ended = c_ended,
	.message = c_message,
};

static struct call_rec *cur_call;

static bool call_got_message(void)
{
	return cur_call->nb_messages > 0 || cur_call->is_ended;
}

static void test_in_call(void)
{
	struct call_rec c = {0};
	struct ponte_sip_call *call = NULL;
	g_autofree char *to = NULL;
	struct sipp s;
	int rc;

	got_clear();
	if (!sipp_start(&s, "uas_message_in_call", NULL, NULL, NULL))
		return;
	to = g_strdup_printf("sip:phone@127.0.0.1:%d", s.port);
	rc = ponte_sip_call(sip, to, "alice", SDP_OFFER, &call_ops, &c, &call);
	cur_call = &c;
	if (rc == 0)
		run(call_got_message, 10000);
	CHECK(rc == 0 && c.is_answered && c.nb_messages == 1 && c.text != NULL &&
		      g_str_has_prefix(c.text, "in the call") && got.nb == 0,
	      "a MESSAGE inside the call goes to the call's message op (%s)", c.text);
	if (rc == 0)
		ponte_sip_hangup(call);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "the phone got 200 for it, then our BYE (exit %d)", rc);
	sipp_free(&s);
	g_free(c.text);
}

/* The stack goes while a MESSAGE waits for its answer: no callback, nothing leaks. */
static void test_destroy_pending(void)
{
	struct sent r = {0};
	g_autofree char *to = NULL;
	struct sipp s;
	int rc;

	if (!sipp_start(&s, "uas_message", NULL, NULL, NULL))
		return;
	to = g_strdup_printf("sip:bob@127.0.0.1:%d", s.port);
	rc = ponte_sip_message(sip, to, NULL, "last words", on_status, &r, NULL);
	ponte_sip_destroy(sip);
	sip = NULL;
	CHECK(rc == 0 && r.nb == 0, "destroyed with a MESSAGE in flight: no callback");
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "the phone still got it (exit %d)", rc);
	sipp_free(&s);
}

int main(void)
{
	g_autofree char *sipp_path = g_find_program_in_path("sipp");
	GError *err = NULL;
	char *why = NULL;
	int rc;

	/* Pure checks first: they need no peer. */
	test_check_text();
	if (sipp_path == NULL) {
		printf("# skipped the rest: no sipp command (Debian package sip-tester)\n");
		return tap_done() == 0 ? 77 : 1;
	}
	signal(SIGPIPE, SIG_IGN);
	ponte_log_set_level(getenv("PONTE_TEST_DEBUG") != NULL ? PONTE_LOG_DEBUG : PONTE_LOG_WARN);
	test_loop = g_main_loop_new(NULL, FALSE);
	tmpdir = g_dir_make_tmp("ponte-sip-message-XXXXXX", &err);
	g_assert_no_error(err);

	cfg = ponte_config_defaults();
	cfg->sip.port = free_port();
	rc = ponte_sip_create(cfg, &sip, &why);
	CHECK(rc == 0, "stack on 127.0.0.1:%d (%s)", cfg->sip.port, why != NULL ? why : "ok");
	g_free(why);
	if (rc != 0)
		goto out;

	test_incoming();
	test_outgoing();
	test_in_call();
	test_destroy_pending();

out:
	if (sip != NULL)
		ponte_sip_destroy(sip);
	got_clear();
	ponte_config_free(cfg);
	g_rmdir(tmpdir);
	g_free(tmpdir);
	g_main_loop_unref(test_loop);
	return tap_done();
}
