/* SPDX-License-Identifier: MIT */
/*
 * DTLS-SRTP against an independent implementation: OpenSSL's own s_server and s_client over
 * UDP on 127.0.0.1, with a small UDP shim on the main loop between the socket and the
 * session. Proves the handshake completes both ways, the negotiated profile follows the
 * server's preference, the SRTP keys we hand out are exactly what the tool's
 * "-keymatexport EXTRACTOR-dtls_srtp" prints, application data and close_notify cross, a
 * wrong fingerprint is refused, and certificates load from PEM files with the fingerprint the
 * openssl tool computes. Exits 77 (skipped) without the openssl command.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "dtls.h"
#include "log.h"
#include "loop.h"
#include "tap.h"

struct tool {
	GPid pid;
	bool is_running;
	int status;
	int in_fd; /* the tool's stdin; -1 once closed */
	int out_fd, err_fd;
	guint out_src, err_src, child_src;
	GString *out; /* stdout and stderr together */
};

struct shim {
	int fd;
	guint src;
	struct sockaddr_in peer;
	bool has_peer;
	struct ponte_dtls *d;
	int nb_connected, nb_failed, nb_closed;
	int fail_err;
	char why[600];
	struct ponte_srtp_key tx, rx;
	uint16_t profile;
	GString *app;
};

static char *tmpdir, *peer_cert, *peer_key, *other_key, *peer_fp;
static struct ponte_dtls_cert *our_cert;

/* ---- running the openssl tool ---- */

static gboolean on_tool_output(gint fd, GIOCondition cond, gpointer data)
{
	struct tool *t = data;
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_string_append_len(t->out, buf, n);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	/* End of file: this watch goes away with its descriptor. */
	close(fd);
	if (fd == t->out_fd)
		t->out_src = 0;
	else
		t->err_src = 0;
	return G_SOURCE_REMOVE;
}

/* Polled with waitpid rather than a GLib child watch, whose helper thread never ends and
 * would show up under valgrind. */
static gboolean on_tool_poll(gpointer data)
{
	struct tool *t = data;

	if (waitpid(t->pid, &t->status, WNOHANG) != t->pid)
		return G_SOURCE_CONTINUE;
	t->is_running = false;
	t->child_src = 0;
	return G_SOURCE_REMOVE;
}

static bool tool_start(struct tool *t, const char *const *argv)
{
	GError *err = NULL;

	memset(t, 0, sizeof(*t));
	t->out = g_string_new(NULL);
	if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
				      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				      &t->pid, &t->in_fd, &t->out_fd, &t->err_fd, &err)) {
		printf("# spawn %s: %s\n", argv[0], err->message);
		g_error_free(err);
		return false;
	}
	t->is_running = true;
	g_unix_set_fd_nonblocking(t->out_fd, TRUE, NULL);
	g_unix_set_fd_nonblocking(t->err_fd, TRUE, NULL);
	t->out_src = g_unix_fd_add(t->out_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_tool_output, t);
	t->err_src = g_unix_fd_add(t->err_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_tool_output, t);
	t->child_src = g_timeout_add(20, on_tool_poll, t);
	return true;
}

static void tool_write(struct tool *t, const char *text)
{
	if (t->in_fd >= 0 && write(t->in_fd, text, strlen(text)) < 0)
		printf("# write to the tool: %s\n", g_strerror(errno));
}

static void tool_close_stdin(struct tool *t)
{
	if (t->in_fd >= 0)
		close(t->in_fd);
	t->in_fd = -1;
}


/* Run the loop until pred holds (NULL: for the whole time) or max_ms passes. */
static void run(bool (*pred)(void), unsigned int max_ms)
{
	test_loop_run(pred, max_ms, 10);
}

static struct tool *cur_tool;

static bool tool_exited(void)
{
	return !cur_tool->is_running;
}

static void tool_stop(struct tool *t)
{
	tool_close_stdin(t);
	if (t->is_running) {
		kill(t->pid, SIGTERM);
		cur_tool = t;
		run(tool_exited, 3000);
	}
	if (t->is_running) {
		kill(t->pid, SIGKILL);
		run(tool_exited, 3000);
	}
	/* Let the output watches see their end of file. */
	for (int i = 0; i < 10 && g_main_context_iteration(NULL, FALSE); i++)
		;
	if (t->out_src != 0) {
		g_source_remove(t->out_src);
		close(t->out_fd);
	}
	if (t->err_src != 0) {
		g_source_remove(t->err_src);
		close(t->err_fd);
	}
	g_string_free(t->out, TRUE);
}

/* The hex after "Keying material: " in the tool's output, or NULL. */
static char *tool_keying_material(const struct tool *t)
{
	const char *p = strstr(t->out->str, "Keying material: ");
	size_t n = 0;

	if (p == NULL)
		return NULL;
	p += strlen("Keying material: ");
	while (g_ascii_isxdigit(p[n]))
		n++;
	if (p[n] != '\n' && p[n] != '\r')
		return NULL;
	return g_strndup(p, n);
}

/* Run a command to completion; its stdout, or NULL. */
static char *run_cmd(const char *const *argv)
{
	char *out = NULL;
	int status = 0;

	if (!g_spawn_sync(NULL, (char **)argv, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
			  &status, NULL))
		return NULL;
	if (!g_spawn_check_wait_status(status, NULL)) {
		g_free(out);
		return NULL;
	}
	return out;
}

/* "sha256 Fingerprint=AB:..." from openssl x509, as the bare hex. */
static char *openssl_fingerprint(const char *pem_file)
{
	const char *argv[] = {"openssl", "x509",	 "-in",	    pem_file,
			      "-noout",	 "-fingerprint", "-sha256", NULL};
	g_autofree char *out = run_cmd(argv);
	char *eq = out != NULL ? strchr(out, '=') : NULL;

	if (eq == NULL)
		return NULL;
	return g_strstrip(g_strdup(eq + 1));
}

/* The certificate the tool printed (the peer's, i.e. ours), through openssl x509. */
static char *tool_peer_fingerprint(const struct tool *t)
{
	const char *b = strstr(t->out->str, "-----BEGIN CERTIFICATE-----");
	const char *e = b != NULL ? strstr(b, "-----END CERTIFICATE-----") : NULL;
	g_autofree char *file = g_build_filename(tmpdir, "seen.pem", NULL);
	g_autofree char *pem = NULL;

	if (e == NULL)
		return NULL;
	pem = g_strndup(b, (size_t)(e - b) + strlen("-----END CERTIFICATE-----\n"));
	if (!g_file_set_contents(file, pem, -1, NULL))
		return NULL;
	return openssl_fingerprint(file);
}

/* ---- the UDP shim ---- */

static void op_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct shim *s = ctx;

	if (s->has_peer &&
	    sendto(s->fd, pkt, len, 0, (const struct sockaddr *)&s->peer, sizeof(s->peer)) < 0)
		printf("# sendto: %s\n", g_strerror(errno));
}

static void op_connected(void *ctx, const struct ponte_srtp_key *tx,
			 const struct ponte_srtp_key *rx, uint16_t profile)
{
	struct shim *s = ctx;

	s->nb_connected++;
	s->tx = *tx;
	s->rx = *rx;
	s->profile = profile;
}

static void op_failed(void *ctx, int err, const char *why)
{
	struct shim *s = ctx;

	s->nb_failed++;
	s->fail_err = err;
	g_strlcpy(s->why, why, sizeof(s->why));
}

static void op_app(void *ctx, const uint8_t *data, size_t len)
{
	struct shim *s = ctx;

	g_string_append_len(s->app, (const char *)data, (gssize)len);
}

static void op_closed(void *ctx)
{
	struct shim *s = ctx;

	s->nb_closed++;
}

static const struct ponte_dtls_ops ops = {
    .send = op_send,
    .connected = op_connected,
    .failed = op_failed,
    .app_data = op_app,
    .closed = op_closed,
};

static gboolean on_udp(gint fd, GIOCondition cond, gpointer data)
{
	struct shim *s = data;
	uint8_t buf[65536];

	for (;;) {
		struct sockaddr_in from;
		socklen_t from_len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);

		if (n < 0)
			break;
		if (!s->has_peer) {
			s->peer = from;
			s->has_peer = true;
		}
		/* RFC 7983 §7: the caller's demultiplexing. */
		if (n > 0 && buf[0] >= 20 && buf[0] <= 63 && s->d != NULL)
			ponte_dtls_input(s->d, buf, (size_t)n);
	}
	return G_SOURCE_CONTINUE;
}

static int shim_open(struct shim *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->app = g_string_new(NULL);
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	s->src = g_unix_fd_add(s->fd, G_IO_IN, on_udp, s);
	return ntohs(a.sin_port);
}

static void shim_close(struct shim *s)
{
	ponte_dtls_destroy(s->d);
	s->d = NULL;
	if (s->src != 0)
		g_source_remove(s->src);
	if (s->fd >= 0)
		close(s->fd);
	g_string_free(s->app, TRUE);
}

static int shim_session(struct shim *s, enum ponte_dtls_role role, const uint16_t *profiles,
			size_t nb, const char *expected_fp)
{
	struct ponte_dtls_params p = {
	    .role = role,
	    .fingerprint_alg = "sha-256",
	    .fingerprint = expected_fp,
	    .profiles = profiles,
	    .nb_profiles = nb,
	    .retransmit_ms = 200,
	    .handshake_timeout_ms = 8000,
	    .log_name =
		role == PONTE_DTLS_CLIENT ? "session=interop-client" : "session=interop-server",
	};

	return ponte_dtls_create(our_cert, &p, &ops, s, &s->d);
}

/* What an RFC 5764 §4.2 exporter block must be, given our two keys: client key, server
 * key, client salt, server salt, in upper-case hex. */
static char *expected_km(const struct shim *s, enum ponte_dtls_role role)
{
	const struct ponte_srtp_key *c = role == PONTE_DTLS_CLIENT ? &s->tx : &s->rx;
	const struct ponte_srtp_key *v = role == PONTE_DTLS_CLIENT ? &s->rx : &s->tx;
	GString *hex = g_string_new(NULL);

	for (int i = 0; i < c->key_len; i++)
		g_string_append_printf(hex, "%02X", c->key[i]);
	for (int i = 0; i < v->key_len; i++)
		g_string_append_printf(hex, "%02X", v->key[i]);
	for (int i = 0; i < c->salt_len; i++)
		g_string_append_printf(hex, "%02X", c->salt[i]);
	for (int i = 0; i < v->salt_len; i++)
		g_string_append_printf(hex, "%02X", v->salt[i]);
	return g_string_free(hex, FALSE);
}

static struct shim *cur_shim;

static bool tool_listening(void)
{
	return strstr(cur_tool->out->str, "ACCEPT ") != NULL || !cur_tool->is_running;
}

static bool connected_and_km(void)
{
	return (cur_shim->nb_connected > 0 && strstr(cur_tool->out->str, "Keying material: ")) ||
	       cur_shim->nb_failed > 0 || !cur_tool->is_running;
}

static bool tool_printed_ping(void)
{
	return strstr(cur_tool->out->str, "ping from ponte") != NULL || !cur_tool->is_running;
}

static bool shim_got_pong(void)
{
	return strstr(cur_shim->app->str, "pong from openssl") != NULL;
}

static bool shim_closed(void)
{
	return cur_shim->nb_closed > 0 || cur_shim->nb_failed > 0;
}

static bool shim_failed(void)
{
	return cur_shim->nb_failed > 0;
}

static void check_session(const char *what, struct shim *s, struct tool *t,
			  enum ponte_dtls_role role, uint16_t want_profile)
{
	g_autofree char *km = tool_keying_material(t);
	g_autofree char *ours = NULL;
	g_autofree char *seen_fp = NULL;
	const char *profile_line =
	    want_profile == PONTE_SRTP_AEAD_AES_128_GCM
		? "SRTP Extension negotiated, profile=SRTP_AEAD_AES_128_GCM"
		: "SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80";

	CHECK(s->nb_connected == 1 && s->nb_failed == 0, "%s: handshake completed (%s)", what,
	      s->nb_failed ? s->why : "no failure");
	CHECK(s->profile == want_profile && strstr(t->out->str, profile_line) != NULL,
	      "%s: both ends report profile %s", what, ponte_srtp_profile_name(want_profile));
	if (s->nb_connected == 1)
		ours = expected_km(s, role);
	CHECK(km != NULL && ours != NULL && strcmp(km, ours) == 0,
	      "%s: our tx/rx keys are the tool's EXTRACTOR-dtls_srtp block, split per RFC 5764 "
	      "§4.2",
	      what);
	if (km == NULL || ours == NULL || strcmp(km, ours) != 0)
		printf("#   tool: %s\n#   ours: %s\n", km ? km : "(none)", ours ? ours : "(none)");
	seen_fp = tool_peer_fingerprint(t);
	CHECK(seen_fp != NULL && strcmp(seen_fp, ponte_dtls_cert_fingerprint(our_cert, NULL)) == 0,
	      "%s: the certificate the tool saw has our advertised fingerprint", what);
}

/* ponte as the DTLS client, openssl s_server as the server. */
static void case_ponte_client(const char *server_profiles, const uint16_t *ours, size_t nb,
			      uint16_t want, const char *km_len)
{
	const char *argv[] = {"openssl",
			      "s_server",
			      "-dtls1_2",
			      "-accept",
			      "127.0.0.1:0",
			      "-cert",
			      peer_cert,
			      "-key",
			      peer_key,
			      "-use_srtp",
			      server_profiles,
			      "-keymatexport",
			      "EXTRACTOR-dtls_srtp",
			      "-keymatexportlen",
			      km_len,
			      "-verify",
			      "1",
			      "-naccept",
			      "1",
			      NULL};
	g_autofree char *what = g_strdup_printf("ponte client vs s_server (%s)", server_profiles);
	struct tool t;
	struct shim s;
	const char *acc;

	shim_open(&s);
	cur_shim = &s;
	CHECK(tool_start(&t, argv), "%s: s_server started", what);
	cur_tool = &t;
	run(tool_listening, 5000);
	acc = strstr(t.out->str, "ACCEPT 127.0.0.1:");
	CHECK(acc != NULL, "%s: s_server listening", what);
	if (acc == NULL) {
		printf("# %s\n", t.out->str);
		goto out;
	}
	s.peer.sin_family = AF_INET;
	s.peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s.peer.sin_port = htons((uint16_t)atoi(acc + strlen("ACCEPT 127.0.0.1:")));
	s.has_peer = true;
	CHECK(shim_session(&s, PONTE_DTLS_CLIENT, ours, nb, peer_fp) == 0 &&
		  ponte_dtls_start(s.d) == 0,
	      "%s: session started", what);
	run(connected_and_km, 8000);
	check_session(what, &s, &t, PONTE_DTLS_CLIENT, want);

	ponte_dtls_send_app(s.d, (const uint8_t *)"ping from ponte\n", 16);
	run(tool_printed_ping, 3000);
	CHECK(strstr(t.out->str, "ping from ponte") != NULL, "%s: s_server received our data",
	      what);
	tool_write(&t, "pong from openssl\n");
	run(shim_got_pong, 3000);
	CHECK(strstr(s.app->str, "pong from openssl") != NULL, "%s: we received s_server's data",
	      what);
	/* Our close_notify ends s_server's only connection (-naccept 1), so it exits. */
	ponte_dtls_close(s.d);
	run(tool_exited, 3000);
	CHECK(!t.is_running && strstr(t.out->str, "CONNECTION CLOSED") != NULL,
	      "%s: our close_notify closed s_server's connection", what);
out:
	tool_stop(&t);
	shim_close(&s);
}

/* ponte as the DTLS server, openssl s_client as the client. */
static void case_ponte_server(const char *client_profiles, const uint16_t *ours, size_t nb,
			      uint16_t want, const char *km_len)
{
	struct shim s;
	int port = shim_open(&s);
	g_autofree char *target = g_strdup_printf("127.0.0.1:%d", port);
	const char *argv[] = {"openssl",
			      "s_client",
			      "-dtls1_2",
			      "-connect",
			      target,
			      "-cert",
			      peer_cert,
			      "-key",
			      peer_key,
			      "-use_srtp",
			      client_profiles,
			      "-keymatexport",
			      "EXTRACTOR-dtls_srtp",
			      "-keymatexportlen",
			      km_len,
			      NULL};
	g_autofree char *what = g_strdup_printf("ponte server vs s_client (%s)", client_profiles);
	struct tool t;

	cur_shim = &s;
	CHECK(port > 0 && shim_session(&s, PONTE_DTLS_SERVER, ours, nb, peer_fp) == 0 &&
		  ponte_dtls_start(s.d) == 0,
	      "%s: session waiting on port %d", what, port);
	CHECK(tool_start(&t, argv), "%s: s_client started", what);
	cur_tool = &t;
	run(connected_and_km, 8000);
	check_session(what, &s, &t, PONTE_DTLS_SERVER, want);

	ponte_dtls_send_app(s.d, (const uint8_t *)"ping from ponte\n", 16);
	run(tool_printed_ping, 3000);
	CHECK(strstr(t.out->str, "ping from ponte") != NULL, "%s: s_client received our data",
	      what);
	tool_write(&t, "pong from openssl\n");
	run(shim_got_pong, 3000);
	CHECK(strstr(s.app->str, "pong from openssl") != NULL, "%s: we received s_client's data",
	      what);
	/* End of its input makes s_client send close_notify. */
	tool_close_stdin(&t);
	run(shim_closed, 3000);
	CHECK(s.nb_closed == 1 && s.nb_failed == 0, "%s: s_client's close_notify ran closed", what);
	tool_stop(&t);
	shim_close(&s);
}

/* s_client presents a certificate other than the one signaled: refused. */
static void case_wrong_fingerprint(void)
{
	struct shim s;
	int port = shim_open(&s);
	g_autofree char *target = g_strdup_printf("127.0.0.1:%d", port);
	g_autofree char *wrong = g_strdup(ponte_dtls_cert_fingerprint(our_cert, NULL));
	const char *argv[] = {"openssl",
			      "s_client",
			      "-dtls1_2",
			      "-connect",
			      target,
			      "-cert",
			      peer_cert,
			      "-key",
			      peer_key,
			      "-use_srtp",
			      "SRTP_AES128_CM_SHA1_80",
			      NULL};
	struct tool t;

	cur_shim = &s;
	/* Expect our own fingerprint: a certificate s_client does not have. */
	CHECK(shim_session(&s, PONTE_DTLS_SERVER, NULL, 0, wrong) == 0 &&
		  ponte_dtls_start(s.d) == 0,
	      "wrong fingerprint: session waiting");
	CHECK(tool_start(&t, argv), "wrong fingerprint: s_client started");
	cur_tool = &t;
	run(shim_failed, 8000);
	CHECK(s.nb_failed == 1 && s.fail_err == -EPERM && s.nb_connected == 0 &&
		  strstr(s.why, peer_fp) != NULL && strstr(s.why, wrong) != NULL,
	      "wrong fingerprint: failed(-EPERM) naming both, never connected (%s)", s.why);
	run(tool_exited, 3000);
	CHECK(strstr(t.out->str, "alert bad certificate") != NULL,
	      "wrong fingerprint: s_client was told bad_certificate");
	tool_stop(&t);
	shim_close(&s);
}

static void test_cert_load(void)
{
	g_autofree char *both = g_build_filename(tmpdir, "both.pem", NULL);
	g_autofree char *junk = g_build_filename(tmpdir, "junk.pem", NULL);
	g_autofree char *missing = g_build_filename(tmpdir, "missing.pem", NULL);
	g_autofree char *cert_text = NULL, *key_text = NULL, *combined = NULL;
	struct ponte_dtls_cert *c = NULL;
	char *why = NULL;
	int rc;

	rc = ponte_dtls_cert_load(peer_cert, peer_key, &c, &why);
	CHECK(rc == 0, "load an openssl-made certificate and key (%s)", why ? why : "ok");
	CHECK_STR(c != NULL ? ponte_dtls_cert_fingerprint(c, NULL) : NULL, peer_fp,
		  "its fingerprint is what openssl x509 -fingerprint -sha256 prints");
	ponte_dtls_cert_unref(c);
	c = NULL;
	g_clear_pointer(&why, g_free);

	g_file_get_contents(peer_cert, &cert_text, NULL, NULL);
	g_file_get_contents(peer_key, &key_text, NULL, NULL);
	combined = g_strconcat(cert_text, key_text, NULL);
	g_file_set_contents(both, combined, -1, NULL);
	rc = ponte_dtls_cert_load(both, NULL, &c, NULL);
	CHECK(rc == 0 && c != NULL && strcmp(ponte_dtls_cert_fingerprint(c, NULL), peer_fp) == 0,
	      "certificate and key in one file");
	ponte_dtls_cert_unref(c);
	c = NULL;

	rc = ponte_dtls_cert_load(missing, peer_key, &c, &why);
	CHECK(rc == -ENOENT && c == NULL && why != NULL && strstr(why, "missing.pem") != NULL,
	      "missing file: -ENOENT naming it (%s)", why);
	g_clear_pointer(&why, g_free);
	rc = ponte_dtls_cert_load(peer_cert, other_key, &c, &why);
	CHECK(rc == -EINVAL && c == NULL && why != NULL && strstr(why, "does not match") != NULL,
	      "someone else's key: -EINVAL (%s)", why);
	g_clear_pointer(&why, g_free);
	g_file_set_contents(junk, "not a certificate\n", -1, NULL);
	rc = ponte_dtls_cert_load(junk, peer_key, &c, &why);
	CHECK(rc == -EINVAL && c == NULL, "not PEM: -EINVAL (%s)", why);
	g_clear_pointer(&why, g_free);
	rc = ponte_dtls_cert_load(peer_cert, junk, &c, &why);
	CHECK(rc == -EINVAL && c == NULL, "key file not PEM: -EINVAL (%s)", why);
	g_clear_pointer(&why, g_free);
}

int main(void)
{
	static const uint16_t gcm_cm[] = {PONTE_SRTP_AEAD_AES_128_GCM,
					  PONTE_SRTP_AES128_CM_SHA1_80};
	static const uint16_t cm_gcm[] = {PONTE_SRTP_AES128_CM_SHA1_80,
					  PONTE_SRTP_AEAD_AES_128_GCM};
	g_autofree char *openssl = g_find_program_in_path("openssl");
	GError *err = NULL;

	if (openssl == NULL) {
		printf("# skipped: no openssl command\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	ponte_log_set_level(PONTE_LOG_WARN);
	test_loop = g_main_loop_new(NULL, FALSE);
	tmpdir = g_dir_make_tmp("ponte-dtls-XXXXXX", &err);
	g_assert_no_error(err);
	peer_cert = g_build_filename(tmpdir, "cert.pem", NULL);
	peer_key = g_build_filename(tmpdir, "key.pem", NULL);
	other_key = g_build_filename(tmpdir, "other.pem", NULL);
	{
		const char *req[] = {"openssl",
				     "req",
				     "-x509",
				     "-newkey",
				     "ec",
				     "-pkeyopt",
				     "ec_paramgen_curve:P-256",
				     "-nodes",
				     "-keyout",
				     peer_key,
				     "-out",
				     peer_cert,
				     "-days",
				     "2",
				     "-subj",
				     "/CN=interop",
				     NULL};
		const char *gen[] = {"openssl", "genpkey",  "-algorithm",
				     "EC",	"-pkeyopt", "ec_paramgen_curve:P-256",
				     "-out",	other_key,  NULL};
		g_autofree char *o1 = run_cmd(req);
		g_autofree char *o2 = run_cmd(gen);

		CHECK(o1 != NULL && o2 != NULL, "openssl made a peer certificate and another key");
	}
	peer_fp = openssl_fingerprint(peer_cert);
	CHECK(peer_fp != NULL && strlen(peer_fp) == 95, "openssl x509 gave its fingerprint");
	CHECK(ponte_dtls_cert_generate(&our_cert) == 0, "our certificate generated");
	if (peer_fp == NULL || our_cert == NULL)
		return tap_done();

	test_cert_load();
	/* The server's preference wins (RFC 5764 §4.1.1). */
	case_ponte_client("SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", cm_gcm, 2,
			  PONTE_SRTP_AEAD_AES_128_GCM, "56");
	case_ponte_client("SRTP_AES128_CM_SHA1_80", gcm_cm, 2, PONTE_SRTP_AES128_CM_SHA1_80, "60");
	case_ponte_server("SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", gcm_cm, 2,
			  PONTE_SRTP_AEAD_AES_128_GCM, "56");
	case_ponte_server("SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", cm_gcm, 2,
			  PONTE_SRTP_AES128_CM_SHA1_80, "60");
	case_wrong_fingerprint();

	ponte_dtls_cert_unref(our_cert);
	{
		const char *files[] = {"cert.pem", "key.pem",  "other.pem",
				       "both.pem", "junk.pem", "seen.pem"};

		for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
			g_autofree char *f = g_build_filename(tmpdir, files[i], NULL);

			g_unlink(f);
		}
		g_rmdir(tmpdir);
	}
	g_free(tmpdir);
	g_free(peer_cert);
	g_free(peer_key);
	g_free(other_key);
	g_free(peer_fp);
	g_main_loop_unref(test_loop);
	return tap_done();
}
