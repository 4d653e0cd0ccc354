/* SPDX-License-Identifier: MIT */
/*
 * One SRTP key, one packet index, wherever the packets go (RFC 3711 §9.1: an index must never
 * repeat under a key, or the keystream does). The phone's media address changes mid-call (a
 * re-INVITE moving it, re-latching): the control plane modifies the flow with the phone's new
 * address and the same key of ours (docs/sip.md: our key stays for the whole call). Through the
 * socket dataplane, with real UDP sockets on 127.0.0.1:
 *  - the stream crosses a sequence number wrap first, so the rollover counter (ROC) is 1, and
 *    an SSRC switch gives the output a sequence delta;
 *  - after the move, the phone's one receiving context (it keeps it: the same key) accepts
 *    every packet at the new address: their index goes on (ROC 1: a context started afresh
 *    would protect them with ROC 0, and the tag would not verify), their sequence numbers go
 *    on by one, nothing is dropped at the sender (a sequence going back would make libsrtp
 *    refuse to protect), and the SRTCP index goes on by one (never back to its start: those
 *    indexes, under this key, were used already);
 *  - the old address gets nothing more; with the RTP and RTCP addresses swapped, each output
 *    keeps its own context (the one of its port), not the other's; RTP from another port of
 *    ours keeps its context too;
 *  - a modify with a new key is a new receiver: a fresh context, the SRTCP index from its
 *    start.
 * Before the fix, dataplane/pipeline.c made a new context for an output whose destination
 * changed, and the stream's continuity restarted with it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ponte/dataplane.h>

#include "srtp.h"
#include "tap.h"

#define RECV_MS 2000 /* how long a packet that must come may take */
#define QUIET_MS 200 /* how long to listen for a packet that must not come */
#define PAYLOAD 160
#define ANY 0x0c0ffee0u
#define TAG_LEN 10 /* AES_CM_128_HMAC_SHA1_80 */

static struct ponte_dp *dp;
static const struct dp_srtp_engine *eng;

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t make_rtp(uint8_t *pkt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	pkt[0] = 0x80;
	pkt[1] = 0;
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	wr32(pkt + 4, ts);
	wr32(pkt + 8, ssrc);
	for (size_t i = 0; i < PAYLOAD; i++)
		pkt[12 + i] = (uint8_t)(i * 5 + seq);
	return 12 + PAYLOAD;
}

/* RFC 3550 §6.4.1: an SR without report blocks. */
static size_t make_sr(uint8_t *p, uint32_t ssrc, uint32_t ts)
{
	p[0] = 0x80;
	p[1] = 200;
	p[2] = 0;
	p[3] = 6;
	wr32(p + 4, ssrc);
	wr32(p + 8, 0xe1f2a3b4);
	wr32(p + 12, ts);
	wr32(p + 16, ts);
	wr32(p + 20, 1);
	wr32(p + 24, PAYLOAD);
	return 28;
}

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

/* One datagram within RECV_MS, as it came: its length, or -1. */
static int recv_raw(const struct peer *p, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

	if (poll(&pfd, 1, RECV_MS) != 1)
		return -1;
	return (int)recv(p->fd, buf, cap, 0);
}

static bool peer_quiet(const struct peer *p)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

	return poll(&pfd, 1, QUIET_MS) == 0;
}

static void key_fill(struct ponte_srtp_key *k, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->profile = PONTE_SRTP_AES128_CM_SHA1_80;
	ponte_srtp_profile_sizes(k->profile, &k->key_len, &k->salt_len, &(uint8_t){0});
	for (int i = 0; i < k->key_len; i++)
		k->key[i] = (uint8_t)(seed * 11 + i);
	for (int i = 0; i < k->salt_len; i++)
		k->salt[i] = (uint8_t)(seed * 5 + i);
}

/* A dataplane port on 127.0.0.1; *local gets its address. */
static uint32_t open_port(struct ponte_addr *local)
{
	uint32_t id = 0;

	ponte_addr_parse(local, "127.0.0.1", 0);
	CHECK(ponte_dp_port_open(dp, local, 0, 0, &id) == 0 && local->port != 0,
	      "open a dataplane port on 127.0.0.1:%u", local->port);
	return id;
}

/*
 * Flow 1, the browser's media toward the phone (plain here: only the phone's leg matters):
 * RTP out of port rtp_port to rtp_dst, RTCP forwarded out of rtcp_port to rtcp_dst, both
 * protected with k, as one stream (ssrc_any), like the bridge's flow toward a phone.
 */
static void spec_to_phone(struct ponte_flow_spec *spec, uint32_t in_port, uint32_t rtp_port,
			  uint32_t rtcp_port, const struct ponte_addr *rtp_dst,
			  const struct ponte_addr *rtcp_dst, const struct ponte_srtp_key *k)
{
	struct ponte_flow_output *o;

	ponte_flow_spec_init(spec, 1, in_port);
	spec->rtcp = PONTE_RTCP_FORWARD;
	spec->clock_khz[0] = 8;
	o = ponte_flow_add_output(spec, rtp_port, rtp_dst);
	o->kinds = PONTE_OUT_RTP;
	o->srtp = *k;
	o->ssrc_any = ANY;
	o = ponte_flow_add_output(spec, rtcp_port, rtcp_dst);
	o->kinds = PONTE_OUT_RTCP;
	o->srtp = *k;
	o->ssrc_any = ANY;
}

/* What a phone got for one RTP packet sent: seq as received, whether ctx authenticated and
 * decrypted it to what was sent. */
struct got {
	int len;
	uint16_t seq;
	bool is_ok;
};

static struct got hop_rtp(const struct peer *browser, const struct ponte_addr *in,
			  const struct peer *phone, struct dp_srtp *ctx, uint16_t seq,
			  uint32_t ssrc)
{
	uint8_t pkt[256], buf[2048];
	size_t len = make_rtp(pkt, seq, 1000u + 160u * seq, ssrc), plain;
	struct got g = {.len = -1};

	peer_send(browser, in, pkt, len);
	g.len = recv_raw(phone, buf, sizeof(buf));
	if (g.len < 12)
		return g;
	g.seq = (uint16_t)(buf[2] << 8 | buf[3]);
	plain = (size_t)g.len;
	g.is_ok = eng->rtp(ctx, buf, &plain, sizeof(buf)) == 0 && plain == len &&
		  memcmp(buf + 12, pkt + 12, PAYLOAD) == 0 && rd32(buf + 8) == ANY;
	return g;
}

/* An SR through the flow: the SRTCP index the phone got (-1: nothing, or it did not verify). */
static long hop_rtcp(const struct peer *browser, const struct ponte_addr *in,
		     const struct peer *phone, struct dp_srtp *ctx, uint32_t ssrc)
{
	uint8_t pkt[64], buf[2048];
	size_t len = make_sr(pkt, ssrc, 4242), plain;
	int n;
	long index;

	peer_send(browser, in, pkt, len);
	n = recv_raw(phone, buf, sizeof(buf));
	if (n < 28 + 4 + TAG_LEN)
		return -1;
	/* RFC 3711 §3.4: E flag and 31-bit index, then the tag. */
	index = (long)(rd32(buf + n - TAG_LEN - 4) & 0x7fffffff);
	plain = (size_t)n;
	if (eng->rtcp(ctx, buf, &plain, sizeof(buf)) != 0 || plain != len)
		return -1;
	return index;
}

static struct ponte_flow_stats stats(uint64_t id)
{
	struct ponte_flow_stats st;

	ponte_dp_sync(dp);
	memset(&st, 0, sizeof(st));
	ponte_dp_flow_stats(dp, id, &st);
	return st;
}

static void test_move(void)
{
	struct peer browser, phone1, phone1_rtcp, phone2, phone2_rtcp, phone3;
	struct ponte_srtp_key k, k2;
	struct dp_srtp *rx, *rx_new;
	struct ponte_flow_spec spec;
	struct ponte_addr in, out_rtp, out_rtp2, out_rtcp;
	struct got g;
	unsigned nb_ok;
	uint16_t last_seq = 0;
	long idx, first_idx = -1, last_idx = -1;
	uint32_t pin = open_port(&in), prtp = open_port(&out_rtp), prtcp = open_port(&out_rtcp);
	uint32_t prtp2 = open_port(&out_rtp2);

	peer_open(&browser);
	peer_open(&phone1);
	peer_open(&phone1_rtcp);
	peer_open(&phone2);
	peer_open(&phone2_rtcp);
	peer_open(&phone3);
	key_fill(&k, 3);
	key_fill(&k2, 4);
	/* The phone's receiving context for our key: one, kept across the move (RTP and RTCP). */
	eng->create(&k, DP_SRTP_UNPROTECT, &rx);
	eng->create(&k2, DP_SRTP_UNPROTECT, &rx_new);

	spec_to_phone(&spec, pin, prtp, prtcp, &phone1.addr, &phone1_rtcp.addr, &k);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "add the flow toward the phone at its first "
						 "address, SRTP with our key");
	ponte_dp_sync(dp);

	/* Stream A across the wrap: from 100 (below 2^15, so it goes out as it is: rtp.h), up in
	 * steps the phone's index estimate follows (under 2^15), then 65530..65535, 0..3 (ROC 1
	 * from seq 0 on). */
	static const uint16_t a_seqs[] = {100,	 16000, 32000, 48000, 65530, 65531, 65532,
					  65533, 65534, 65535, 0,     1,     2,	    3};
	nb_ok = 0;
	for (unsigned i = 0; i < sizeof(a_seqs) / sizeof(a_seqs[0]); i++) {
		g = hop_rtp(&browser, &in, &phone1, rx, a_seqs[i], 0xa);
		nb_ok += g.is_ok && g.seq == a_seqs[i];
		last_seq = g.seq;
	}
	CHECK(nb_ok == sizeof(a_seqs) / sizeof(a_seqs[0]),
	      "stream A crosses the sequence wrap, every packet verified by the "
	      "phone (%u of %zu)",
	      nb_ok, sizeof(a_seqs) / sizeof(a_seqs[0]));
	/* Stream B from elsewhere: joined to A (a sequence delta on the output). */
	nb_ok = 0;
	for (unsigned i = 0; i < 5; i++) {
		g = hop_rtp(&browser, &in, &phone1, rx, (uint16_t)(20000 + i), 0xb);
		nb_ok += g.is_ok && g.seq == (uint16_t)(last_seq + 1);
		last_seq = g.seq;
	}
	CHECK(nb_ok == 5, "stream B continues A's numbers (to %u), verified (%u of 5)", last_seq,
	      nb_ok);
	for (unsigned i = 0; i < 3; i++) {
		idx = hop_rtcp(&browser, &in, &phone1_rtcp, rx, 0xb);
		CHECK(idx >= 0 && (i == 0 || idx == last_idx + 1),
		      "SRTCP %u to the first address: index %ld, verified", i, idx);
		if (i == 0)
			first_idx = idx;
		last_idx = idx;
	}

	/* The phone moves its media (RTP and RTCP): the same key of ours. */
	spec_to_phone(&spec, pin, prtp, prtcp, &phone2.addr, &phone2_rtcp.addr, &k);
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "modify: the phone's new address, same key");
	ponte_dp_sync(dp);
	nb_ok = 0;
	for (unsigned i = 0; i < 5; i++) {
		uint16_t want = (uint16_t)(last_seq + 1);

		g = hop_rtp(&browser, &in, &phone2, rx, (uint16_t)(20005 + i), 0xb);
		if (!g.is_ok || g.seq != want)
			printf("#   packet %u: len %d seq %u (want %u) verified %d\n", i, g.len,
			       g.seq, want, g.is_ok);
		nb_ok += g.is_ok && g.seq == want;
		last_seq = g.seq;
	}
	CHECK(nb_ok == 5,
	      "at the new address, every packet verifies in the phone's context "
	      "(the index goes on, ROC 1) and the sequence goes on by one (%u of 5)",
	      nb_ok);
	for (unsigned i = 0; i < 3; i++) {
		idx = hop_rtcp(&browser, &in, &phone2_rtcp, rx, 0xb);
		CHECK(idx == last_idx + 1,
		      "SRTCP %u to the new address: index %ld goes on from %ld, "
		      "verified",
		      i, idx, last_idx);
		last_idx = idx;
	}
	CHECK(peer_quiet(&phone1) && peer_quiet(&phone1_rtcp), "the old address gets nothing");
	CHECK(stats(1).drops[PONTE_DROP_TX] == 0, "no packet was refused by the SRTP engine");

	/* The phone swaps its ports: RTP now goes where RTCP went. The RTP output keeps the RTP
	 * context (its port's), not the RTCP output's, whose RTP index never moved. */
	spec_to_phone(&spec, pin, prtp, prtcp, &phone2_rtcp.addr, &phone2.addr, &k);
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "modify: RTP and RTCP addresses swapped");
	ponte_dp_sync(dp);
	g = hop_rtp(&browser, &in, &phone2_rtcp, rx, 20010, 0xb);
	CHECK(g.is_ok && g.seq == (uint16_t)(last_seq + 1),
	      "RTP at RTCP's old address: verified, seq %u after %u", g.seq, last_seq);
	last_seq = g.seq;
	idx = hop_rtcp(&browser, &in, &phone2, rx, 0xb);
	CHECK(idx == last_idx + 1, "RTCP at RTP's old address: index %ld after %ld, verified", idx,
	      last_idx);

	/* RTP now leaves from another port of ours (an ICE restart, say): the same key, the
	 * same context still. */
	spec_to_phone(&spec, pin, prtp2, prtcp, &phone2_rtcp.addr, &phone2.addr, &k);
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "modify: RTP from another port of ours");
	ponte_dp_sync(dp);
	g = hop_rtp(&browser, &in, &phone2_rtcp, rx, 20011, 0xb);
	CHECK(g.is_ok && g.seq == (uint16_t)(last_seq + 1),
	      "RTP from the new port: verified, seq %u after %u", g.seq, last_seq);
	last_seq = g.seq;

	/* A new key: a new receiver, whose context starts afresh. */
	spec_to_phone(&spec, pin, prtp, prtcp, &phone3.addr, &phone2_rtcp.addr, &k2);
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "modify: another address with a new key");
	ponte_dp_sync(dp);
	g = hop_rtp(&browser, &in, &phone3, rx_new, 20012, 0xb);
	CHECK(g.is_ok, "a fresh context of the new key verifies the stream (seq %u)", g.seq);
	idx = hop_rtcp(&browser, &in, &phone2_rtcp, rx_new, 0xb);
	CHECK(idx == first_idx, "and its SRTCP index starts afresh (a new key): %ld", idx);

	ponte_dp_flow_delete(dp, 1);
	ponte_dp_port_close(dp, pin);
	ponte_dp_port_close(dp, prtp);
	ponte_dp_port_close(dp, prtcp);
	ponte_dp_port_close(dp, prtp2);
	eng->destroy(rx);
	eng->destroy(rx_new);
	close(browser.fd);
	close(phone1.fd);
	close(phone1_rtcp.fd);
	close(phone2.fd);
	close(phone2_rtcp.fd);
	close(phone3.fd);
}

int main(void)
{
	struct ponte_dp_config cfg = {.max_flows = 16, .max_ports = 8};

	CHECK(ponte_dp_create(&cfg, &dp) == 0, "create the socket dataplane");
	eng = dp_srtp_engine_default();
	test_move();
	ponte_dp_destroy(dp);
	return tap_done();
}
