/* SPDX-License-Identifier: MIT */
/*
 * Registrations (control/sip_reg.c) against a real registrar: SIPp (Debian sip-tester) on
 * 127.0.0.1 playing the scenarios tests/unit/sip/reg_*.xml. Proves that an account registers
 * through a digest challenge (SIPp checks the answer with verifyauth), that the binding the
 * registrar granted (10 s of 3600 asked) is refreshed in time by the stack with credentials and
 * that stopping the stack un-REGISTERs it; that a refresh refused with 503 is followed by a
 * registration of our own; that refused credentials fail the account with 401 after exactly one
 * answer and schedule a retry instead of looping, and so does a challenge with an algorithm the
 * stack lacks; that a proxy's 407 and the registrar's 401 in one registration are both
 * answered; that a registrar that is down (nothing listening) or overloaded (503 with
 * Retry-After) is retried with back-off, a few REGISTERs over seconds, the next retry shown in
 * the status, and that the account registers once the registrar is back; that an outbound proxy
 * receives the REGISTER for another domain; and that accounts which cannot register are
 * reported, not sent. Calls and accounts: the Contact user of the REGISTER is the account's name;
 * a direct call carries the caller's Contact user, not the registered account's, and a call
 * through the account the account's; calls to an account's Contact user (or to its AOR user
 * from its registrar) reach the server with the account's incoming target, are admitted from
 * the account's registrar or outbound proxy although a trunk restricts the sources, and are
 * refused 403 from elsewhere; the 200's Contact user is the account's, or the user called;
 * MESSAGEs for an account are admitted by the same rule and handed over with the account; a
 * MESSAGE to a number routed to an account goes to its outbound proxy From its address of
 * record, its challenge answered with the account's credentials; an incoming target that is
 * no browser name nor room-KEY stops the stack. Phones on 127.0.0.3
 * and 127.0.0.4 play other sources. Exits 77 (skipped) without the sipp command. PONTE_TEST_DEBUG=1
 * logs the stack's events; PONTE_TEST_KEEP=1 keeps SIPp's message logs in the temporary directory.
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
#include <jansson.h>

#include "log.h"
#include "sip.h"
#include "sip_message.h"
#include "sip_reg.h"
#include "loop.h"
#include "lo_ports.h"
#include "tap.h"

#define SCENARIO_DIR PONTE_SRC_DIR "/tests/unit/sip"

static char *tmpdir;

static void run(bool (*pred)(void), unsigned int max_ms)
{
	test_loop_run(pred, max_ms, 10);
}

static void settle(unsigned int ms)
{
	run(NULL, ms);
}

/* ---- ports ---- */
static bool udp_port_taken(int port)
{
	int fd = bind_lo(SOCK_DGRAM, port);

	if (fd >= 0) {
		close(fd);
		return false;
	}
	return fd == -EADDRINUSE;
}

/* ---- SIPp as the registrar ---- */

struct sipp {
	GPid pid;
	bool is_running;
	int status;
	int port;
	char *messages; /* SIPp's message log (-trace_msg) */
	guint poll_src;
};

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

static bool sipp_listening(void)
{
	return udp_port_taken(cur_sipp->port) || !cur_sipp->is_running;
}

/*
 * Start SIPp with scenario name on ip:port (port > 0), for max_calls calls (Call-IDs); extra
 * (may be "") is appended to its command line, e.g. "-s USER HOST:PORT" for a caller.
 */
static bool sipp_spawn(struct sipp *s, const char *name, const char *ip, int port, int max_calls,
		       const char *extra)
{
	g_autofree char *sf = g_strdup_printf("%s/%s.xml", SCENARIO_DIR, name);
	g_autofree char *q_sf = g_shell_quote(sf), *q_log = NULL, *cmd = NULL;
	g_auto(GStrv) argv = NULL;
	static int nb_runs;
	GError *err = NULL;
	bool is_ok;

	memset(s, 0, sizeof(*s));
	s->port = port;
	s->messages = g_strdup_printf("%s/%s-%d.log", tmpdir, name, nb_runs++);
	q_log = g_shell_quote(s->messages);
	/* SIPp gives up by itself, failing, if the scenario does not complete in time. */
	cmd = g_strdup_printf("sipp -sf %s -i %s -p %d -mi %s -mp %d -m %d -nostdin "
			      "-timeout 30s -timeout_error -trace_msg -message_file %s %s",
			      q_sf, ip, port, ip, port + 1, max_calls, q_log, extra);
	is_ok = g_shell_parse_argv(cmd, NULL, &argv, &err) &&
		g_spawn_async(tmpdir, argv, NULL,
			      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
				  G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
			      NULL, NULL, &s->pid, &err);
	if (!is_ok) {
		printf("# spawn sipp: %s\n", err->message);
		g_error_free(err);
		g_clear_pointer(&s->messages, g_free);
		return false;
	}
	s->is_running = true;
	s->poll_src = g_timeout_add(20, on_sipp_poll, s);
	return true;
}

/* Start SIPp as a registrar (or phone) on 127.0.0.1:port; see sipp_spawn(). */
static bool sipp_start(struct sipp *s, const char *name, int port, int max_calls)
{
	if (!sipp_spawn(s, name, "127.0.0.1", port, max_calls, ""))
		return false;
	/* Our REGISTER must not find the port closed: that is another test. */
	cur_sipp = s;
	run(sipp_listening, 5000);
	if (!s->is_running) {
		printf("# sipp %s exited at once\n", name);
		g_clear_pointer(&s->messages, g_free);
		return false;
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

/* The REGISTER requests SIPp has logged so far. */
static int sipp_nb_registers(const struct sipp *s)
{
	g_autofree char *text = sipp_log(s);
	int n = 0;

	for (const char *p = text; (p = strstr(p, "\nREGISTER sip:")) != NULL; p++)
		n++;
	return n;
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
		g_autofree char *text = sipp_log(s);
		g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

		printf("# sipp exit %d; its messages (%s):\n", rc, s->messages);
		for (char **l = lines; *l != NULL; l++)
			printf("#   %s\n", *l);
	}
	return rc;
}

/* Stop SIPp if it still runs and forget it; nothing to do after a failed sipp_start(). */
static void sipp_free(struct sipp *s)
{
	if (s->messages == NULL)
		return;
	if (s->is_running) {
		kill(s->pid, SIGKILL);
		cur_sipp = s;
		run(sipp_exited, 3000);
	}
	if (s->poll_src != 0)
		g_source_remove(s->poll_src);
	if (getenv("PONTE_TEST_KEEP") == NULL)
		g_unlink(s->messages);
	g_clear_pointer(&s->messages, g_free);
}

/* ---- a stack with accounts ---- */

struct bench {
	struct ponte_config *cfg;
	struct ponte_sip_account *accounts;
	size_t nb_accounts;
	struct ponte_sip *sip;
};

static void account_init(struct ponte_sip_account *a, const char *name, const char *registrar,
			 const char *username, const char *password, int expires)
{
	memset(a, 0, sizeof(*a));
	a->name = g_strdup(name);
	a->registrar = g_strdup(registrar);
	a->aor = g_strdup("");
	a->username = g_strdup(username);
	a->password = g_strdup(password);
	a->outbound_proxy = g_strdup("");
	a->expires = expires;
	a->do_register = true;
}

/* A stack on a free port with the accounts (taken over). Sets b->sip, or NULL on failure. */
static bool bench_start(struct bench *b, struct ponte_sip_account *accounts, size_t nb)
{
	char *why = NULL;
	int rc;

	b->cfg = ponte_config_defaults();
	b->cfg->sip.port = free_port();
	b->accounts = accounts;
	b->nb_accounts = nb;
	b->cfg->sip.accounts = accounts;
	b->cfg->sip.nb_accounts = nb;
	rc = ponte_sip_create(b->cfg, &b->sip, &why);
	if (rc != 0) {
		printf("# ponte_sip_create: %d %s\n", rc, why != NULL ? why : "");
		g_free(why);
		return false;
	}
	/* -EALREADY once ponte_sip_create() starts the registrations itself. */
	rc = sip_reg_start(b->sip);
	if (rc != 0 && rc != -EALREADY) {
		printf("# sip_reg_start: %d\n", rc);
		return false;
	}
	return true;
}

static void bench_stop(struct bench *b)
{
	if (b->sip != NULL) {
		sip_reg_stop(b->sip);
		ponte_sip_destroy(b->sip);
		b->sip = NULL;
	}
}

static void bench_free(struct bench *b)
{
	bench_stop(b);
	/* The accounts are ours: the configuration must not free them. */
	b->cfg->sip.accounts = NULL;
	b->cfg->sip.nb_accounts = 0;
	ponte_config_free(b->cfg);
	for (size_t i = 0; i < b->nb_accounts; i++) {
		struct ponte_sip_account *a = &b->accounts[i];

		g_free(a->name);
		g_free(a->registrar);
		g_free(a->aor);
		g_free(a->username);
		g_free(a->password);
		g_free(a->outbound_proxy);
		g_free(a->incoming);
	}
	g_free(b->accounts);
	memset(b, 0, sizeof(*b));
}

/* ---- status ---- */

struct st {
	char state[16];
	int status; /* -1: null */
	char reason[160];
	long expires_in, next_retry_in; /* -1: null */
	long registrations, attempts;
};

static long int_or(json_t *v)
{
	return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

/* Account i of b's status; false if there is none. */
static bool get_st(struct bench *b, size_t i, struct st *out)
{
	json_t *arr = json_array();
	json_t *o;
	bool is_ok = false;

	memset(out, 0, sizeof(*out));
	sip_reg_status(b->sip, arr);
	o = json_array_get(arr, i);
	if (o != NULL) {
		const char *s = json_string_value(json_object_get(o, "state"));
		const char *r = json_string_value(json_object_get(o, "reason"));

		g_strlcpy(out->state, s != NULL ? s : "", sizeof(out->state));
		g_strlcpy(out->reason, r != NULL ? r : "", sizeof(out->reason));
		out->status = (int)int_or(json_object_get(o, "status"));
		out->expires_in = int_or(json_object_get(o, "expires_in"));
		out->next_retry_in = int_or(json_object_get(o, "next_retry_in"));
		out->registrations = int_or(json_object_get(o, "registrations"));
		out->attempts = int_or(json_object_get(o, "attempts"));
		is_ok = true;
	}
	json_decref(arr);
	return is_ok;
}

static void print_st(const char *what, const struct st *s)
{
	printf("# %s: state=%s status=%d reason='%s' expires_in=%ld next_retry_in=%ld "
	       "registrations=%ld attempts=%ld\n",
	       what, s->state, s->status, s->reason, s->expires_in, s->next_retry_in,
	       s->registrations, s->attempts);
}

static struct bench *cur_bench;
static const char *want_state;
static long want_registrations;
static bool seen_registering;

static bool reached_state(void)
{
	struct st s;

	if (!get_st(cur_bench, 0, &s))
		return false;
	if (strcmp(s.state, "registering") == 0)
		seen_registering = true;
	return strcmp(s.state, want_state) == 0;
}

static bool wait_state(struct bench *b, const char *state, unsigned int max_ms)
{
	cur_bench = b;
	want_state = state;
	run(reached_state, max_ms);
	return reached_state();
}

static bool reached_registrations(void)
{
	struct st s;

	return get_st(cur_bench, 0, &s) && s.registrations >= want_registrations;
}

/* ---- tests ---- */

static void test_auth_refresh_unregister(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 1);
	struct bench b = {0};
	struct sipp s;
	struct st st;
	g_autofree char *registrar = NULL;
	gint64 t_registered, t_refreshed;
	bool is_ok;
	int rc;

	if (!sipp_start(&s, "reg_auth", free_port(), 1)) {
		CHECK(false, "start SIPp as a registrar with digest authentication");
		g_free(accts);
		return;
	}
	registrar = g_strdup_printf("sip:127.0.0.1:%d", s.port);
	account_init(&accts[0], "pbx", registrar, "1001", "secret", 3600);
	if (!bench_start(&b, accts, 1)) {
		CHECK(false, "a stack with one account");
		goto out;
	}
	is_ok = get_st(&b, 0, &st);
	CHECK(is_ok && strcmp(st.state, "registering") == 0 && st.attempts == 1,
	      "at start: registering, one attempt (%s)", st.state);
	seen_registering = is_ok && strcmp(st.state, "registering") == 0;

	is_ok = wait_state(&b, "registered", 8000);
	t_registered = g_get_monotonic_time();
	get_st(&b, 0, &st);
	print_st("after the challenge", &st);
	CHECK(is_ok && seen_registering, "registering -> registered through a 401 challenge");
	CHECK(st.status == 200 && st.registrations == 1, "200, one registration so far");
	CHECK(st.expires_in > 0 && st.expires_in <= 10,
	      "the 10 s the registrar granted are noted, not the 3600 asked (%ld)", st.expires_in);
	CHECK(st.next_retry_in < 0, "no retry pending");
	{
		const char *name = NULL;

		CHECK(sip_reg_is_local_user(b.sip, "pbx", &name) && name != NULL &&
			  strcmp(name, "pbx") == 0,
		      "pbx, the account's name, is its Contact user");
		CHECK(!sip_reg_is_local_user(b.sip, "1001", NULL),
		      "its user name 1001 is not (another provider's account may have it too)");
	}

	/* nua refreshes by itself, within the 10 s granted (SIPp fails if it comes later). */
	cur_bench = &b;
	want_registrations = 2;
	run(reached_registrations, 12000);
	t_refreshed = g_get_monotonic_time();
	get_st(&b, 0, &st);
	print_st("after the refresh", &st);
	CHECK(st.registrations >= 2 && strcmp(st.state, "registered") == 0,
	      "refreshed by the stack %.1f s after the 2xx (registrations %ld)",
	      (double)(t_refreshed - t_registered) / G_USEC_PER_SEC, st.registrations);
	CHECK(t_refreshed - t_registered < 10 * G_USEC_PER_SEC, "before the binding ran out");
	CHECK(st.attempts == 1, "with no attempt of ours: nua's refresh");

	bench_stop(&b);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0,
	      "SIPp checked the credentials twice, the refresh and the un-REGISTER (exit %d)", rc);
	{
		g_autofree char *text = sipp_log(&s);

		CHECK(strstr(text, "Expires: 0") != NULL, "the un-REGISTER says Expires: 0");
	}
out:
	sipp_free(&s);
	bench_free(&b);
}

/*
 * A refresh refused with 503: failed (nua un-REGISTERs the binding itself), then registered
 * again by a retry of ours.
 */
static void test_refresh_fails(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 1);
	struct bench b = {0};
	struct sipp s;
	struct st st;
	g_autofree char *registrar = NULL;
	bool is_ok;
	int rc;

	sip_reg_set_backoff_ms(1000, 2000);
	if (!sipp_start(&s, "reg_refresh_fail", free_port(), 2)) {
		CHECK(false, "start SIPp refusing the first refresh");
		g_free(accts);
		return;
	}
	registrar = g_strdup_printf("sip:127.0.0.1:%d", s.port);
	account_init(&accts[0], "pbx", registrar, "1001", "secret", 600);
	if (!bench_start(&b, accts, 1)) {
		CHECK(false, "a stack with one account");
		goto out;
	}
	is_ok = wait_state(&b, "registered", 5000);
	CHECK(is_ok, "registered for 4 s");
	is_ok = wait_state(&b, "failed", 6000);
	get_st(&b, 0, &st);
	print_st("refresh refused", &st);
	CHECK(is_ok && st.status == 503 && st.next_retry_in > 0,
	      "the refresh got 503: failed, retry in %ld s", st.next_retry_in);
	is_ok = wait_state(&b, "registered", 6000);
	get_st(&b, 0, &st);
	print_st("registered again", &st);
	CHECK(is_ok && st.registrations == 2 && st.attempts == 2 && st.expires_in > 50,
	      "registered again by our retry (60 s granted)");
	bench_stop(&b);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0,
	      "SIPp saw the refresh, nua's un-REGISTER, our new REGISTER, the un-REGISTER at stop "
	      "(exit %d)",
	      rc);
out:
	sipp_free(&s);
	bench_free(&b);
}

static void test_wrong_password(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 1);
	struct bench b = {0};
	struct sipp s;
	struct st st;
	g_autofree char *registrar = NULL;
	int nb, rc;
	bool is_ok;

	/* Long enough that no retry of ours falls in the 3 s watched. */
	sip_reg_set_backoff_ms(10000, 20000);
	if (!sipp_start(&s, "reg_wrong_password", free_port(), 1)) {
		CHECK(false, "start SIPp as a registrar refusing the credentials");
		g_free(accts);
		return;
	}
	registrar = g_strdup_printf("sip:127.0.0.1:%d", s.port);
	account_init(&accts[0], "pbx", registrar, "1001", "wrong", 600);
	if (!bench_start(&b, accts, 1)) {
		CHECK(false, "a stack with one account");
		goto out;
	}
	is_ok = wait_state(&b, "failed", 8000);
	get_st(&b, 0, &st);
	print_st("refused", &st);
	CHECK(is_ok && st.status == 401, "refused credentials: failed with 401 (%s)", st.reason);
	CHECK(st.next_retry_in >= 5 && st.next_retry_in <= 10,
	      "a retry is scheduled with back-off (in %ld s)", st.next_retry_in);
	settle(3000);
	nb = sipp_nb_registers(&s);
	get_st(&b, 0, &st);
	CHECK(nb == 2, "no loop: %d REGISTERs at the registrar over 3 s (the first and one answer)",
	      nb);
	CHECK(strcmp(st.state, "failed") == 0 && st.attempts == 1, "still failed, one attempt");
	rc = sipp_wait(&s, 5000);
	CHECK(rc == 0, "the registrar saw nothing after its second 401 (exit %d)", rc);
out:
	sipp_free(&s);
	bench_free(&b);
}

/* A proxy's 407 and then the registrar's 401: each realm answered once, both carried on. */
static void test_two_realms(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 1);
	struct bench b = {0};
	struct sipp s;
	struct st st;
	g_autofree char *registrar = NULL;
	int rc;

	if (!sipp_start(&s, "reg_proxy_auth", free_port(), 1)) {
		CHECK(false, "start SIPp as a proxy and registrar that both challenge");
		g_free(accts);
		return;
	}
	registrar = g_strdup_printf("sip:127.0.0.1:%d", s.port);
	account_init(&accts[0], "pbx", registrar, "1001", "secret", 600);
	if (!bench_start(&b, accts, 1)) {
		CHECK(false, "a stack with one account");
		goto out;
	}
	wait_state(&b, "registered", 8000);
	get_st(&b, 0, &st);
	CHECK(strcmp(st.state, "registered") == 0 && st.attempts == 1,
	      "407 then 401 in one attempt: registered (%s %s)", st.state, st.reason);
	bench_stop(&b);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "both realms answered, the last REGISTER carried both (exit %d)", rc);
out:
	sipp_free(&s);
	bench_free(&b);
}

/* A challenge with an algorithm the stack does not have: failed with the reason, no loop. */
static void test_bad_algorithm(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 1);
	struct bench b = {0};
	struct sipp s;
	struct st st;
	g_autofree char *registrar = NULL;
	bool is_ok;
	int rc;

	sip_reg_set_backoff_ms(10000, 20000);
	if (!sipp_start(&s, "reg_bad_algorithm", free_port(), 1)) {
		CHECK(false, "start SIPp challenging with an unknown algorithm");
		g_free(accts);
		return;
	}
	registrar = g_strdup_printf("sip:127.0.0.1:%d", s.port);
	account_init(&accts[0], "pbx", registrar, "1001", "secret", 600);
	if (!bench_start(&b, accts, 1)) {
		CHECK(false, "a stack with one account");
		goto out;
	}
	is_ok = wait_state(&b, "failed", 8000);
	get_st(&b, 0, &st);
	print_st("unknown algorithm", &st);
	CHECK(is_ok && st.status == 401 && strstr(st.reason, "XYZ-999") != NULL &&
		  st.next_retry_in > 0,
	      "algorithm=XYZ-999: failed with 401, says why, retry scheduled");
	rc = sipp_wait(&s, 5000);
	CHECK(rc == 0 && sipp_nb_registers(&s) == 1,
	      "one REGISTER, nothing after the 401 (exit %d)", rc);
out:
	sipp_free(&s);
	bench_free(&b);
}

static struct st max_retry_seen;

static bool note_retry(void)
{
	struct st s;

	if (get_st(cur_bench, 0, &s) && s.status == 503 && s.next_retry_in > 0)
		max_retry_seen = s;
	return false;
}

static void test_registrar_down(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 1);
	struct bench b = {0};
	struct sipp s = {0};
	struct st st;
	g_autofree char *registrar = NULL;
	int port = free_port();
	long attempts0;
	int nb0, nb1, rc;
	bool is_ok;

	sip_reg_set_backoff_ms(1000, 4000);
	registrar = g_strdup_printf("sip:127.0.0.1:%d", port);
	account_init(&accts[0], "pbx", registrar, "1001", "secret", 600);
	if (!bench_start(&b, accts, 1)) {
		CHECK(false, "a stack with one account");
		goto out;
	}

	/* Nothing listens: the ICMP error comes back at once. */
	is_ok = wait_state(&b, "failed", 5000);
	get_st(&b, 0, &st);
	print_st("nothing listening", &st);
	CHECK(is_ok && (st.status == 503 || st.status == 408),
	      "registrar down: failed with %d (%s)", st.status, st.reason);
	CHECK(st.next_retry_in > 0 && st.next_retry_in <= 4, "the next retry is due in %ld s",
	      st.next_retry_in);
	attempts0 = st.attempts;
	settle(3000);
	get_st(&b, 0, &st);
	print_st("3 s later", &st);
	CHECK(st.attempts - attempts0 >= 1 && st.attempts - attempts0 <= 3,
	      "back-off: %ld attempts in 3 s (1 s, 2 s, 4 s...), not a loop",
	      st.attempts - attempts0);
	CHECK(strcmp(st.state, "failed") == 0, "still failed");

	/* Overloaded: 503 with Retry-After: 2, to every REGISTER. */
	if (!sipp_start(&s, "reg_503", port, 100)) {
		CHECK(false, "start SIPp answering 503");
		goto out;
	}
	cur_bench = &b;
	{
		gint64 deadline = g_get_monotonic_time() + 6 * G_USEC_PER_SEC;

		/* Until the registrar has answered once. */
		while (sipp_nb_registers(&s) == 0 && g_get_monotonic_time() < deadline)
			settle(50);
	}
	nb0 = sipp_nb_registers(&s);
	memset(&max_retry_seen, 0, sizeof(max_retry_seen));
	run(note_retry, 4500);
	nb1 = sipp_nb_registers(&s);
	print_st("503 seen", &max_retry_seen);
	CHECK(nb0 >= 1 && nb1 - nb0 <= 3, "Retry-After: 2 is followed: %d more REGISTERs in 4.5 s",
	      nb1 - nb0);
	CHECK(max_retry_seen.status == 503 && strcmp(max_retry_seen.state, "failed") == 0 &&
		  max_retry_seen.next_retry_in > 0 && max_retry_seen.next_retry_in <= 2,
	      "the status says failed, 503, next retry in %ld s", max_retry_seen.next_retry_in);
	sipp_free(&s);

	/* Back: the next attempt registers. */
	if (!sipp_start(&s, "reg_ok", port, 1)) {
		CHECK(false, "restart SIPp answering 200");
		goto out;
	}
	is_ok = wait_state(&b, "registered", 10000);
	get_st(&b, 0, &st);
	print_st("registrar back", &st);
	CHECK(is_ok && st.status == 200 && st.registrations == 1,
	      "the registrar is back: registered (%ld attempts in all)", st.attempts);
	CHECK(st.next_retry_in < 0, "no retry pending any more");
	bench_stop(&b);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "and un-REGISTERed at stop (exit %d)", rc);
out:
	sipp_free(&s);
	bench_free(&b);
}

/* An outbound proxy gets the REGISTER for the registrar's domain (RFC 3261 §8.1.2). */
static void test_outbound_proxy(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 1);
	struct bench b = {0};
	struct sipp s;
	struct st st;
	g_autofree char *proxy = NULL;
	int rc;

	if (!sipp_start(&s, "reg_ok", free_port(), 1)) {
		CHECK(false, "start SIPp as the outbound proxy");
		g_free(accts);
		return;
	}
	proxy = g_strdup_printf("sip:127.0.0.1:%d", s.port);
	account_init(&accts[0], "pbx", "sip:pbx.invalid", "1001", "secret", 600);
	g_free(accts[0].aor);
	accts[0].aor = g_strdup("sip:alice@example.invalid");
	g_free(accts[0].outbound_proxy);
	accts[0].outbound_proxy = g_strdup(proxy);
	if (!bench_start(&b, accts, 1)) {
		CHECK(false, "a stack with one account");
		goto out;
	}
	wait_state(&b, "registered", 8000);
	get_st(&b, 0, &st);
	CHECK(strcmp(st.state, "registered") == 0, "registered through the outbound proxy (%s %s)",
	      st.state, st.reason);
	bench_stop(&b);
	rc = sipp_wait(&s, 10000);
	CHECK(rc == 0, "the proxy got REGISTER and un-REGISTER (exit %d)", rc);
	{
		g_autofree char *text = sipp_log(&s);

		CHECK(strstr(text, "REGISTER sip:pbx.invalid SIP/2.0") != NULL,
		      "the Request-URI is the registrar's");
		CHECK(strstr(text, "To: <sip:alice@example.invalid>") != NULL,
		      "To is the configured address of record");
	}
out:
	sipp_free(&s);
	bench_free(&b);
}

/* Accounts that cannot or need not register: reported, nothing sent. */
static void test_invalid_accounts(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 5);
	struct bench b = {0};
	struct st st;
	json_t *arr;

	account_init(&accts[0], "bad-uri", "http://pbx.invalid/", "1001", "secret", 600);
	account_init(&accts[1], "colon", "sip:pbx.invalid", "1001", "pa:ss", 600);
	account_init(&accts[2], "no-user", "sip:pbx.invalid", "", "", 600);
	account_init(&accts[3], "calls-only", "sip:pbx.invalid", "1001", "secret", 600);
	accts[3].do_register = false;
	/* Registers (to a port where nothing listens): its name (the Contact user) and user name
	 * need escaping. */
	account_init(&accts[4], "a b@c", "sip:127.0.0.1:9", "a b@c", "secret", 600);
	if (!bench_start(&b, accts, 5)) {
		CHECK(false, "a stack with five accounts");
		goto out;
	}
	for (size_t i = 0; i < 3; i++) {
		get_st(&b, i, &st);
		CHECK(strcmp(st.state, "failed") == 0 && st.attempts == 0 && st.next_retry_in < 0 &&
			  st.reason[0] != '\0',
		      "account %zu cannot register: failed, never sent, no retry (%s)", i,
		      st.reason);
	}
	get_st(&b, 3, &st);
	CHECK(strcmp(st.state, "disabled") == 0 && st.attempts == 0,
	      "an account without do_register is disabled");
	CHECK(!sip_reg_is_local_user(b.sip, "1001", NULL) &&
		  !sip_reg_is_local_user(b.sip, "calls-only", NULL) &&
		  !sip_reg_is_local_user(b.sip, "bad-uri", NULL),
	      "and none of them is a local user");
	{
		const char *name = NULL;
		json_t *all = json_array();
		const char *aor;

		sip_reg_status(b.sip, all);
		aor = json_string_value(json_object_get(json_array_get(all, 4), "aor"));
		CHECK_STR(aor, "sip:a%20b%40c@127.0.0.1", "a user name is escaped in the AOR");
		json_decref(all);
		CHECK(sip_reg_is_local_user(b.sip, "a%20b%40c", &name) && name != NULL &&
			  strcmp(name, "a b@c") == 0,
		      "its escaped Contact user is a local user");
		CHECK(sip_reg_is_local_user(b.sip, "a%20b@c", NULL),
		      "and so is any other escaping of it");
	}
	CHECK(sip_reg_start(b.sip) == -EALREADY, "a second sip_reg_start() is refused");
	bench_stop(&b);
	arr = json_array();
	sip_reg_status(b.sip, arr); /* b.sip is NULL now: an unknown stack */
	CHECK(json_array_size(arr) == 0, "no status after the stop");
	json_decref(arr);
out:
	bench_free(&b);
}

/* ---- calls and accounts ---- */

#define SDP_OFFER                                                                                  \
	"v=0\r\no=ponte 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"            \
	"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

/* What happened to one call, placed by us or taken by the test's server. */
struct callrec {
	struct ponte_sip_call *call;
	bool is_ended;
	int status;
};

static void cr_ended(void *ctx, int status, const char *reason)
{
	struct callrec *c = ctx;

	c->is_ended = true;
	c->status = status;
}

static const struct ponte_sip_call_ops cr_ops = {.ended = cr_ended};

static struct callrec *cur_call;

static bool call_ended(void)
{
	return cur_call->is_ended;
}

/* Place a call to `to` from browser7 and wait for its end: its final status, or -1. */
static int call_and_wait(struct bench *b, const char *to)
{
	struct callrec c = {0};
	int rc = ponte_sip_call(b->sip, to, "browser7", SDP_OFFER, &cr_ops, &c, &c.call);

	if (rc != 0)
		return -1;
	cur_call = &c;
	run(call_ended, 10000);
	if (!c.is_ended) {
		ponte_sip_hangup(c.call);
		return -1;
	}
	return c.status;
}

/* The value of the first header named name in the first message of text that starts with
 * start (e.g. "INVITE sip:", "SIP/2.0 200"), or "" (g_free). */
static char *logged_header(const char *text, const char *start, const char *name)
{
	g_autofree char *needle = g_strdup_printf("\n%s", start);
	g_autofree char *hdr = g_strdup_printf("\n%s:", name);
	const char *msg = strstr(text, needle);
	const char *end = msg != NULL ? strstr(msg + 1, "\n\n") : NULL;
	const char *h = msg != NULL ? strstr(msg, hdr) : NULL;

	if (h == NULL || (end != NULL && h > end))
		return g_strdup("");
	h += strlen(hdr);
	while (*h == ' ')
		h++;
	return g_strndup(h, strcspn(h, "\r\n"));
}

/*
 * Contact on calls (RFC 3261 §8.1.1.8): once an account has registered, nua writes that
 * registration's Contact in every request; a direct call must carry the caller's own user
 * instead, a call through the account the account's Contact user (its name).
 */
static void test_contact_on_calls(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 1);
	struct bench b = {0};
	struct sipp reg = {0}, phone = {0};
	g_autofree char *registrar = NULL, *to = NULL, *via_acct = NULL;
	int status, rc;

	if (!sipp_start(&reg, "reg_then_busy", free_port(), 2)) {
		CHECK(false, "start SIPp as the account's registrar and far end");
		g_free(accts);
		return;
	}
	registrar = g_strdup_printf("sip:127.0.0.1:%d", reg.port);
	account_init(&accts[0], "pbx", registrar, "1001", "secret", 600);
	if (!bench_start(&b, accts, 1)) {
		CHECK(false, "a stack with one account");
		goto out;
	}
	CHECK(wait_state(&b, "registered", 8000), "the account is registered (Contact user pbx)");

	if (!sipp_start(&phone, "uas_contact_browser7", free_port(), 1)) {
		CHECK(false, "start SIPp as a phone called directly");
		goto out;
	}
	to = g_strdup_printf("sip:bob@127.0.0.1:%d", phone.port);
	status = call_and_wait(&b, to);
	rc = sipp_wait(&phone, 5000);
	CHECK(
	    status == 486 && rc == 0,
	    "a direct call from browser7: the phone found its Contact user browser7 (%d, exit %d)",
	    status, rc);
	{
		g_autofree char *text = sipp_log(&phone);
		g_autofree char *contact = logged_header(text, "INVITE sip:", "Contact");

		CHECK(g_str_has_prefix(contact, "<sip:browser7@127.0.0.1:"),
		      "the direct INVITE's Contact is the caller's, not the account's (%s)",
		      contact);
		g_free(contact);
		contact = logged_header(text, "INVITE sip:", "From");
		CHECK(g_str_has_prefix(contact, "<sip:browser7@127.0.0.1>;tag="),
		      "and its From is the caller's (%s)", contact);
	}

	via_acct = g_strdup_printf("sip:1002@127.0.0.1:%d", reg.port);
	status = call_and_wait(&b, via_acct);
	CHECK(status == 486, "a call through the account (its registrar's host) gets its 486 (%d)",
	      status);
	bench_stop(&b);
	rc = sipp_wait(&reg, 10000);
	CHECK(rc == 0,
	      "the registrar saw Contact user pbx in the REGISTER and in the INVITE through the "
	      "account, then the un-REGISTER (exit %d)",
	      rc);
	{
		g_autofree char *text = sipp_log(&reg);
		g_autofree char *contact = logged_header(text, "INVITE sip:", "Contact");

		g_autofree char *from = logged_header(text, "INVITE sip:", "From");

		CHECK(g_str_has_prefix(contact, "<sip:pbx@127.0.0.1:"),
		      "the INVITE through the account carries its Contact (%s)", contact);
		/* RFC 3261 §8.1.1.3: the provider knows the caller by the account's address of
		 * record; the browser's name stays as the display name. */
		CHECK(g_str_has_prefix(from, "\"browser7\" <sip:1001@127.0.0.1>;tag="),
		      "and From its address of record, the caller's name as display name (%s)",
		      from);
	}
out:
	sipp_free(&phone);
	sipp_free(&reg);
	bench_free(&b);
}

/*
 * A call through an account that has an outbound proxy goes to the proxy, the target staying
 * its Request-URI (RFC 3261 §8.1.2), From the account's address of record, and the challenge
 * is answered with the account's credentials (uas_account_proxy.xml checks all three). The
 * account does not register and nothing listens at its registrar: only the proxy can answer.
 */
static void test_call_through_proxy(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 1);
	struct bench b = {0};
	struct sipp proxy = {0};
	g_autofree char *registrar = NULL, *to = NULL;
	int registrar_port, status, rc;

	if (!sipp_start(&proxy, "uas_account_proxy", free_port(), 1)) {
		CHECK(false, "start SIPp as the account's outbound proxy");
		g_free(accts);
		return;
	}
	/* Not SIPp's ports: a call sent to the registrar must find nobody. */
	do
		registrar_port = free_port();
	while (registrar_port == proxy.port || registrar_port == proxy.port + 1);
	registrar = g_strdup_printf("sip:127.0.0.1:%d", registrar_port);
	account_init(&accts[0], "provider", registrar, "1003", "prov-secret", 600);
	accts[0].do_register = false;
	g_free(accts[0].aor);
	accts[0].aor = g_strdup("sip:1003@example.net");
	g_free(accts[0].outbound_proxy);
	accts[0].outbound_proxy = g_strdup_printf("sip:127.0.0.1:%d", proxy.port);
	if (!bench_start(&b, accts, 1)) {
		CHECK(false, "a stack with one account behind an outbound proxy");
		goto out;
	}
	to = g_strdup_printf("sip:5551234@127.0.0.1:%d", registrar_port);
	status = call_and_wait(&b, to);
	rc = sipp_wait(&proxy, 5000);
	CHECK(status == 486 && rc == 0,
	      "a call to %s through the account reaches its outbound proxy, From its address of "
	      "record, and answers the challenge with its credentials (status %d, SIPp exit %d)",
	      to, status, rc);
out:
	sipp_free(&proxy);
	bench_free(&b);
}

/* The final status of a MESSAGE of ours. */
struct msgrec {
	bool is_done;
	int status;
};

static void mr_status(void *ctx, int status, const char *reason)
{
	struct msgrec *m = ctx;

	(void)reason;
	m->is_done = true;
	m->status = status;
}

static struct msgrec *cur_msg;

static bool msg_done(void)
{
	return cur_msg->is_done;
}

/*
 * A MESSAGE to a number routed through an account (sip.number_route) goes as the account's
 * calls go: From its address of record with the sender's name as display name, to its
 * outbound proxy with the target as Request-URI, the proxy's challenge answered with the
 * account's credentials.
 */
static void test_message_through_proxy(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 1);
	struct bench b = {0};
	struct sipp proxy = {0};
	struct msgrec m = {0};
	g_autofree char *registrar = NULL, *to = NULL;
	int registrar_port, rc;

	if (!sipp_start(&proxy, "uas_account_proxy_message", free_port(), 1)) {
		CHECK(false, "start SIPp as the account's outbound proxy");
		g_free(accts);
		return;
	}
	/* Not SIPp's ports: a MESSAGE sent to the registrar must find nobody. */
	do
		registrar_port = free_port();
	while (registrar_port == proxy.port || registrar_port == proxy.port + 1);
	registrar = g_strdup_printf("sip:127.0.0.1:%d", registrar_port);
	account_init(&accts[0], "provider", registrar, "1003", "prov-secret", 600);
	accts[0].do_register = false;
	g_free(accts[0].aor);
	accts[0].aor = g_strdup("sip:1003@example.net");
	g_free(accts[0].outbound_proxy);
	accts[0].outbound_proxy = g_strdup_printf("sip:127.0.0.1:%d", proxy.port);
	if (!bench_start(&b, accts, 1)) {
		CHECK(false, "a stack with one account behind an outbound proxy");
		goto out;
	}
	g_free(b.cfg->sip.number_route);
	b.cfg->sip.number_route = g_strdup("provider");
	to = ponte_sip_route_number(b.sip, "5551234");
	CHECK(to != NULL && g_str_has_prefix(to, "sip:5551234@127.0.0.1:"),
	      "the number goes to the account's registrar (%s)", to != NULL ? to : "(none)");
	if (to == NULL)
		goto out;
	rc = ponte_sip_message(b.sip, to, "browser7", "through the proxy", mr_status, &m, NULL);
	cur_msg = &m;
	if (rc == 0)
		run(msg_done, 10000);
	rc = rc == 0 ? sipp_wait(&proxy, 5000) : -1;
	CHECK(m.is_done && m.status == 202 && rc == 0,
	      "a MESSAGE to %s through the account reaches its outbound proxy, From its address "
	      "of record, and answers the challenge with its credentials (status %d, SIPp exit %d)",
	      to, m.status, rc);
out:
	sipp_free(&proxy);
	bench_free(&b);
}

/* The test's server of incoming calls: takes and answers them, or refuses with reply. */
struct server {
	int reply; /* 0: answer */
	int nb_invites;
	int nb_messages;
	char to_user[64], account[64], source[64];
	struct callrec taken;
};

#define SDP_ANSWER                                                                                 \
	"v=0\r\no=ponte 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"            \
	"m=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

static int srv_invite(void *ctx, const struct ponte_sip_incoming *in, struct ponte_sip_call *call,
		      const char **warning)
{
	struct server *srv = ctx;

	srv->nb_invites++;
	g_strlcpy(srv->to_user, in->to_user, sizeof(srv->to_user));
	g_strlcpy(srv->account, in->account != NULL ? in->account : "(none)", sizeof(srv->account));
	g_strlcpy(srv->source, in->source_ip, sizeof(srv->source));
	if (srv->reply != 0) {
		*warning = "the test refuses";
		return srv->reply;
	}
	memset(&srv->taken, 0, sizeof(srv->taken));
	srv->taken.call = call;
	ponte_sip_call_accept(call, &cr_ops, &srv->taken);
	ponte_sip_call_answer(call, SDP_ANSWER);
	return 0;
}

/* MESSAGEs outside calls: counted and refused with reply (480 while reply is 0). */
static int srv_message(void *ctx, const struct ponte_sip_message_in *in, const char **warning)
{
	struct server *srv = ctx;

	srv->nb_messages++;
	g_strlcpy(srv->to_user, in->to_user, sizeof(srv->to_user));
	g_strlcpy(srv->account, in->account != NULL ? in->account->name : "(none)",
		  sizeof(srv->account));
	*warning = "the test takes no messages";
	return srv->reply != 0 ? srv->reply : 480;
}

static const struct ponte_sip_server_ops srv_ops = {.invite = srv_invite,
						    .message = srv_message};

/* A phone (SIPp scenario name) on ip calls user at the stack; SIPp's exit status, or -1. */
static int phone_calls(struct bench *b, const char *name, const char *ip, const char *user,
		       char **log_text)
{
	g_autofree char *extra = g_strdup_printf("-s %s 127.0.0.1:%d", user, b->cfg->sip.port);
	struct sipp s;
	int rc;

	if (!sipp_spawn(&s, name, ip, free_port(), 1, extra))
		return -1;
	rc = sipp_wait(&s, 10000);
	*log_text = sipp_log(&s);
	sipp_free(&s);
	return rc;
}

/* A phone (SIPp uac_message) on ip writes to user at the stack; SIPp's exit status, or -1. */
static int phone_writes(struct bench *b, const char *ip, const char *user, char **log_text)
{
	g_autofree char *extra = g_strdup_printf("-key ctype text/plain -key body hello -s %s "
						 "127.0.0.1:%d",
						 user, b->cfg->sip.port);
	struct sipp s;
	int rc;

	if (!sipp_spawn(&s, "uac_message", ip, free_port(), 1, extra))
		return -1;
	rc = sipp_wait(&s, 10000);
	*log_text = sipp_log(&s);
	sipp_free(&s);
	return rc;
}

/*
 * Calls to an account (RFC 3261 §10.2, §16.5): to its Contact user, or to its AOR user from its
 * registrar, they go to its incoming target, admitted from the account's registrar or outbound
 * proxy although trunks restrict the sources; other sources get 403; the 200's Contact carries
 * the account's user.
 */
static void test_incoming_accounts(void)
{
	struct ponte_sip_account *accts = g_new0(struct ponte_sip_account, 2);
	struct ponte_sip_trunk trunk = {0};
	struct bench b = {0};
	struct server srv = {0};
	struct sipp reg = {0};
	g_autofree char *registrar = NULL;
	char *text = NULL;
	int rc;

	if (!sipp_start(&reg, "reg_ok", free_port(), 1)) {
		CHECK(false, "start SIPp as the registrar");
		g_free(accts);
		return;
	}
	/* (A host name would be resolved by sofia's DNS resolver, which ignores /etc/hosts: the
	 * test machines resolve none, so the address the 2xx came from is only checked in the
	 * status.) */
	registrar = g_strdup_printf("sip:127.0.0.1:%d", reg.port);
	account_init(&accts[0], "pbx", registrar, "1001", "secret", 600);
	accts[0].incoming = g_strdup("alice");
	/* Registers through a proxy where nothing listens: calls from it are its all the same. */
	account_init(&accts[1], "lobby", "sip:pbx.invalid", "1002", "secret", 600);
	g_free(accts[1].outbound_proxy);
	accts[1].outbound_proxy = g_strdup("sip:127.0.0.4:9");
	accts[1].incoming = g_strdup("room-lobby");
	if (!bench_start(&b, accts, 2)) {
		CHECK(false, "a stack with two accounts");
		goto out;
	}
	/* With a trunk, only trunks' and accounts' addresses may call. */
	trunk.name = "carrier";
	trunk.address = "sip:127.0.0.2:5060";
	b.cfg->sip.trunks = &trunk;
	b.cfg->sip.nb_trunks = 1;
	ponte_sip_set_server(b.sip, &srv_ops, &srv);
	CHECK(wait_state(&b, "registered", 8000), "pbx registered");
	{
		json_t *all = json_array();
		const char *peer;

		sip_reg_status(b.sip, all);
		peer = json_string_value(json_object_get(json_array_get(all, 0), "peer"));
		CHECK_STR(peer, "127.0.0.1", "the status says where its 2xx came from");
		json_decref(all);
	}

	rc = phone_calls(&b, "uac_answered", "127.0.0.1", "pbx", &text);
	CHECK(rc == 0 && srv.nb_invites == 1,
	      "a call to pbx's Contact from its registrar is taken and answered (exit %d)", rc);
	{
		g_autofree char *contact = logged_header(text, "SIP/2.0 200", "Contact");

		CHECK(g_str_has_prefix(contact, "<sip:pbx@127.0.0.1:"),
		      "the 200's Contact user is the account's (%s)", contact);
	}
	CHECK_STR(srv.to_user, "alice", "it rings the account's incoming target");
	CHECK_STR(srv.account, "pbx", "through account pbx");
	/* SIPp may exit on the BYE's 200 before the stack has told the call's end. */
	cur_call = &srv.taken;
	run(call_ended, 3000);
	CHECK(srv.taken.is_ended && srv.taken.status == 0, "and ends with the phone's BYE");
	g_clear_pointer(&text, g_free);

	srv.to_user[0] = '\0';
	rc = phone_calls(&b, "uac_answered", "127.0.0.1", "1001", &text);
	CHECK(rc == 0 && srv.nb_invites == 2 && strcmp(srv.to_user, "alice") == 0 &&
		  strcmp(srv.account, "pbx") == 0,
	      "a call to the AOR user 1001 from the registrar goes to pbx too (exit %d, %s, %s)",
	      rc, srv.to_user, srv.account);
	g_clear_pointer(&text, g_free);

	rc = phone_calls(&b, "uac_refused_403", "127.0.0.3", "pbx", &text);
	{
		g_autofree char *w = logged_header(text, "SIP/2.0 403", "Warning");

		CHECK(
		    rc == 0 && srv.nb_invites == 2 && strstr(w, "source address not allowed"),
		    "the same call from elsewhere: 403 before it reaches the server (exit %d, %s)",
		    rc, w);
	}
	g_clear_pointer(&text, g_free);
	rc = phone_calls(&b, "uac_refused_403", "127.0.0.3", "1001", &text);
	CHECK(rc == 0 && srv.nb_invites == 2,
	      "the AOR user from elsewhere is not the account's: 403 (exit %d)", rc);
	g_clear_pointer(&text, g_free);

	srv.reply = 480;
	rc = phone_calls(&b, "uac_refused_480", "127.0.0.4", "lobby", &text);
	CHECK(rc == 0 && srv.nb_invites == 3,
	      "a call to lobby from its outbound proxy is admitted (exit %d)", rc);
	CHECK_STR(srv.to_user, "room-lobby", "and rings its room");
	CHECK_STR(srv.account, "lobby", "through account lobby");
	g_clear_pointer(&text, g_free);
	rc = phone_calls(&b, "uac_refused_403", "127.0.0.4", "pbx", &text);
	CHECK(rc == 0 && srv.nb_invites == 3,
	      "lobby's proxy does not bring pbx's calls: 403 (exit %d)", rc);
	g_clear_pointer(&text, g_free);

	/* MESSAGEs are admitted by the same rule (sip_admit). */
	srv.to_user[0] = '\0';
	rc = phone_writes(&b, "127.0.0.4", "lobby", &text);
	CHECK(rc == 0 && srv.nb_messages == 1 && strstr(text, "\nSIP/2.0 480 ") != NULL,
	      "a MESSAGE to lobby from its outbound proxy is admitted (exit %d, %d)", rc,
	      srv.nb_messages);
	CHECK_STR(srv.account, "lobby", "it is for account lobby");
	CHECK_STR(srv.to_user, "lobby", "to the user it was sent to");
	g_clear_pointer(&text, g_free);
	rc = phone_writes(&b, "127.0.0.1", "1001", &text);
	CHECK(rc == 0 && srv.nb_messages == 2 && strcmp(srv.account, "pbx") == 0,
	      "a MESSAGE to the AOR user 1001 from pbx's registrar is pbx's (exit %d, %s)", rc,
	      srv.account);
	g_clear_pointer(&text, g_free);
	rc = phone_writes(&b, "127.0.0.4", "pbx", &text);
	CHECK(rc == 0 && srv.nb_messages == 2 && strstr(text, "\nSIP/2.0 403 ") != NULL,
	      "lobby's proxy does not bring pbx's MESSAGEs: 403 (exit %d)", rc);
	g_clear_pointer(&text, g_free);
	rc = phone_writes(&b, "127.0.0.3", "bob", &text);
	CHECK(rc == 0 && srv.nb_messages == 2 && strstr(text, "\nSIP/2.0 403 ") != NULL,
	      "a MESSAGE from elsewhere: 403 (exit %d)", rc);
	g_clear_pointer(&text, g_free);

	srv.reply = 0;
	rc = phone_calls(&b, "uac_answered", "127.0.0.1", "bob", &text);
	CHECK(rc == 0 && srv.nb_invites == 4 && strcmp(srv.account, "(none)") == 0 &&
		  strcmp(srv.to_user, "bob") == 0,
	      "a call to another user from the registrar is no account's: to_user bob, no account");
	{
		g_autofree char *contact = logged_header(text, "SIP/2.0 200", "Contact");

		CHECK(g_str_has_prefix(contact, "<sip:bob@127.0.0.1:"),
		      "its 200's Contact user is bob, not the registered account's (%s)", contact);
	}
	g_clear_pointer(&text, g_free);

	bench_stop(&b);
	rc = sipp_wait(&reg, 10000);
	CHECK(rc == 0,
	      "the registrar saw the REGISTER (Contact user pbx) and the un-REGISTER "
	      "(exit %d)",
	      rc);
out:
	g_free(text);
	if (b.cfg != NULL) {
		b.cfg->sip.trunks = NULL;
		b.cfg->sip.nb_trunks = 0;
	}
	sipp_free(&reg);
	bench_free(&b);
}

/* An incoming target that is neither a browser name nor room-KEY stops the stack at start. */
static void test_bad_incoming(void)
{
	struct ponte_config *cfg = ponte_config_defaults();
	struct ponte_sip_account acct;
	struct ponte_sip *sip = NULL;
	char *why = NULL;
	int rc;

	account_init(&acct, "pbx", "sip:127.0.0.1:9", "1001", "secret", 600);
	acct.incoming = g_strdup("al ice");
	cfg->sip.port = free_port();
	cfg->sip.accounts = &acct;
	cfg->sip.nb_accounts = 1;
	rc = ponte_sip_create(cfg, &sip, &why);
	CHECK(rc == -EINVAL && sip == NULL && why != NULL && strstr(why, "incoming") != NULL &&
		  strstr(why, "pbx") != NULL,
	      "incoming \"al ice\": the stack does not start (%s)", why != NULL ? why : "");
	g_free(why);
	why = NULL;
	g_free(acct.incoming);
	acct.incoming = g_strdup("room-");
	rc = ponte_sip_create(cfg, &sip, &why);
	CHECK(rc == -EINVAL && sip == NULL, "nor with room- and no key");
	g_free(why);
	why = NULL;
	g_free(acct.incoming);
	acct.incoming = g_strdup("room-Zk3xq0J5c2V0aW5n");
	rc = ponte_sip_create(cfg, &sip, &why);
	CHECK(rc == 0 && sip != NULL, "room-KEY is fine (%s)", why != NULL ? why : "ok");
	g_free(why);
	if (sip != NULL) {
		sip_reg_stop(sip);
		ponte_sip_destroy(sip);
	}
	cfg->sip.accounts = NULL;
	cfg->sip.nb_accounts = 0;
	ponte_config_free(cfg);
	g_free(acct.name);
	g_free(acct.registrar);
	g_free(acct.aor);
	g_free(acct.username);
	g_free(acct.password);
	g_free(acct.outbound_proxy);
	g_free(acct.incoming);
}

int main(void)
{
	g_autofree char *sipp_path = g_find_program_in_path("sipp");
	GError *err = NULL;

	if (sipp_path == NULL) {
		printf("# skipped: no sipp command (Debian package sip-tester)\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	ponte_log_set_level(getenv("PONTE_TEST_DEBUG") != NULL ? PONTE_LOG_DEBUG : PONTE_LOG_ERROR);
	test_loop = g_main_loop_new(NULL, FALSE);
	tmpdir = g_dir_make_tmp("ponte-sip-reg-XXXXXX", &err);
	g_assert_no_error(err);

	test_invalid_accounts();
	test_auth_refresh_unregister();
	test_refresh_fails();
	test_wrong_password();
	test_two_realms();
	test_bad_algorithm();
	test_registrar_down();
	test_outbound_proxy();
	test_contact_on_calls();
	test_call_through_proxy();
	test_message_through_proxy();
	test_incoming_accounts();
	test_bad_incoming();

	if (getenv("PONTE_TEST_KEEP") == NULL)
		g_rmdir(tmpdir);
	g_free(tmpdir);
	g_main_loop_unref(test_loop);
	return tap_done();
}
