/* SPDX-License-Identifier: MIT */
/*
 * Mirrored payload types in the socket dataplane (flow.h: spec.mirror_pt, is_mirror_only),
 * with real UDP sockets on 127.0.0.1: a browser's SRTP reaches a phone as RTP; packets of the
 * mirrored type are handed to the control plane decrypted (the punt queue, on the flow's
 * port) and, by default, also forwarded; with is_mirror_only they are handed over only, still
 * counted as received and not as drops, while the other types go on being forwarded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ponte/dataplane.h>

#include "srtp.h"
#include "tap.h"

#define PT_AUDIO 111
#define PT_EVENT 126 /* the browser's telephone-event */

static struct ponte_dp *dp;

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

/* One datagram within 500 ms: its length, or -1. */
static int peer_recv(const struct peer *p, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

	if (poll(&pfd, 1, 500) != 1)
		return -1;
	return (int)recv(p->fd, buf, cap, 0);
}

static size_t make_rtp(uint8_t *pkt, uint8_t pt, uint16_t seq, uint32_t ts, size_t payload)
{
	memset(pkt, 0, 12);
	pkt[0] = 0x80;
	pkt[1] = pt;
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(0x5eed0001u >> (24 - 8 * i));
	}
	for (size_t i = 0; i < payload; i++)
		pkt[12 + i] = (uint8_t)(i * 3 + seq);
	return 12 + payload;
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

/* The next punted packet within 500 ms: 1, or 0 when none came. */
static int punt_wait(struct ponte_dp_punt *pu)
{
	struct pollfd pfd = {.fd = ponte_dp_punt_fd(dp), .events = POLLIN};

	ponte_dp_sync(dp);
	if (ponte_dp_punt_read(dp, pu) == 1)
		return 1;
	if (poll(&pfd, 1, 500) != 1)
		return 0;
	return ponte_dp_punt_read(dp, pu);
}

/* The browser sends one SRTP packet of type pt, seq; plain copy in plain/plain_len. */
static void browser_sends(const struct dp_srtp_engine *eng, struct dp_srtp *tx,
			  const struct peer *browser, const struct ponte_addr *to, uint8_t pt,
			  uint16_t seq, uint8_t *plain, size_t *plain_len)
{
	uint8_t pkt[2048];
	size_t len = make_rtp(pkt, pt, seq, 1000u + 160u * seq, pt == PT_EVENT ? 4 : 80);

	memcpy(plain, pkt, len);
	*plain_len = len;
	eng->rtp(tx, pkt, &len, sizeof(pkt));
	peer_send(browser, to, pkt, len);
}

int main(void)
{
	struct ponte_dp_config cfg = {.max_flows = 16, .max_ports = 8};
	const struct dp_srtp_engine *eng = dp_srtp_engine_default();
	struct peer browser, phone;
	struct ponte_addr b_local, p_local;
	struct ponte_srtp_key key;
	struct dp_srtp *browser_tx = NULL;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct ponte_flow_stats st;
	struct ponte_dp_punt pu;
	uint8_t plain[2048], got[2048];
	size_t plain_len = 0;
	uint32_t pb = 0, pp = 0;
	int n;

	CHECK(ponte_dp_create(&cfg, &dp) == 0, "create the socket dataplane");
	peer_open(&browser);
	peer_open(&phone);
	ponte_addr_parse(&b_local, "127.0.0.1", 0);
	ponte_addr_parse(&p_local, "127.0.0.1", 0);
	CHECK(ponte_dp_port_open(dp, &b_local, 0, 0, &pb) == 0 &&
		  ponte_dp_port_open(dp, &p_local, 0, 0, &pp) == 0,
	      "open the browser's and the phone's ports");
	key_fill(&key, PONTE_SRTP_AES128_CM_SHA1_80, 7);
	eng->create(&key, DP_SRTP_PROTECT, &browser_tx);

	/* Browser --SRTP--> port B ==> port P --RTP--> phone, both types kept. */
	ponte_flow_spec_init(&spec, 1, pb);
	spec.src = browser.addr;
	spec.srtp = key;
	spec.mirror_pt = PT_EVENT;
	o = ponte_flow_add_output(&spec, pp, &phone.addr);
	o->kinds = PONTE_OUT_RTP;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "add browser->phone flow mirroring PT %d",
	      PT_EVENT);
	ponte_dp_sync(dp);

	browser_sends(eng, browser_tx, &browser, &b_local, PT_AUDIO, 1, plain, &plain_len);
	n = peer_recv(&phone, got, sizeof(got));
	CHECK(n == (int)plain_len && memcmp(got, plain, plain_len) == 0,
	      "audio reaches the phone decrypted (%d bytes)", n);
	CHECK(punt_wait(&pu) == 0, "audio is not mirrored");

	browser_sends(eng, browser_tx, &browser, &b_local, PT_EVENT, 2, plain, &plain_len);
	n = peer_recv(&phone, got, sizeof(got));
	CHECK(n == (int)plain_len, "mirror_pt alone: the event is forwarded too (%d bytes)", n);
	CHECK(punt_wait(&pu) == 1 && pu.port_id == pb && pu.len == plain_len &&
		  memcmp(pu.data, plain, plain_len) == 0 &&
		  ponte_addr_equal(&pu.src, &browser.addr),
	      "and handed to the control plane decrypted, on the flow's port, with its source");

	/* The same flow, modified: the events are the control plane's only. */
	spec.is_mirror_only = true;
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "modify: is_mirror_only");
	ponte_dp_sync(dp);
	browser_sends(eng, browser_tx, &browser, &b_local, PT_EVENT, 3, plain, &plain_len);
	CHECK(punt_wait(&pu) == 1 && pu.len == plain_len && memcmp(pu.data, plain, plain_len) == 0,
	      "is_mirror_only: the event is handed to the control plane decrypted");
	n = peer_recv(&phone, got, sizeof(got));
	CHECK(n < 0, "and the phone gets nothing (%d)", n);
	browser_sends(eng, browser_tx, &browser, &b_local, PT_AUDIO, 4, plain, &plain_len);
	n = peer_recv(&phone, got, sizeof(got));
	CHECK(n == (int)plain_len && memcmp(got, plain, plain_len) == 0,
	      "audio still reaches the phone");
	CHECK(punt_wait(&pu) == 0, "and is not mirrored");
	st = stats(1);
	CHECK(st.rtp_in == 4 && st.pkts_out == 3 && st.drops[PONTE_DROP_PT] == 0 &&
		  st.drops[PONTE_DROP_TX] == 0,
	      "counters: 4 received, 3 sent, the consumed event no drop (in %llu out %llu pt "
	      "drops %llu)",
	      (unsigned long long)st.rtp_in, (unsigned long long)st.pkts_out,
	      (unsigned long long)st.drops[PONTE_DROP_PT]);

	/* A forged event (bad tag) is neither handed over nor sent: the check comes first. */
	{
		uint8_t pkt[2048];
		size_t len = make_rtp(pkt, PT_EVENT, 5, 2000, 4);

		memset(pkt + len, 0xee, 10);
		peer_send(&browser, &b_local, pkt, len + 10);
		CHECK(punt_wait(&pu) == 0, "a forged event is not handed to the control plane");
		CHECK(stats(1).drops[PONTE_DROP_AUTH] == 1, "it is counted as an auth drop");
	}

	eng->destroy(browser_tx);
	ponte_dp_destroy(dp);
	close(browser.fd);
	close(phone.fd);
	return tap_done();
}
