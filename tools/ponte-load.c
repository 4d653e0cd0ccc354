/* SPDX-License-Identifier: MIT */
/*
 * ponte-load: measure the packets per second a running ponte daemon relays.
 *
 * Opens N WebRTC sessions with the daemon's echo service (tools/load/client.c), sends RTP
 * through each at a set rate (tools/load/media.c), and checks that every echo comes back
 * authenticated and unchanged, timing the round trip. With --find-max it raises the aggregate
 * rate step by step, then bisects, to the highest rate with loss <= --loss-threshold.
 *
 * Every echoed packet is one packet in and one packet out at the daemon: "relay packets per
 * second" below counts echoes, i.e. packets the gateway received, unprotected, re-protected
 * and sent. Progress goes to stderr, one line per phase; the summary is one line on stdout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib-unix.h>
#include <jansson.h>

#include "load/load.h"
#include "log.h"
#include "mediaio.h"

#define MAX_STEPS 40
#define BISECT_PRECISION 0.03 /* stop bisecting when the bracket is narrower than 3 % */
#define UNDER_OFFERED 0.95    /* a step that reached less than this of its target */

/* The daemon's dataplane counters from its /status page. */
struct dp_counters {
	bool is_valid;
	int64_t rx_pkts, tx_pkts, tx_errors, input_drops;
};

struct snapshot {
	uint64_t t_ns;
	double daemon_cpu;
	double self_cpu;
	GHashTable *threads;
	GHashTable *procs;
	int64_t rcvbuf_errors;
	struct dp_counters dp;
};

struct step_result {
	unsigned gen;
	double target, seconds;
	uint64_t sent, send_errors, returned, auth_failed, replayed, bad_payload;
	double offered_pps, returned_pps, loss_pct, p50, p99, p999;
	double daemon_cores, self_cores, other_cores;
	char threads[256];
	int64_t rcvbuf_errors, dp_input_drops, dp_tx_errors;
	bool has_dp;
};

enum run_mode {
	RUN_FIXED,
	RUN_FIND_MAX,
};

struct run {
	struct load *ld;
	SoupSession *status_soup;
	enum run_mode mode;
	bool is_setup_done, is_finishing;
	guint setup_timer;
	unsigned nb_failed_run; /* sessions lost after set-up */
	/* The phase under way. */
	unsigned gen;
	double rate;
	struct snapshot start, end;
	void (*phase_done)(struct run *r, const struct step_result *res);
	/* find-max */
	unsigned nb_steps;
	double lo, hi;
	struct step_result best, first_bad;
	bool has_best, has_first_bad;
	const char *limited_by;
};

static void finish(struct run *r, int code);

/* ---- measurements ---- */

static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static int64_t json_int(json_t *obj, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(obj, key));
}

/* A blocking GET of the daemon's /status (local, a millisecond): its own session, so the
 * signaling connections never wait behind it. */
static void fetch_dp(struct run *r, struct dp_counters *out)
{
	const char *url = r->ld->o.status_url;
	SoupMessage *msg;
	GBytes *body;
	json_t *obj, *dp;

	memset(out, 0, sizeof(*out));
	if (url == NULL || url[0] == '\0' || (msg = soup_message_new("GET", url)) == NULL)
		return;
	body = soup_session_send_and_read(r->status_soup, msg, NULL, NULL);
	g_object_unref(msg);
	if (body == NULL)
		return;
	obj = json_loadb(g_bytes_get_data(body, NULL), g_bytes_get_size(body), 0, NULL);
	g_bytes_unref(body);
	dp = json_object_get(obj, "dataplane");
	if (json_is_object(dp)) {
		out->is_valid = true;
		out->rx_pkts = json_int(dp, "rx_pkts");
		out->tx_pkts = json_int(dp, "tx_pkts");
		out->tx_errors = json_int(dp, "tx_errors");
		out->input_drops = json_int(dp, "input_drops");
	}
	json_decref(obj);
}

static void snap(struct run *r, struct snapshot *s)
{
	int pid = r->ld->o.daemon_pid;

	if (s->threads != NULL)
		g_hash_table_unref(s->threads);
	if (s->procs != NULL)
		g_hash_table_unref(s->procs);
	s->daemon_cpu = pid > 0 ? load_proc_cpu(pid) : -1;
	s->threads = pid > 0 ? load_threads_snapshot(pid) : NULL;
	s->self_cpu = self_cpu();
	s->procs = load_procs_snapshot();
	s->rcvbuf_errors = load_udp_counter("RcvbufErrors");
	fetch_dp(r, &s->dp);
	s->t_ns = load_now_ns();
}

static uint64_t gen_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void collect(struct run *r, struct step_result *res)
{
	const struct load_gen_stats *g = &r->ld->gens[r->gen];
	double wall = (double)(r->end.t_ns - r->start.t_ns) * 1e-9;
	struct dp_counters dp;
	char *threads;

	memset(res, 0, sizeof(*res));
	res->gen = r->gen;
	res->target = r->rate;
	res->seconds = wall;
	res->sent = gen_load(&g->sent);
	res->send_errors = gen_load(&g->send_errors);
	res->returned = gen_load(&g->returned);
	res->auth_failed = gen_load(&g->auth_failed);
	res->replayed = gen_load(&g->replayed);
	res->bad_payload = gen_load(&g->bad_payload);
	res->offered_pps = res->sent / wall;
	res->returned_pps = res->returned / wall;
	res->loss_pct = res->sent > 0 && res->returned < res->sent
		? 100.0 * (double)(res->sent - res->returned) / (double)res->sent : 0;
	res->p50 = load_hist_quantile(g->hist, res->returned, 0.50);
	res->p99 = load_hist_quantile(g->hist, res->returned, 0.99);
	res->p999 = load_hist_quantile(g->hist, res->returned, 0.999);
	res->daemon_cores = r->start.daemon_cpu >= 0 && r->end.daemon_cpu >= 0
		? (r->end.daemon_cpu - r->start.daemon_cpu) / wall : -1;
	res->self_cores = (r->end.self_cpu - r->start.self_cpu) / wall;
	res->other_cores = load_procs_delta(r->start.procs, r->end.procs, r->ld->o.daemon_pid,
					    (int)getpid(), wall);
	threads = load_threads_delta(r->start.threads, r->end.threads, wall);
	g_strlcpy(res->threads, threads, sizeof(res->threads));
	g_free(threads);
	/* Drops are counted to the end of the drain: the queues empty during it. */
	res->rcvbuf_errors = load_udp_counter("RcvbufErrors");
	res->rcvbuf_errors = res->rcvbuf_errors >= 0 && r->start.rcvbuf_errors >= 0
		? res->rcvbuf_errors - r->start.rcvbuf_errors : -1;
	fetch_dp(r, &dp);
	res->has_dp = dp.is_valid && r->start.dp.is_valid;
	if (res->has_dp) {
		res->dp_input_drops = dp.input_drops - r->start.dp.input_drops;
		res->dp_tx_errors = dp.tx_errors - r->start.dp.tx_errors;
	}
}

/* The fields every report line shares. */
static void print_fields(FILE *out, const struct step_result *res)
{
	fprintf(out,
		"pps_offered=%.0f pps_returned=%.0f loss=%.3f%% rtt_p50_us=%.0f rtt_p99_us=%.0f "
		"rtt_p999_us=%.0f",
		res->offered_pps, res->returned_pps, res->loss_pct, res->p50, res->p99, res->p999);
	if (res->daemon_cores >= 0) {
		fprintf(out, " daemon_cpu=%.3f", res->daemon_cores);
		if (res->daemon_cores > 0)
			fprintf(out, " pps_per_core=%.0f", res->returned_pps / res->daemon_cores);
		fprintf(out, " daemon_threads=%s", res->threads);
	}
	fprintf(out, " load_cpu=%.3f", res->self_cores);
	/* Whatever else ran took CPU from the two of us: a figure to read the others with. */
	if (res->other_cores >= 0)
		fprintf(out, " other_cpu=%.2f cpus=%ld", res->other_cores,
			sysconf(_SC_NPROCESSORS_ONLN));
}

static void print_step(const struct step_result *res)
{
	fprintf(stderr, "step=%u target_pps=%.0f ", res->gen, res->target);
	print_fields(stderr, res);
	fprintf(stderr, " sent=%" G_GUINT64_FORMAT " returned=%" G_GUINT64_FORMAT,
		res->sent, res->returned);
	if (res->send_errors || res->auth_failed || res->replayed || res->bad_payload)
		fprintf(stderr,
			" send_errors=%" G_GUINT64_FORMAT " auth_failed=%" G_GUINT64_FORMAT
			" replayed=%" G_GUINT64_FORMAT " bad_payload=%" G_GUINT64_FORMAT,
			res->send_errors, res->auth_failed, res->replayed, res->bad_payload);
	fprintf(stderr, " udp_rcvbuf_errors=%" G_GINT64_FORMAT, res->rcvbuf_errors);
	if (res->has_dp)
		fprintf(stderr, " dp_input_drops=%" G_GINT64_FORMAT " dp_tx_errors=%" G_GINT64_FORMAT,
			res->dp_input_drops, res->dp_tx_errors);
	fprintf(stderr, "\n");
}

static void print_head(struct run *r)
{
	const struct load *ld = r->ld;
	uint16_t profile = 0;

	for (int i = 0; i < ld->o.nb_sessions && profile == 0; i++)
		profile = ld->sessions[i].profile;
	printf("sessions=%d size=%d srtp=%s ", ld->o.nb_sessions, ld->o.size,
	       profile ? ponte_srtp_profile_name(profile) : "-");
}

/* ---- phases ---- */

static gboolean phase_drained(gpointer data)
{
	struct run *r = data;
	struct step_result res;

	if (r->is_finishing)
		return G_SOURCE_REMOVE;
	collect(r, &res);
	print_step(&res);
	r->phase_done(r, &res);
	return G_SOURCE_REMOVE;
}

static gboolean phase_sent(gpointer data)
{
	struct run *r = data;

	if (r->is_finishing)
		return G_SOURCE_REMOVE;
	load_media_set_phase(r->ld, r->gen, 0);
	snap(r, &r->end);
	/* What is still in flight counts for this phase: wait for it before reading. */
	g_timeout_add((guint)(r->ld->o.drain_seconds * 1000), phase_drained, r);
	return G_SOURCE_REMOVE;
}

static void run_phase(struct run *r, double rate, double seconds,
		      void (*done)(struct run *r, const struct step_result *res))
{
	if (r->gen + 1 >= LOAD_MAX_GENS) {
		fprintf(stderr, "ponte-load: out of phases\n");
		finish(r, 1);
		return;
	}
	r->gen++;
	r->rate = rate;
	r->phase_done = done;
	snap(r, &r->start);
	load_media_set_phase(r->ld, r->gen, rate);
	g_timeout_add((guint)(seconds * 1000), phase_sent, r);
}

static bool is_clean(const struct run *r, const struct step_result *res)
{
	return res->auth_failed == 0 && res->bad_payload == 0 && r->nb_failed_run == 0;
}

static void fixed_done(struct run *r, const struct step_result *res)
{
	print_head(r);
	print_fields(stdout, res);
	printf("\n");
	fflush(stdout);
	finish(r, is_clean(r, res) ? 0 : 1);
}

static void ramp_report(struct run *r)
{
	print_head(r);
	printf("mode=find-max loss_threshold=%.3f%% ", r->ld->o.loss_threshold);
	if (r->has_best) {
		printf("max_lossless_pps=%.0f ", r->best.returned_pps);
		print_fields(stdout, &r->best);
	} else {
		printf("max_lossless_pps=0");
	}
	if (r->has_first_bad)
		printf(" first_lossy_target_pps=%.0f first_lossy_loss=%.3f%%", r->first_bad.target,
		       r->first_bad.loss_pct);
	printf(" steps=%u limited_by=%s\n", r->nb_steps, r->limited_by);
	fflush(stdout);
	finish(r, r->has_best ? 0 : 1);
}

static void ramp_done(struct run *r, const struct step_result *res)
{
	const struct load_opts *o = &r->ld->o;
	bool is_good = res->loss_pct <= o->loss_threshold && is_clean(r, res);
	double next;

	r->nb_steps++;
	if (is_good) {
		if (!r->has_best || res->returned_pps > r->best.returned_pps)
			r->best = *res;
		r->has_best = true;
		r->lo = res->target;
	} else {
		if (!r->has_first_bad || res->target < r->first_bad.target)
			r->first_bad = *res;
		r->has_first_bad = true;
		r->hi = res->target;
	}
	if (r->nb_failed_run > 0) {
		r->limited_by = "sessions-failed";
	} else if (!is_clean(r, res)) {
		r->limited_by = "bad-echoes";
	} else if (is_good && res->offered_pps < UNDER_OFFERED * res->target) {
		/* The sender could not offer more: the daemon was not the limit. */
		r->limited_by = "generator";
	} else if (r->nb_steps >= MAX_STEPS) {
		r->limited_by = "steps";
	} else if (r->hi > 0 && r->lo > 0 && (r->hi - r->lo) / r->hi < BISECT_PRECISION) {
		r->limited_by = "loss";
	}
	if (r->limited_by != NULL) {
		ramp_report(r);
		return;
	}
	if (r->hi == 0)
		next = r->lo * o->growth;
	else if (r->lo == 0)
		next = r->hi / 2;
	else
		next = (r->lo + r->hi) / 2;
	if (next < 1) {
		r->limited_by = "loss";
		ramp_report(r);
		return;
	}
	run_phase(r, next, o->step_seconds, ramp_done);
}

static void warmup_done(struct run *r, const struct step_result *res)
{
	struct load *ld = r->ld;
	const struct load_opts *o = &ld->o;
	unsigned silent = 0;

	for (int i = 0; i < o->nb_sessions; i++) {
		const struct load_session *s = &ld->sessions[i];

		if (gen_load(&s->nb_sent) > 0 && gen_load(&s->nb_returned) == 0) {
			if (silent++ < 5)
				fprintf(stderr, "ponte-load: %s (gateway %s): no echo\n", s->log_name,
					s->gw_id);
		}
	}
	if (silent > 0 || !is_clean(r, res)) {
		fprintf(stderr, "ponte-load: warm-up failed: %u sessions without echoes, "
				"%" G_GUINT64_FORMAT " failing authentication, %" G_GUINT64_FORMAT
				" wrong payloads\n",
			silent, res->auth_failed, res->bad_payload);
		finish(r, 1);
		return;
	}
	if (r->mode == RUN_FIXED)
		run_phase(r, o->pps * o->nb_sessions, o->seconds, fixed_done);
	else
		run_phase(r, o->start_rate, o->step_seconds, ramp_done);
}

/* ---- set-up ---- */

static void start_more(struct run *r)
{
	struct load *ld = r->ld;

	while (ld->nb_started < (unsigned)ld->o.nb_sessions &&
	       ld->nb_started - ld->nb_ready - ld->nb_failed < (unsigned)ld->o.setup_parallel)
		load_session_start(&ld->sessions[ld->nb_started++]);
}

static void setup_done(struct run *r)
{
	struct load *ld = r->ld;
	double rate = r->mode == RUN_FIXED ? ld->o.pps * ld->o.nb_sessions : ld->o.start_rate;
	int rc;

	r->is_setup_done = true;
	if (r->setup_timer != 0)
		g_source_remove(r->setup_timer);
	r->setup_timer = 0;
	fprintf(stderr, "ponte-load: %u of %d sessions up\n", ld->nb_ready, ld->o.nb_sessions);
	if (ld->nb_failed > 0 || ld->nb_ready == 0) {
		finish(r, 1);
		return;
	}
	rc = load_media_start(ld);
	if (rc != 0) {
		fprintf(stderr, "ponte-load: sender: %s\n", g_strerror(-rc));
		finish(r, 1);
		return;
	}
	/* Phase 0 is the warm-up: every session must echo before anything is measured. */
	r->gen = 0;
	r->rate = rate;
	r->phase_done = warmup_done;
	snap(r, &r->start);
	load_media_set_phase(ld, 0, rate);
	g_timeout_add((guint)(ld->o.warmup_seconds * 1000), phase_sent, r);
}

void load_on_session_ready(struct load_session *s)
{
	struct run *r = s->ld->owner;
	struct load *ld = s->ld;

	ld->nb_ready++;
	if (r->is_setup_done)
		return;
	start_more(r);
	if (ld->nb_ready + ld->nb_failed == (unsigned)ld->o.nb_sessions)
		setup_done(r);
}

void load_on_session_failed(struct load_session *s, const char *why)
{
	struct run *r = s->ld->owner;
	struct load *ld = s->ld;

	if (r->is_finishing)
		return;
	fprintf(stderr, "ponte-load: %s (gateway %s) failed: %s\n", s->log_name,
		s->gw_id[0] ? s->gw_id : "-", why);
	if (r->is_setup_done) {
		r->nb_failed_run++;
		return;
	}
	if (s->was_ready)
		ld->nb_ready--;
	ld->nb_failed++;
	start_more(r);
	if (ld->nb_ready + ld->nb_failed == (unsigned)ld->o.nb_sessions)
		setup_done(r);
}

static gboolean setup_timeout(gpointer data)
{
	struct run *r = data;

	r->setup_timer = 0;
	fprintf(stderr, "ponte-load: set-up timed out: %u of %d sessions up\n", r->ld->nb_ready,
		r->ld->o.nb_sessions);
	r->is_setup_done = true;
	finish(r, 1);
	return G_SOURCE_REMOVE;
}

/* ---- end ---- */

static gboolean quit_loop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

static void finish(struct run *r, int code)
{
	struct load *ld = r->ld;

	if (r->is_finishing)
		return;
	r->is_finishing = true;
	ld->exit_code = code;
	load_media_stop(ld);
	for (int i = 0; i < ld->o.nb_sessions; i++)
		load_session_hangup(&ld->sessions[i]);
	/* Let the hangups and WebSocket closes go out before tearing down. */
	g_timeout_add(300, quit_loop, ld->loop);
}

static gboolean on_signal(gpointer data)
{
	struct run *r = data;

	fprintf(stderr, "ponte-load: interrupted\n");
	if (!r->is_finishing)
		finish(r, 130);
	else
		g_main_loop_quit(r->ld->loop);
	return G_SOURCE_CONTINUE;
}

/* ---- main ---- */

/* http://HOST:PORT/status from ws://HOST:PORT/PATH (https from wss). */
static char *status_url_of(const char *ws_url)
{
	GUri *u = g_uri_parse(ws_url, G_URI_FLAGS_NONE, NULL);
	char *out = NULL;

	if (u == NULL)
		return NULL;
	if (g_strcmp0(g_uri_get_scheme(u), "ws") == 0 || g_strcmp0(g_uri_get_scheme(u), "wss") == 0)
		out = g_uri_join(G_URI_FLAGS_NONE,
				 strcmp(g_uri_get_scheme(u), "wss") == 0 ? "https" : "http", NULL,
				 g_uri_get_host(u), g_uri_get_port(u), "/status", NULL, NULL);
	g_uri_unref(u);
	return out;
}

static int parse_options(int argc, char **argv, struct load_opts *o)
{
	GOptionEntry entries[] = {
		{"url", 'u', 0, G_OPTION_ARG_STRING, &o->url,
		 "Signaling WebSocket (default ws://127.0.0.1:8080/ws)", "URL"},
		{"status-url", 0, 0, G_OPTION_ARG_STRING, &o->status_url,
		 "Daemon status page for dataplane drop counters (default: from --url; '' for none)",
		 "URL"},
		{"local-address", 0, 0, G_OPTION_ARG_STRING, &o->local_address,
		 "Address our ICE agents gather on (default 127.0.0.1)", "IP"},
		{"sessions", 'n', 0, G_OPTION_ARG_INT, &o->nb_sessions, "Sessions (default 50)", "N"},
		{"pps", 0, 0, G_OPTION_ARG_DOUBLE, &o->pps,
		 "Packets per second per session (default 50: 20 ms audio)", "R"},
		{"size", 0, 0, G_OPTION_ARG_INT, &o->size,
		 "RTP packet bytes before SRTP, header included (default 172: 20 ms G.711)", "B"},
		{"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &o->seconds,
		 "Length of the fixed-rate run (default 10)", "S"},
		{"find-max", 0, 0, G_OPTION_ARG_NONE, &o->find_max,
		 "Raise the aggregate rate until loss appears; print the highest lossless one", NULL},
		{"start-pps", 0, 0, G_OPTION_ARG_DOUBLE, &o->start_rate,
		 "find-max: first aggregate rate (default sessions x pps)", "R"},
		{"growth", 0, 0, G_OPTION_ARG_DOUBLE, &o->growth,
		 "find-max: rate factor between steps before the first loss (default 1.5)", "F"},
		{"step-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &o->step_seconds,
		 "find-max: length of each step (default 5)", "S"},
		{"loss-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &o->loss_threshold,
		 "find-max: highest loss in percent still called lossless (default 0.1)", "P"},
		{"drain", 0, 0, G_OPTION_ARG_DOUBLE, &o->drain_seconds,
		 "Seconds to wait for late echoes after each phase (default 1)", "S"},
		{"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &o->warmup_seconds,
		 "Seconds of unmeasured traffic first (default 2)", "S"},
		{"tick-us", 0, 0, G_OPTION_ARG_INT, &o->tick_us,
		 "Sender schedule resolution in microseconds (default 1000)", "US"},
		{"daemon-pid", 0, 0, G_OPTION_ARG_INT, &o->daemon_pid,
		 "Report the CPU this process uses (from /proc/PID/stat)", "PID"},
		{"srtp", 0, 0, G_OPTION_ARG_STRING, &o->srtp,
		 "SRTP profile to offer in DTLS: gcm, cm or any (default any: the daemon picks)",
		 "P"},
		{"setup-parallel", 0, 0, G_OPTION_ARG_INT, &o->setup_parallel,
		 "Sessions being set up at once (default 32)", "N"},
		{"setup-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o->setup_timeout,
		 "Seconds for every session to come up (default 60)", "S"},
		{"no-room", 0, 0, G_OPTION_ARG_NONE, &o->no_room,
		 "Do not join a room first (the daemon then closes the connection after "
		 "signaling.join_timeout)",
		 NULL},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "Log what the modules log", NULL},
		{"debug", 0, 0, G_OPTION_ARG_NONE, &o->debug, "Log at debug level", NULL},
		{NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	GOptionContext *ctx = g_option_context_new("- load a ponte daemon's echo service");
	GError *err = NULL;
	bool is_ok;

	g_option_context_add_main_entries(ctx, entries, NULL);
	is_ok = g_option_context_parse(ctx, &argc, &argv, &err) && argc == 1;
	g_option_context_free(ctx);
	if (!is_ok) {
		fprintf(stderr, "ponte-load: %s\n",
			err != NULL ? err->message : "unexpected argument; see --help");
		g_clear_error(&err);
		return -EINVAL;
	}
	if (o->url == NULL)
		o->url = g_strdup("ws://127.0.0.1:8080/ws");
	if (o->status_url == NULL)
		o->status_url = status_url_of(o->url);
	if (o->local_address == NULL)
		o->local_address = g_strdup("127.0.0.1");
	if (o->start_rate <= 0)
		o->start_rate = o->pps * o->nb_sessions;
	if (o->nb_sessions < 1 || o->pps <= 0 || o->seconds <= 0 || o->step_seconds <= 0 ||
	    o->growth <= 1 || o->loss_threshold < 0 || o->drain_seconds < 0 ||
	    o->warmup_seconds <= 0 || o->tick_us < 10 || o->setup_parallel < 1 ||
	    o->size < LOAD_MIN_SIZE || o->size > LOAD_MAX_SIZE ||
	    (o->srtp != NULL && strcmp(o->srtp, "gcm") != 0 && strcmp(o->srtp, "cm") != 0 &&
	     strcmp(o->srtp, "any") != 0)) {
		fprintf(stderr, "ponte-load: an option is out of range (size %d..%d); see --help\n",
			LOAD_MIN_SIZE, LOAD_MAX_SIZE);
		return -EINVAL;
	}
	return 0;
}

static int init(struct load *ld)
{
	const struct load_opts *o = &ld->o;
	int rc;

	ld->srtp = dp_srtp_engine_default();
	rc = ld->srtp->init();
	if (rc == 0)
		rc = ponte_mediaio_start();
	if (rc == 0)
		rc = ponte_dtls_cert_generate(&ld->cert);
	if (rc == 0)
		rc = load_sink_create(ld, &ld->sink);
	if (rc != 0)
		return rc;
	/* As the DTLS client we offer; the daemon takes the first of its own list we offer. */
	if (o->srtp == NULL || strcmp(o->srtp, "any") == 0) {
		ld->profiles[ld->nb_profiles++] = PONTE_SRTP_AEAD_AES_128_GCM;
		ld->profiles[ld->nb_profiles++] = PONTE_SRTP_AES128_CM_SHA1_80;
	} else {
		ld->profiles[ld->nb_profiles++] = strcmp(o->srtp, "gcm") == 0
			? PONTE_SRTP_AEAD_AES_128_GCM : PONTE_SRTP_AES128_CM_SHA1_80;
	}
	ld->addresses[0] = o->local_address;
	ld->addresses[1] = NULL;
	ld->soup = soup_session_new_with_options("max-conns", 100000, "max-conns-per-host", 100000,
						 NULL);
	ld->gens = g_new0(struct load_gen_stats, LOAD_MAX_GENS);
	ld->sessions = g_new0(struct load_session, (gsize)o->nb_sessions);
	for (int i = 0; i < o->nb_sessions; i++) {
		struct load_session *s = &ld->sessions[i];

		s->ld = ld;
		s->idx = (unsigned)i;
		s->fd = -1;
		snprintf(s->log_name, sizeof(s->log_name), "load=%d", i);
		do
			s->ssrc = g_random_int();
		while (s->ssrc == 0);
		/* Rooms of 8: under the default signaling.max_members, and few rooms. */
		if (!o->no_room)
			snprintf(s->room, sizeof(s->room), "ponte-load-%d-%d", (int)getpid(), i / 8);
		s->pending_candidates = g_ptr_array_new_with_free_func(g_free);
	}
	ld->loop = g_main_loop_new(NULL, FALSE);
	return 0;
}

static void cleanup(struct load *ld)
{
	load_media_stop(ld);
	for (int i = 0; ld->sessions != NULL && i < ld->o.nb_sessions; i++)
		load_session_free(&ld->sessions[i]);
	/* ICE agents release their last references on the main loop. */
	while (g_main_context_iteration(NULL, FALSE))
		;
	ponte_mediaio_stop();
	while (g_main_context_iteration(NULL, FALSE))
		;
	load_sink_destroy(ld->sink);
	if (ld->cert != NULL)
		ponte_dtls_cert_unref(ld->cert);
	g_clear_object(&ld->soup);
	if (ld->loop != NULL)
		g_main_loop_unref(ld->loop);
	g_free(ld->sessions);
	g_free(ld->gens);
	g_free(ld->o.url);
	g_free(ld->o.status_url);
	g_free(ld->o.local_address);
	g_free(ld->o.srtp);
}

int main(int argc, char **argv)
{
	struct load ld = {
		.o = {
			.nb_sessions = 50,
			.pps = 50,
			.size = 172,
			.seconds = 10,
			.growth = 1.5,
			.step_seconds = 5,
			.loss_threshold = 0.1,
			.drain_seconds = 1,
			.warmup_seconds = 2,
			.tick_us = 1000,
			.setup_parallel = 32,
			.setup_timeout = 60,
		},
	};
	struct run r = {.ld = &ld};
	guint sig[2];
	int rc;

	if (parse_options(argc, argv, &ld.o) != 0)
		return 2;
	/* A peer closing mid-write must be an error return, not a dead process. */
	signal(SIGPIPE, SIG_IGN);
	ponte_log_open(NULL, ld.o.debug ? PONTE_LOG_DEBUG
			     : ld.o.verbose ? PONTE_LOG_INFO : PONTE_LOG_WARN);
	ld.owner = &r;
	r.mode = ld.o.find_max ? RUN_FIND_MAX : RUN_FIXED;
	rc = init(&ld);
	if (rc != 0) {
		fprintf(stderr, "ponte-load: start-up: %s\n", g_strerror(-rc));
		cleanup(&ld);
		return 1;
	}
	r.status_soup = soup_session_new_with_options("timeout", 2, NULL);
	sig[0] = g_unix_signal_add(SIGINT, on_signal, &r);
	sig[1] = g_unix_signal_add(SIGTERM, on_signal, &r);
	r.setup_timer = g_timeout_add((guint)(ld.o.setup_timeout * 1000), setup_timeout, &r);
	start_more(&r);
	g_main_loop_run(ld.loop);
	g_source_remove(sig[0]);
	g_source_remove(sig[1]);
	if (r.setup_timer != 0)
		g_source_remove(r.setup_timer);
	if (r.start.threads != NULL)
		g_hash_table_unref(r.start.threads);
	if (r.end.threads != NULL)
		g_hash_table_unref(r.end.threads);
	if (r.start.procs != NULL)
		g_hash_table_unref(r.start.procs);
	if (r.end.procs != NULL)
		g_hash_table_unref(r.end.procs);
	g_clear_object(&r.status_soup);
	cleanup(&ld);
	return ld.exit_code;
}
