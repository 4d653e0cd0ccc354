/* SPDX-License-Identifier: MIT */
/*
 * Two real libnice agents through ponte_ice on 127.0.0.1, one controlling and one controlled,
 * trickling candidates to each other: they connect, DTLS-range datagrams reach the main loop,
 * and RTP received on the media I/O thread goes through the dataplane to a UDP socket.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "ice.h"
#include "log.h"
#include "mediaio.h"
#include "tap.h"

struct side {
	const char *name;
	struct ponte_ice *ice;
	struct side *peer;
	int nb_candidates;
	bool is_gathered;
	bool is_connected;
	bool is_failed;
	GByteArray *dtls_in;
};

static GMainLoop *loop;

static void on_candidate(void *ctx, const char *candidate)
{
	struct side *s = ctx;

	if (candidate == NULL) {
		s->is_gathered = true;
		ponte_ice_remote_gathering_done(s->peer->ice);
		return;
	}
	s->nb_candidates++;
	ponte_ice_add_remote_candidate(s->peer->ice, candidate);
}

static void on_state(void *ctx, enum ponte_ice_state st)
{
	struct side *s = ctx;

	if (st == PONTE_ICE_CONNECTED)
		s->is_connected = true;
	else
		s->is_failed = true;
}

static void on_dtls(void *ctx, const uint8_t *pkt, size_t len)
{
	struct side *s = ctx;

	g_byte_array_append(s->dtls_in, pkt, (guint)len);
}

static const struct ponte_ice_ops ops = {on_candidate, on_state, on_dtls};

/* An agent whose candidates are only collected. */
struct capture {
	GPtrArray *lines;
	bool is_done;
};

static void cap_candidate(void *ctx, const char *candidate)
{
	struct capture *c = ctx;

	if (candidate == NULL)
		c->is_done = true;
	else
		g_ptr_array_add(c->lines, g_strdup(candidate));
}

static void cap_state(void *ctx, enum ponte_ice_state st)
{
}

static const struct ponte_ice_ops capture_ops = {cap_candidate, cap_state, NULL};

static void run_until_gathered(struct capture *c, int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (!c->is_done && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE);
}

static gboolean timeout(gpointer data)
{
	*(bool *)data = true;
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

/* Run the loop until cond() holds or ms pass. */
static bool run_until(bool (*cond)(struct side *, struct side *), struct side *a, struct side *b,
		      int ms)
{
	bool expired = false;
	guint t = g_timeout_add(ms, timeout, &expired);

	while (!expired && !cond(a, b))
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(t);
	return cond(a, b);
}

static bool both_connected(struct side *a, struct side *b)
{
	return a->is_connected && b->is_connected;
}

static bool got_dtls(struct side *a, struct side *b)
{
	return b->dtls_in->len > 0;
}

int main(void)
{
	const char *addrs[] = {"127.0.0.1", NULL};
	struct ponte_ice_params pa = {.is_controlling = true, .addresses = addrs, .log_name = "a"};
	struct ponte_ice_params pb = {.is_controlling = false, .addresses = addrs, .log_name = "b",
				      .port_min = 42000, .port_max = 42100};
	struct side a = {.name = "a"}, b = {.name = "b"};
	struct ponte_dp_config dcfg = {.max_flows = 8, .max_ports = 8};
	struct ponte_dp *dp;

	ponte_log_set_level(PONTE_LOG_WARN);
	loop = g_main_loop_new(NULL, FALSE);
	CHECK(ponte_mediaio_start() == 0, "media I/O thread started");
	a.peer = &b;
	b.peer = &a;
	a.dtls_in = g_byte_array_new();
	b.dtls_in = g_byte_array_new();
	CHECK(ponte_ice_create(&pa, &ops, &a, &a.ice) == 0, "create controlling agent");
	CHECK(ponte_ice_create(&pb, &ops, &b, &b.ice) == 0, "create controlled agent");
	CHECK(strlen(ponte_ice_ufrag(a.ice)) >= 4 && strlen(ponte_ice_pwd(a.ice)) >= 22,
	      "credentials: ufrag >= 4 chars, pwd >= 22 (RFC 8839 §5.4)");
	ponte_ice_set_remote_credentials(a.ice, ponte_ice_ufrag(b.ice), ponte_ice_pwd(b.ice));
	ponte_ice_set_remote_credentials(b.ice, ponte_ice_ufrag(a.ice), ponte_ice_pwd(a.ice));
	CHECK(ponte_ice_add_remote_candidate(a.ice, "candidate:1 1 udp 2122262783 "
						    "5b3a-x.local 5000 typ host") == -ENOTSUP,
	      "an mDNS candidate is refused with -ENOTSUP (prflx will find it)");
	CHECK(ponte_ice_add_remote_candidate(a.ice, "candidate:garbage") == -EINVAL,
	      "an unparsable candidate: -EINVAL");
	ponte_ice_gather(a.ice);
	ponte_ice_gather(b.ice);
	CHECK(run_until(both_connected, &a, &b, 10000), "both sides connect by trickle");
	CHECK(a.nb_candidates >= 1 && b.is_gathered, "candidates trickled, end of candidates seen");

	int fd = -1;
	struct ponte_addr remote, local;
	char rs[64], ls[64];

	CHECK(ponte_ice_selected(b.ice, &fd, &remote, &local) == 0 && fd >= 0,
	      "selected pair of b: %s <- %s", ponte_addr_str(&local, ls, sizeof(ls)),
	      ponte_addr_str(&remote, rs, sizeof(rs)));
	CHECK(local.port >= 42000 && local.port <= 42100, "b's port is in its configured range");

	uint8_t hello[13] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

	CHECK(ponte_ice_send(a.ice, hello, sizeof(hello)) == 0, "send a DTLS-range datagram");
	CHECK(run_until(got_dtls, &a, &b, 3000) && b.dtls_in->len == sizeof(hello),
	      "it reaches b's dtls callback on the main loop");

	/* Media: b's I/O thread -> dataplane -> a plain UDP socket. */
	int sink = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof(sa);
	struct ponte_addr sink_addr;
	struct ponte_flow_spec spec;
	uint32_t port;

	bind(sink, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(sink, (struct sockaddr *)&sa, &slen);
	ponte_addr_parse(&sink_addr, "127.0.0.1", ntohs(sa.sin_port));
	CHECK(ponte_dp_create(&dcfg, &dp) == 0, "dataplane");
	CHECK(ponte_dp_port_attach(dp, fd, &port) == 0, "attach b's selected socket");
	close(fd);
	ponte_flow_spec_init(&spec, 1, port);
	ponte_flow_add_output(&spec, port, &sink_addr);
	ponte_dp_flow_add(dp, &spec);
	ponte_dp_sync(dp);
	ponte_ice_set_media_sink(b.ice, dp, port);

	uint8_t rtp[40] = {0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7};
	struct pollfd pfd = {.fd = sink, .events = POLLIN};
	uint8_t got[100];
	int n = -1;

	for (int i = 0; i < 20 && n < 0; i++) {
		ponte_ice_send(a.ice, rtp, sizeof(rtp));
		g_main_context_iteration(NULL, FALSE);
		if (poll(&pfd, 1, 100) == 1)
			n = (int)recv(sink, got, sizeof(got), 0);
	}
	CHECK(n == (int)sizeof(rtp) && memcmp(got, rtp, sizeof(rtp)) == 0,
	      "RTP read by the media I/O thread is forwarded by the dataplane");

	struct ponte_ice_stats st;

	/* The I/O thread counts a packet after handing it on: it may be seen forwarded first. */
	for (int i = 0; i < 100; i++) {
		ponte_ice_get_stats(b.ice, &st);
		if (st.media >= 1)
			break;
		g_usleep(10000);
	}
	CHECK(st.media >= 1 && st.dtls == 1, "b's counters: %lu media, %lu dtls",
	      (unsigned long)st.media, (unsigned long)st.dtls);

	/* 1:1 NAT: the public address is announced instead of, or beside, the local one. */
	for (int beside = 0; beside < 2; beside++) {
		struct ponte_ice_params pn = {.addresses = addrs, .public_ip = "203.0.113.7",
					      .announce_private = beside, .log_name = "nat"};
		struct capture cap = {.lines = g_ptr_array_new_with_free_func(g_free)};
		struct ponte_ice *nat;
		bool has_public = false, has_private = false;

		ponte_ice_create(&pn, &capture_ops, &cap, &nat);
		ponte_ice_gather(nat);
		run_until_gathered(&cap, 5000);
		for (guint i = 0; i < cap.lines->len; i++) {
			const char *l = g_ptr_array_index(cap.lines, i);

			has_public |= strstr(l, " 203.0.113.7 ") != NULL;
			has_private |= strstr(l, " 127.0.0.1 ") != NULL;
		}
		CHECK(has_public && has_private == beside,
		      "public_address announced %s the private one", beside ? "beside" : "instead of");
		ponte_ice_destroy(nat);
		g_ptr_array_free(cap.lines, TRUE);
	}

	ponte_ice_set_media_sink(b.ice, NULL, 0);
	ponte_ice_destroy(a.ice);
	ponte_ice_destroy(b.ice);
	/* Let the deferred releases run on both loops. */
	for (int i = 0; i < 50; i++) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(2000);
	}
	ponte_dp_destroy(dp);
	ponte_mediaio_stop();
	close(sink);
	g_byte_array_unref(a.dtls_in);
	g_byte_array_unref(b.dtls_in);
	g_main_loop_unref(loop);
	return tap_done();
}
