/* SPDX-License-Identifier: MIT */
/*
 * The socket dataplane through its public interface, with real UDP sockets on 127.0.0.1:
 * flows forward and translate RTP<->SRTP, rewrite SSRC/PT/seq/ts and RTCP SSRC fields, drop
 * and count replays, forgeries and garbage, punt STUN and unknown sources, keep SRTP state
 * across a modify, latch, inject, and take input from an attached (externally read) socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ponte/dataplane.h>

#include "srtp.h"
#include "tap.h"

static struct ponte_dp *dp;

/* A plain UDP socket on 127.0.0.1 standing for a phone or a browser. */
struct peer {
	int fd;
	struct ponte_addr addr;
};

static void peer_open(struct peer *p)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);

	p->fd = socket(AF_INET, SOCK_DGRAM, 0);
	bind(p->fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(p->fd, (struct sockaddr *)&sa, &len);
	ponte_addr_parse(&p->addr, "127.0.0.1", ntohs(sa.sin_port));
}

static void peer_send(const struct peer *p, const struct ponte_addr *to, const uint8_t *pkt,
		      size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(to->port)};

	memcpy(&sa.sin_addr, to->ip, 4);
	sendto(p->fd, pkt, len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

/* Receive one datagram within 1 s: its length, or -1. *from_port is the sender's port. */
static int peer_recv(const struct peer *p, uint8_t *buf, size_t cap, uint16_t *from_port)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	ssize_t n;

	if (poll(&pfd, 1, 1000) != 1)
		return -1;
	n = recvfrom(p->fd, buf, cap, 0, (struct sockaddr *)&sa, &len);
	if (from_port != NULL)
		*from_port = ntohs(sa.sin_port);
	return (int)n;
}

static bool peer_quiet(const struct peer *p)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

	return poll(&pfd, 1, 200) == 0;
}

static size_t make_rtp(uint8_t *pkt, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
		       size_t payload)
{
	pkt[0] = 0x80;
	pkt[1] = pt;
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	for (size_t i = 0; i < payload; i++)
		pkt[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + payload;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void key_fill(struct ponte_srtp_key *k, uint16_t profile, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->profile = profile;
	ponte_srtp_profile_sizes(profile, &k->key_len, &k->salt_len, &(uint8_t){0});
	for (int i = 0; i < k->key_len; i++)
		k->key[i] = (uint8_t)(seed + i);
	for (int i = 0; i < k->salt_len; i++)
		k->salt[i] = (uint8_t)(seed * 3 + i);
}

static struct ponte_flow_stats stats(uint64_t id)
{
	struct ponte_flow_stats st;

	ponte_dp_sync(dp);
	memset(&st, 0, sizeof(st));
	ponte_dp_flow_stats(dp, id, &st);
	return st;
}

static uint32_t open_port(struct ponte_addr *local)
{
	uint32_t id = 0;

	ponte_addr_parse(local, "127.0.0.1", 0);
	CHECK(ponte_dp_port_open(dp, local, 0, 0, &id) == 0 && local->port != 0,
	      "open a dataplane port on 127.0.0.1:%u", local->port);
	return id;
}

/* What the function port of the test was handed (written on the dataplane thread, read
 * after ponte_dp_sync). */
static struct {
	unsigned n;
	size_t len;
	uint8_t last[2048];
} relay_seen;

static int relay_tx(void *ctx, const uint8_t *pkt, size_t len)
{
	typeof(relay_seen) *seen = ctx;

	seen->n++;
	seen->len = len;
	memcpy(seen->last, pkt, len < sizeof(seen->last) ? len : sizeof(seen->last));
	return 0;
}

int main(void)
{
	struct ponte_dp_config cfg = {.max_flows = 64, .max_ports = 16};
	const struct dp_srtp_engine *eng;
	struct peer phone, browser;
	struct ponte_addr a_local, b_local;
	struct ponte_srtp_key k_to_browser, k_from_browser;
	struct dp_srtp *browser_rx, *browser_tx;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	uint8_t pkt[2048], got[2048], saved[2048];
	size_t len, saved_len;
	int n;

	CHECK(ponte_dp_create(&cfg, &dp) == 0, "create the socket dataplane");
	CHECK(strcmp(ponte_dp_backend_name(dp), "socket") == 0, "default backend is socket");
	eng = dp_srtp_engine_default();
	peer_open(&phone);
	peer_open(&browser);
	uint32_t pa = open_port(&a_local);
	uint32_t pb = open_port(&b_local);

	/* Phone --RTP--> port A  ==> port B --SRTP--> browser, SSRC and PT rewritten. */
	key_fill(&k_to_browser, PONTE_SRTP_AES128_CM_SHA1_80, 1);
	key_fill(&k_from_browser, PONTE_SRTP_AEAD_AES_128_GCM, 50);
	eng->create(&k_to_browser, DP_SRTP_UNPROTECT, &browser_rx);
	eng->create(&k_from_browser, DP_SRTP_PROTECT, &browser_tx);
	ponte_flow_spec_init(&spec, 1, pa);
	spec.src = phone.addr;
	o = ponte_flow_add_output(&spec, pb, &browser.addr);
	o->srtp = k_to_browser;
	o->pt_map[0] = 111;
	o->pt_map[13] = PONTE_PT_DROP;
	o->nb_ssrc_maps = 1;
	o->ssrc_maps[0] = (struct ponte_ssrc_map){.from = 0x1111, .to = 0xabcd, .seq_delta = 1000,
						  .ts_delta = 160};
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "add phone->browser flow");
	CHECK(ponte_dp_flow_add(dp, &spec) == -EEXIST, "same id again: -EEXIST");
	spec.id = 99;
	CHECK(ponte_dp_flow_add(dp, &spec) == -EEXIST, "same port and source again: -EEXIST");
	spec.id = 98;
	spec.port_id = 15;
	CHECK(ponte_dp_flow_add(dp, &spec) == -ENOENT, "unknown port: -ENOENT");
	ponte_dp_sync(dp);

	len = make_rtp(pkt, 0, 5, 8000, 0x1111, 160);
	peer_send(&phone, &a_local, pkt, len);
	n = peer_recv(&browser, got, sizeof(got), NULL);
	CHECK(n == (int)len + 10, "browser receives SRTP with an 80-bit tag (%d bytes)", n);
	size_t glen = (size_t)n;

	CHECK(n > 0 && eng->rtp(browser_rx, got, &glen, sizeof(got)) == 0,
	      "the browser's context authenticates and decrypts it");
	CHECK(glen == len && got[1] == 111 && rd32(got + 8) == 0xabcd &&
		      (got[2] << 8 | got[3]) == 1005 && rd32(got + 4) == 8160 &&
		      memcmp(got + 12, pkt + 12, 160) == 0,
	      "PT 0->111, SSRC 0x1111->0xabcd, seq +1000, ts +160, payload intact");

	len = make_rtp(pkt, 13, 6, 8160, 0x1111, 10);
	peer_send(&phone, &a_local, pkt, len);
	CHECK(peer_quiet(&browser), "PT mapped to DROP is not sent");
	CHECK(stats(1).drops[PONTE_DROP_PT] == 1, "... and counted");

	/* Browser --SRTP(GCM)--> port B ==> port A --RTP--> phone. */
	ponte_flow_spec_init(&spec, 2, pb);
	spec.src = browser.addr;
	spec.srtp = k_from_browser;
	o = ponte_flow_add_output(&spec, pa, &phone.addr);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "add browser->phone flow (AEAD_AES_128_GCM in)");
	ponte_dp_sync(dp);
	len = make_rtp(pkt, 111, 40000, 1, 0x2222, 100);
	memcpy(saved, pkt, len);
	saved_len = len;
	eng->rtp(browser_tx, pkt, &len, sizeof(pkt));
	memcpy(got, pkt, len);
	size_t srtp_len = len;

	peer_send(&browser, &b_local, pkt, len);
	n = peer_recv(&phone, got + 1024, 1024, NULL);
	CHECK(n == (int)saved_len && memcmp(got + 1024, saved, saved_len) == 0,
	      "phone receives the plain RTP the browser protected");
	peer_send(&browser, &b_local, got, srtp_len);
	CHECK(peer_quiet(&phone), "a replayed SRTP packet is not forwarded");
	CHECK(stats(2).drops[PONTE_DROP_REPLAY] == 1, "... and counted as a replay");
	memcpy(pkt, got, srtp_len);
	pkt[srtp_len - 1] ^= 1;
	pkt[3] ^= 0x10; /* another sequence number, so it is not a replay but a forgery */
	peer_send(&browser, &b_local, pkt, srtp_len);
	CHECK(peer_quiet(&phone), "a forged tag is not forwarded");
	CHECK(stats(2).drops[PONTE_DROP_AUTH] == 1, "... and counted as an auth failure");
	peer_send(&browser, &b_local, pkt, 11);
	peer_send(&browser, &b_local, (const uint8_t *)"\x80\x00garbage!", 10);
	CHECK(peer_quiet(&phone), "truncated packets are not forwarded");

	/* Modify keeps the receiving context: the old packet is still a replay. */
	o->kinds = PONTE_OUT_RTP;
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "modify the flow with the same keys");
	peer_send(&browser, &b_local, got, srtp_len);
	CHECK(peer_quiet(&phone) && stats(2).drops[PONTE_DROP_REPLAY] == 2,
	      "after modify, replay state survived (replay rejected, counters kept)");
	len = make_rtp(pkt, 111, 40001, 2, 0x2222, 100);
	eng->rtp(browser_tx, pkt, &len, sizeof(pkt));
	peer_send(&browser, &b_local, pkt, len);
	CHECK(peer_recv(&phone, got, sizeof(got), NULL) == 112, "and the next packet flows");

	/* STUN and unknown sources go to the control plane. */
	uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 1, 2, 3};
	struct ponte_dp_punt pu;

	ponte_dp_sync(dp);
	while (ponte_dp_punt_read(dp, &pu) == 1)
		; /* the truncated packets above were punted: not media */
	peer_send(&phone, &b_local, stun, sizeof(stun));
	len = make_rtp(pkt, 0, 1, 1, 0x3333, 20);
	peer_send(&phone, &b_local, pkt, len);
	ponte_dp_sync(dp);
	struct pollfd pfd = {.fd = ponte_dp_punt_fd(dp), .events = POLLIN};

	CHECK(poll(&pfd, 1, 1000) == 1, "punt fd becomes readable");
	CHECK(ponte_dp_punt_read(dp, &pu) == 1 && pu.len == 20 && pu.port_id == pb &&
		      ponte_addr_equal(&pu.src, &phone.addr) && memcmp(pu.data, stun, 20) == 0,
	      "STUN is punted with its port and source");
	CHECK(ponte_dp_punt_read(dp, &pu) == 1 && pu.len == len,
	      "RTP from a source with no flow is punted");
	CHECK(ponte_dp_punt_read(dp, &pu) == 0, "punt queue empty");

	/* Inject: a PLI made by the control plane, through flow 1's output, SSRC-translated. */
	uint8_t pli[12] = {0x81, 206, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0x11, 0x11};

	CHECK(ponte_dp_flow_inject(dp, 1, 0, pli, sizeof(pli)) == 0, "inject a PLI");
	n = peer_recv(&browser, got, sizeof(got), NULL);
	glen = (size_t)n;
	CHECK(n == 12 + 14 && eng->rtcp(browser_rx, got, &glen, sizeof(got)) == 0 &&
		      rd32(got + 8) == 0xabcd,
	      "the browser receives it as SRTCP, media SSRC translated (%d bytes)", n);
	CHECK(ponte_dp_flow_inject(dp, 1, 3, pli, sizeof(pli)) == -EINVAL, "inject: bad output");
	CHECK(ponte_dp_flow_inject(dp, 1, 0, pli, 7) == -EINVAL, "inject: malformed RTCP");

	/* Attached port: another component reads the socket and hands packets in. */
	struct peer ice;
	uint32_t pc;
	uint16_t from = 0;

	peer_open(&ice);
	CHECK(ponte_dp_port_attach(dp, ice.fd, &pc) == 0, "attach an externally read socket");
	ponte_flow_spec_init(&spec, 3, pc);
	spec.src = browser.addr;
	ponte_flow_add_output(&spec, pc, &phone.addr);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "flow on the attached port");
	ponte_dp_sync(dp);
	len = make_rtp(pkt, 96, 7, 7, 0x4444, 50);
	CHECK(ponte_dp_input(dp, pc, &browser.addr, pkt, len) == 0, "input a packet");
	n = peer_recv(&phone, got, sizeof(got), &from);
	CHECK(n == (int)len && from == ice.addr.port,
	      "forwarded, sent from the attached socket's own port");

	/* A port another component sends for (a TURN-relayed ICE pair): the flow's output is
	 * rewritten and handed to its function, nothing goes to a socket. */
	uint32_t pf;

	relay_seen.n = 0;
	CHECK(ponte_dp_port_attach_fn(dp, NULL, NULL, &pf) == -EINVAL, "attach_fn: fn required");
	CHECK(ponte_dp_port_attach_fn(dp, relay_tx, &relay_seen, &pf) == 0,
	      "attach a port whose sends go through a function");
	ponte_flow_spec_init(&spec, 30, pc);
	spec.src = phone.addr;
	struct ponte_flow_output *fo = ponte_flow_add_output(&spec, pf, &browser.addr);

	fo->nb_ssrc_maps = 1;
	fo->ssrc_maps[0] = (struct ponte_ssrc_map){.from = 0x4545, .to = 0x5454};
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "flow out through the function port");
	len = make_rtp(pkt, 96, 8, 8, 0x4545, 40);
	CHECK(ponte_dp_input(dp, pc, &phone.addr, pkt, len) == 0, "input a packet for it");
	ponte_dp_sync(dp);
	CHECK(relay_seen.n == 1 && relay_seen.len == len && rd32(relay_seen.last + 8) == 0x5454,
	      "the function got the rewritten packet (%u calls)", relay_seen.n);
	CHECK(ponte_dp_port_close(dp, pf) == 0 && ponte_dp_sync(dp) == 0, "close it");
	CHECK(ponte_dp_input(dp, pc, &phone.addr, pkt, len) == 0 && ponte_dp_sync(dp) == 0 &&
		      relay_seen.n == 1,
	      "after close and sync the function is not called again");
	ponte_dp_flow_delete(dp, 30);

	/* Latching: a port-wide flow keeps the first source it sees. */
	struct peer other;
	struct ponte_addr c_local;
	uint32_t pl = open_port(&c_local);

	peer_open(&other);
	ponte_flow_spec_init(&spec, 4, pl);
	spec.is_latching = true;
	ponte_flow_add_output(&spec, pl, &browser.addr);
	ponte_dp_flow_add(dp, &spec);
	ponte_dp_sync(dp);
	len = make_rtp(pkt, 0, 1, 1, 0x5555, 20);
	peer_send(&phone, &c_local, pkt, len);
	CHECK(peer_recv(&browser, got, sizeof(got), NULL) == (int)len, "latching flow: first source");
	peer_send(&other, &c_local, pkt, len);
	CHECK(peer_quiet(&browser) && stats(4).drops[PONTE_DROP_SOURCE] == 1,
	      "latching flow: a second source is dropped and counted");

	/* ssrc_any: a phone's unknown SSRC becomes the one announced to the browser. */
	struct ponte_flow_spec any;
	struct ponte_flow_output *ao;

	ponte_flow_spec_init(&any, 5, pl);
	any.is_latching = true;
	ao = ponte_flow_add_output(&any, pl, &browser.addr);
	ao->ssrc_any = 0x77777777;
	ao->nb_ssrc_maps = 1;
	ao->ssrc_maps[0] = (struct ponte_ssrc_map){.from = 0xabcd, .to = 0x1111};
	CHECK(ponte_dp_flow_modify(dp, &(struct ponte_flow_spec){.id = 0}) == -ENOENT,
	      "modify an unknown flow: -ENOENT");
	any.id = 4;
	CHECK(ponte_dp_flow_modify(dp, &any) == 0, "modify the latching flow: ssrc_any");
	ponte_dp_sync(dp);
	len = make_rtp(pkt, 0, 2, 2, 0x5555, 20);
	peer_send(&phone, &c_local, pkt, len);
	n = peer_recv(&browser, got, sizeof(got), NULL);
	CHECK(n == (int)len && rd32(got + 8) == 0x77777777, "RTP SSRC 0x5555 -> ssrc_any");
	uint8_t rr[32] = {0x81, 201, 0x00, 0x07, 0, 0, 0x55, 0x55, 0, 0, 0xab, 0xcd};

	peer_send(&phone, &c_local, rr, sizeof(rr));
	n = peer_recv(&browser, got, sizeof(got), NULL);
	CHECK(n == 32 && rd32(got + 4) == 0x77777777 && rd32(got + 8) == 0x1111,
	      "RTCP RR: sender -> ssrc_any, report block translated by its map");

	/* dst_latch_flow: replies go where the latching flow's source really is (symmetric RTP),
	 * here "other" instead of the browser address the output names. */
	struct ponte_flow_spec back;
	struct ponte_addr d_local;
	uint32_t pd = open_port(&d_local);
	struct ponte_flow_output *bo;

	ponte_flow_spec_init(&back, 6, pd);
	bo = ponte_flow_add_output(&back, pl, &browser.addr);
	bo->dst_latch_flow = 4;
	CHECK(ponte_dp_flow_add(dp, &back) == 0, "a flow whose output follows flow 4's latch");
	ponte_dp_sync(dp);
	len = make_rtp(pkt, 0, 3, 3, 0x6666, 20);
	peer_send(&browser, &d_local, pkt, len);
	n = peer_recv(&phone, got, sizeof(got), NULL);
	CHECK(n == (int)len, "it is sent to the latched source, not to its configured dst");
	CHECK(peer_quiet(&browser), "... and nothing goes to the configured dst");

	/* Delete: the flow stops and its packets become punts. */
	CHECK(ponte_dp_flow_delete(dp, 4) == 0, "delete a flow");
	CHECK(ponte_dp_flow_delete(dp, 4) == -ENOENT, "delete it again: -ENOENT");
	peer_send(&phone, &c_local, pkt, len);
	CHECK(peer_quiet(&browser), "deleted flow forwards nothing");

	/* Garbage of every length on an owned port never crashes and is never forwarded. */
	for (int i = 0; i < 2000; i++) {
		size_t l = (size_t)(rand() % 300);

		for (size_t j = 0; j < l; j++)
			pkt[j] = (uint8_t)rand();
		if (i % 2)
			pkt[0] = (uint8_t)(0x80 | (pkt[0] & 0x3f));
		peer_send(&browser, &b_local, pkt, l);
		if (i % 100 == 99)
			ponte_dp_sync(dp); /* pace: this is about handling, not socket buffers */
	}
	ponte_dp_sync(dp);
	struct ponte_flow_stats st = stats(2);
	struct ponte_dp_stats ds;

	ponte_dp_get_stats(dp, &ds);
	CHECK(st.drops[PONTE_DROP_AUTH] + st.drops[PONTE_DROP_MALFORMED] +
			      st.drops[PONTE_DROP_REPLAY] >
		      900,
	      "2000 random datagrams: dropped and counted (auth %lu, malformed %lu)",
	      (unsigned long)st.drops[PONTE_DROP_AUTH],
	      (unsigned long)st.drops[PONTE_DROP_MALFORMED]);
	CHECK(ds.rx_pkts >= 2000 && ds.nb_flows == 4 && ds.nb_ports == 5,
	      "dataplane counters: %lu packets in, %u flows, %u ports", (unsigned long)ds.rx_pkts,
	      ds.nb_flows, ds.nb_ports);
	CHECK(ponte_dp_port_close(dp, pl) == 0, "close a port");
	eng->destroy(browser_rx);
	eng->destroy(browser_tx);
	ponte_dp_destroy(dp);
	return tap_done();
}
