/* SPDX-License-Identifier: MIT */
/*
 * The UDP port range the DPDK fast path owns (dpdk.owned_ports; docs/dpdk.md, "Ports"), with
 * the real EAL (--no-huge --no-pci, its own --file-prefix) and ring ports, in a network and a
 * mount namespace of the test's own (it writes the namespace's ip_local_reserved_ports).
 *
 * Proves: ports of the owned range open with no kernel socket (1,000 of them, counted in
 * /proc/self/fd), each number once, a taken one refused with -EADDRINUSE and free again once
 * closed; a port outside the range still binds a socket; an ICE socket inside the range
 * refused; the range merged into ip_local_reserved_ports at start and what was added taken out
 * at stop, and a clear error naming dpdk.owned_ports when the file cannot be written or the
 * range is bad; UDP to an owned port that is not open (never, or closed since), the first
 * fragment of a datagram to one (IPv4 and IPv6) and an IPv4 datagram with options to one
 * dropped and counted (owned_port_drops), never on the exception port, while a later fragment,
 * UDP to a port outside the range and UDP to an open owned port with no flow go where they did
 * (the kernel, the kernel, the control plane) and a flow's media still goes through; closing
 * ports is O(1) (20,000 closed in a few milliseconds) and another port on the same address
 * takes the table's place; the configuration refuses a webrtc port range or a SIP UDP port
 * inside the owned range, naming the keys. The record of the reservation (in a state
 * directory of the test's, PONTE_OWNED_STATE_DIR): written while running, removed at stop; a
 * dead pid's records (a crash; also a pid now another process's) taken over at start, their
 * ports out at stop (or at once when outside our range); a live gateway's overlapping range
 * refused naming its record, a disjoint one left alone; no writable directory: warned, as
 * before. Sockets bound in the range before start on the wildcard (v4, v6) warned about,
 * naming the address, port and process; one on loopback or outside the range not; one bound
 * after start warned about at a port open once 10 s have passed (so this test takes 10 s).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <glib.h>

#include <ponte/dataplane.h>

#include "../../control/config.h"
#include "dpdk_frames.h"
#include "tap.h"

#define RESERVED "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define OWNED_MIN 30000
#define OWNED_MAX 39999

static char log_text[16384];

static void on_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= 1) {
		size_t n = strlen(log_text);

		snprintf(log_text + n, sizeof(log_text) - n, "%s\n", msg);
	}
	if (getenv("TEST_DPDK_VERBOSE") != NULL)
		printf("# dp: %s\n", msg);
}

static struct ponte_dp *dp;
static struct ring_port nic, exc;
static struct ponte_dp_dpdk_port nic_cfg;
static struct ponte_dp_dpdk_config dcfg;
static struct ponte_dp_config cfg;

static void cfg_reset(void)
{
	nic_cfg =
	    (struct ponte_dp_dpdk_port){.device = "net_ring_nic0", .rx_desc = 256, .tx_desc = 256};
	dcfg = (struct ponte_dp_dpdk_config){
	    .lcores = "1",
	    .memory_mb = 256,
	    .is_no_huge = true,
	    .file_prefix = "ponte-test-ports",
	    .ports = &nic_cfg,
	    .nb_ports = 1,
	    .mempool_size = 8191,
	    .exception_device = "net_ring_exc0",
	    .idle_sleep_us = 50,
	    .owned_port_min = OWNED_MIN,
	    .owned_port_max = OWNED_MAX,
	};
	cfg = (struct ponte_dp_config){.backend = "dpdk",
				       .max_flows = 64,
				       .max_ports = 65536,
				       .input_queue = 256,
				       .dpdk = &dcfg,
				       .log = on_log};
	log_text[0] = '\0';
}

static struct ponte_dp_lcore_stats lstats(void)
{
	struct ponte_dp_lcore_stats st;

	ponte_dp_sync(dp);
	memset(&st, 0, sizeof(st));
	ponte_dp_lcore_stats(dp, 0, &st);
	return st;
}

static int nb_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (dir == NULL)
		return -1;
	while (readdir(dir) != NULL)
		n++;
	closedir(dir);
	return n;
}

static char *read_reserved(char *buf, size_t len)
{
	FILE *f = fopen(RESERVED, "r");

	buf[0] = '\0';
	if (f != NULL) {
		if (fgets(buf, (int)len, f) == NULL)
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static bool write_reserved(const char *text)
{
	FILE *f = fopen(RESERVED, "w");
	bool is_ok = f != NULL && fprintf(f, "%s\n", text) > 0;

	return f != NULL && fclose(f) == 0 && is_ok;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A UDP socket bound to 127.0.0.1:port (0: the kernel's choice). */
static int bound_socket(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- the configuration ---- */

/* Parse text: NULL when it is accepted, else the errors joined. */
static char *parse_errors(const char *text)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct ponte_config *c = NULL;
	GString *all = g_string_new(NULL);

	if (ponte_config_parse("t.yaml", text, strlen(text), errors, &c) == 0) {
		ponte_config_free(c);
		g_ptr_array_free(errors, TRUE);
		g_string_free(all, TRUE);
		return NULL;
	}
	for (guint i = 0; i < errors->len; i++)
		g_string_append_printf(all, "%s\n", (char *)g_ptr_array_index(errors, i));
	g_ptr_array_free(errors, TRUE);
	return g_string_free(all, FALSE);
}

static void test_config(void)
{
	struct ponte_config *c = NULL;
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	char *e;
	int lo = 0, hi = 0;

	e = parse_errors("dataplane:\n  backend: dpdk\nwebrtc:\n  port_min: 30000\n"
			 "  port_max: 45000\n");
	CHECK(e != NULL && strstr(e, "t.yaml:5:") != NULL &&
		  strstr(e, "webrtc.port_max: webrtc.port_min..max (30000-45000) "
			    "overlaps the UDP ports the DPDK fast path owns, 40000-49999 "
			    "(dpdk.owned_ports: auto, sip.rtp_port_min..max)") != NULL,
	      "a webrtc range overlapping the SIP media range refused, the keys named");
	if (e != NULL)
		printf("#   %s", e);
	g_free(e);
	e = parse_errors("dataplane:\n  backend: dpdk\ndpdk:\n  owned_ports: 20000-20999\n");
	CHECK(e != NULL && strstr(e, "t.yaml:4:") != NULL &&
		  strstr(e, "dpdk.owned_ports: webrtc.port_min..max (20000-39999) overlaps") !=
		      NULL,
	      "an owned range over the default webrtc range refused at dpdk.owned_ports");
	g_free(e);
	e = parse_errors("dataplane:\n  backend: dpdk\ndpdk:\n  owned_ports: 5000-6000\n");
	CHECK(e != NULL && strstr(e, "dpdk.owned_ports: SIP over UDP on port 5060, inside the "
				     "UDP ports the DPDK fast path owns, 5000-6000") != NULL,
	      "an owned range over SIP's UDP port refused");
	g_free(e);
	e = parse_errors("dpdk:\n  owned_ports: 40000-30000\n");
	CHECK(e != NULL && strstr(e, "dpdk.owned_ports: expected auto, off, or a port range "
				     "MIN-MAX") != NULL,
	      "an owned range that is no range refused");
	g_free(e);
	e = parse_errors("dataplane:\n  backend: dpdk\n");
	CHECK(e == NULL, "the defaults with the DPDK backend are accepted (no overlap)");
	g_free(e);
	e = parse_errors("dataplane:\n  backend: dpdk\ndpdk:\n  owned_ports: off\nwebrtc:\n"
			 "  port_min: 40000\n  port_max: 45000\n");
	CHECK(e == NULL, "with owned_ports off the ranges may overlap");
	g_free(e);
	e = parse_errors("webrtc:\n  port_min: 40000\n  port_max: 45000\n");
	CHECK(e == NULL, "the socket backend owns no range");
	g_free(e);

	{
		const char *t = "dataplane:\n  backend: dpdk\n";

		ponte_config_parse("t.yaml", t, strlen(t), errors, &c);
	}
	CHECK(c != NULL && ponte_config_owned_ports(c, &lo, &hi) && lo == 40000 && hi == 49999,
	      "auto is sip.rtp_port_min..max (%d-%d)", lo, hi);
	ponte_config_free(c);
	c = NULL;
	{
		const char *t = "dataplane:\n  backend: dpdk\nsip:\n  enabled: false\n";

		ponte_config_parse("t.yaml", t, strlen(t), errors, &c);
	}
	CHECK(c != NULL && !ponte_config_owned_ports(c, &lo, &hi), "auto without SIP owns none");
	ponte_config_free(c);
	g_ptr_array_free(errors, TRUE);
}

/* ---- the dataplane's ---- */

static void test_start_errors(void)
{
	struct ponte_dp *x = NULL;
	char before[256], after[256], tmp[] = "/tmp/ponte-test-reserved-XXXXXX";
	int fd, rc;

	cfg_reset();
	dcfg.owned_port_min = 5000;
	dcfg.owned_port_max = 4000;
	rc = ponte_dp_create(&cfg, &x);
	CHECK(rc == -EINVAL && x == NULL &&
		  strstr(log_text, "dpdk.owned_ports: 5000-4000 is no port range") != NULL,
	      "a reversed range refused, naming dpdk.owned_ports (%d)", rc);

	/* The sysctl made read-only (a read-only bind mount over it, in our mount namespace). */
	read_reserved(before, sizeof(before));
	fd = mkstemp(tmp);
	if (fd >= 0)
		close(fd);
	if (fd < 0 || mount(tmp, RESERVED, NULL, MS_BIND, NULL) != 0 ||
	    mount(NULL, RESERVED, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0) {
		CHECK(false, "make %s read-only for the test: %s", RESERVED, strerror(errno));
		unlink(tmp);
		return;
	}
	cfg_reset();
	rc = ponte_dp_create(&cfg, &x);
	CHECK(rc == -EROFS && x == NULL &&
		  strstr(log_text, "dpdk.owned_ports: cannot add 30000-39999 to " RESERVED
				   ": Read-only file system") != NULL,
	      "ip_local_reserved_ports not writable: refused, naming dpdk.owned_ports (%d)", rc);
	if (x != NULL)
		ponte_dp_destroy(x);
	umount(RESERVED);
	unlink(tmp);
	CHECK(strcmp(read_reserved(after, sizeof(after)), before) == 0,
	      "the real sysctl untouched (\"%s\")", after);
}

static void test_open(void)
{
	static uint32_t ids[1000];
	struct ponte_addr a, b;
	char have[256];
	uint32_t id, id2;
	int fds0, fds1, sock;
	bool is_ok = true, is_distinct = true;
	static uint8_t seen[OWNED_MAX - OWNED_MIN + 1];

	CHECK(strcmp(read_reserved(have, sizeof(have)), "100,200-205,30000-39999") == 0,
	      "the range merged into ip_local_reserved_ports (\"%s\")", have);
	/* The kernel's ephemeral ports (32768 up, here) now skip the range. */
	{
		static int socks[400];
		unsigned nb_in = 0, nb = 0;

		for (unsigned i = 0; i < 400; i++) {
			struct sockaddr_in sa;
			socklen_t sl = sizeof(sa);

			socks[i] = bound_socket(0);
			if (socks[i] < 0 || getsockname(socks[i], (struct sockaddr *)&sa, &sl) != 0)
				continue;
			nb++;
			nb_in += ntohs(sa.sin_port) >= OWNED_MIN && ntohs(sa.sin_port) <= OWNED_MAX;
		}
		for (unsigned i = 0; i < 400; i++)
			if (socks[i] >= 0)
				close(socks[i]);
		CHECK(nb == 400 && nb_in == 0,
		      "400 ephemeral binds: none in the owned range (%u of %u)", nb_in, nb);
	}

	/* 1,000 ports of the range, as bridge.c opens them: no descriptor each. */
	fds0 = nb_fds();
	for (unsigned i = 0; i < 1000; i++) {
		ponte_addr_parse(&a, "192.0.2.1", 0);
		if (ponte_dp_port_open(dp, &a, OWNED_MIN, OWNED_MAX, &ids[i]) != 0 ||
		    a.port < OWNED_MIN || a.port > OWNED_MAX) {
			is_ok = false;
			break;
		}
		is_distinct = is_distinct && !seen[a.port - OWNED_MIN];
		seen[a.port - OWNED_MIN] = 1;
	}
	fds1 = nb_fds();
	CHECK(is_ok && is_distinct, "1,000 ports of the owned range open, each number once");
	CHECK(fds0 > 0 && fds1 == fds0,
	      "no kernel socket for them: %d descriptors before, %d after", fds0, fds1);
	for (unsigned i = 0; i < 1000; i++)
		ponte_dp_port_close(dp, ids[i]);
	CHECK(nb_fds() == fds0, "and none after closing them");

	/* A number taken, refused as bind() would; free again once closed. */
	ponte_addr_parse(&a, "192.0.2.1", 30002);
	CHECK(ponte_dp_port_open(dp, &a, 0, 0, &id) == 0, "open 192.0.2.1:30002");
	b = a;
	CHECK(ponte_dp_port_open(dp, &b, 0, 0, &id2) == -EADDRINUSE,
	      "192.0.2.1:30002 again: -EADDRINUSE");
	ponte_addr_parse(&b, "192.0.2.9", 30002);
	CHECK(ponte_dp_port_open(dp, &b, 0, 0, &id2) == 0,
	      "30002 on another address: its own bitmap");
	ponte_dp_port_close(dp, id2);
	ponte_dp_port_close(dp, id);
	b = a;
	CHECK(ponte_dp_port_open(dp, &b, 0, 0, &id) == 0, "192.0.2.1:30002 free again once closed");
	ponte_dp_port_close(dp, id);
	ponte_addr_parse(&a, "192.0.2.1", 0);
	CHECK(ponte_dp_port_open(dp, &a, 0, 0, &id) == 0 && a.port >= OWNED_MIN &&
		  a.port <= OWNED_MAX,
	      "any port: one of the range (%u)", a.port);
	ponte_dp_port_close(dp, id);
	ponte_addr_parse(&a, "192.0.2.1", 0);
	CHECK(ponte_dp_port_open(dp, &a, 29000, 31000, &id) == -EINVAL &&
		  strstr(log_text, "straddles the owned range 30000-39999") != NULL,
	      "a range that straddles the owned one: -EINVAL, said why");

	/* Outside the range, the socket path as before: one descriptor. */
	ponte_addr_parse(&a, "127.0.0.1", 0);
	fds0 = nb_fds();
	CHECK(ponte_dp_port_open(dp, &a, 41000, 41999, &id) == 0 && a.port >= 41000 &&
		  a.port <= 41999 && nb_fds() == fds0 + 1,
	      "a port outside the range still binds a socket (%u)", a.port);
	ponte_dp_port_close(dp, id);

	/* An ICE socket inside the range: its number could be given to an owned port. */
	sock = bound_socket(30500);
	CHECK(sock >= 0 && ponte_dp_port_attach(dp, sock, &id) == -EADDRINUSE &&
		  strstr(log_text, "ICE sockets must stay outside it") != NULL,
	      "attaching a socket bound inside the owned range: -EADDRINUSE");
	if (sock >= 0)
		close(sock);
}

/* An IPv4 frame made a fragment: flags and offset (8-byte units) set, checksum redone. */
static void frag4(struct frame *f, bool is_more, uint16_t offset)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f->b + 14);

	ip->fragment_offset = htons((uint16_t)((is_more ? RTE_IPV4_HDR_MF_FLAG : 0) | offset));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* An IPv6 frame given a fragment header (offset in 8-byte units) in front of its UDP. */
static void frag6(struct frame *f, uint16_t offset)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f->b + 14);
	uint8_t *fh = f->b + 14 + 40;

	memmove(fh + 8, fh, f->len - 54);
	memset(fh, 0, 8);
	fh[0] = IPPROTO_UDP;
	fh[2] = (uint8_t)(offset >> 5);
	fh[3] = (uint8_t)((offset << 3) | 1); /* M: more */
	fh[7] = 1;			      /* identification */
	ip->proto = IPPROTO_FRAGMENT;
	ip->payload_len = htons((uint16_t)(ntohs(ip->payload_len) + 8));
	f->len += 8;
}

static void test_frames(void)
{
	struct ponte_dp_lcore_stats st0, st;
	struct ponte_flow_spec spec;
	struct ponte_addr gw, peer;
	struct ponte_dp_punt punt;
	struct frame f, g;
	uint8_t rtp[256];
	size_t len = make_rtp(rtp, 0, 1, 160, 0x1111, 20);
	uint32_t id, pclosed;
	uint64_t drops;

	drain(exc.tx[0]);
	st0 = lstats();

	/* Never opened. */
	udp4(&f, peer_mac, "198.51.100.7", 5004, "192.0.2.1", 31000, rtp, len);
	put(nic.rx[0], &f);
	udp6(&f, peer_mac, "2001:db8::7", 5004, "2001:db8::1", 31001, rtp, len);
	put(nic.rx[0], &f);
	st = lstats();
	CHECK(st.owned_port_drops - st0.owned_port_drops == 2 && st.to_kernel == st0.to_kernel &&
		  quiet(exc.tx[0]),
	      "RTP to owned ports never opened (v4, v6): dropped, counted, not to the kernel "
	      "(%llu)",
	      (unsigned long long)(st.owned_port_drops - st0.owned_port_drops));

	/* Opened, no flow: the control plane's, as before. Then closed: dropped. */
	ponte_addr_parse(&gw, "192.0.2.1", 32000);
	ponte_dp_port_open(dp, &gw, 0, 0, &pclosed);
	udp4(&f, peer_mac, "198.51.100.7", 5004, "192.0.2.1", 32000, rtp, len);
	put(nic.rx[0], &f);
	st = lstats();
	CHECK(ponte_dp_punt_read(dp, &punt) == 1 && punt.port_id == pclosed &&
		  st.punted == st0.punted + 1 && st.owned_port_drops == st0.owned_port_drops + 2,
	      "an open owned port with no flow: punted to the control plane, not dropped");
	ponte_dp_port_close(dp, pclosed);
	ponte_dp_sync(dp);
	put(nic.rx[0], &f);
	st = lstats();
	CHECK(st.owned_port_drops == st0.owned_port_drops + 3 && quiet(exc.tx[0]) &&
		  ponte_dp_punt_read(dp, &punt) == 0,
	      "closed since: dropped and counted, neither punted nor to the kernel");

	/* Fragments: the first names the port and is dropped, later ones go to the kernel. */
	drops = st.owned_port_drops;
	udp4(&f, peer_mac, "198.51.100.7", 5004, "192.0.2.1", 33000, rtp, len);
	frag4(&f, true, 0);
	put(nic.rx[0], &f);
	udp6(&f, peer_mac, "2001:db8::7", 5004, "2001:db8::1", 33000, rtp, len);
	frag6(&f, 0);
	put(nic.rx[0], &f);
	udp4(&f, peer_mac, "198.51.100.7", 5004, "192.0.2.1", 33000, rtp, len);
	{
		/* IHL 6: a 4-byte option (NOP x4). */
		memmove(f.b + 38, f.b + 34, f.len - 34);
		memset(f.b + 34, 1, 4);
		f.len += 4;
		f.b[14] = 0x46;
		f.b[17] = (uint8_t)(f.b[17] + 4);
		frag4(&f, false, 0);
	}
	put(nic.rx[0], &f);
	st = lstats();
	CHECK(st.owned_port_drops == drops + 3 && st.to_kernel == st0.to_kernel &&
		  st.fragments == st0.fragments && quiet(exc.tx[0]),
	      "first fragments (v4, v6) and IPv4 options to an owned port: dropped, counted");
	udp4(&f, peer_mac, "198.51.100.7", 5004, "192.0.2.1", 33000, rtp, len);
	frag4(&f, false, 4);
	put(nic.rx[0], &f);
	CHECK(take(exc.tx[0], &g) && g.len == f.len, "a later fragment: to the kernel");
	udp4(&f, peer_mac, "198.51.100.7", 5004, "192.0.2.1", 40999, rtp, len);
	frag4(&f, true, 0);
	put(nic.rx[0], &f);
	CHECK(take(exc.tx[0], &g) && g.len == f.len,
	      "a first fragment to a port outside the range: to the kernel");

	/* Outside the range: the kernel's, as before. */
	udp4(&f, peer_mac, "198.51.100.7", 5004, "192.0.2.1", 29999, rtp, len);
	put(nic.rx[0], &f);
	CHECK(take(exc.tx[0], &g) && g.len == f.len && memcmp(g.b, f.b, f.len) == 0,
	      "RTP to a port below the range: to the kernel unchanged");
	udp4(&f, peer_mac, "198.51.100.7", 5004, "192.0.2.1", 40000, rtp, len);
	put(nic.rx[0], &f);
	CHECK(take(exc.tx[0], &g) && g.len == f.len, "RTP to the port above the range: likewise");
	st = lstats();
	CHECK(st.owned_port_drops == drops + 3 && st.to_kernel == st0.to_kernel + 4 &&
		  st.fragments == st0.fragments + 2,
	      "counted: owned_port_drops %llu, to_kernel +%llu, fragments +%llu",
	      (unsigned long long)st.owned_port_drops,
	      (unsigned long long)(st.to_kernel - st0.to_kernel),
	      (unsigned long long)(st.fragments - st0.fragments));

	/* A flow on an owned port: its media still through the fast path. */
	ponte_addr_parse(&gw, "192.0.2.1", 34000);
	ponte_addr_parse(&peer, "198.51.100.7", 5004);
	ponte_dp_port_open(dp, &gw, 0, 0, &id);
	ponte_flow_spec_init(&spec, 1, id);
	spec.src = peer;
	ponte_flow_add_output(&spec, id, &peer);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a flow on owned port 34000");
	ponte_dp_sync(dp);
	udp4(&f, peer_mac, "198.51.100.7", 5004, "192.0.2.1", 34000, rtp, len);
	put(nic.rx[0], &f);
	CHECK(take(nic.tx[0], &g) && look(&g).is_ok && look(&g).src.port == 34000,
	      "its media forwarded by the fast path, from the owned port");
	st = lstats();
	CHECK(st.fast_pkts == st0.fast_pkts + 1 && st.owned_port_drops == drops + 3,
	      "counted fast, not dropped");
	ponte_dp_flow_delete(dp, 1);
	ponte_dp_port_close(dp, id);
	ponte_dp_sync(dp);
}

static void test_close(void)
{
	enum { N = 20000 };
	static uint32_t ids[N];
	struct ponte_dp_lcore_stats st0, st;
	struct ponte_dp_punt punt;
	struct ponte_addr a;
	struct frame f, g;
	uint8_t rtp[64];
	size_t len = make_rtp(rtp, 0, 1, 160, 0x1111, 8);
	uint32_t att[3];
	uint16_t port = 0;
	double t0, t1;
	int sock;
	bool is_ok = true;

	/* Mass teardown: each close finds who takes its address's place without a scan. */
	for (unsigned i = 0; i < N && is_ok; i++) {
		ponte_addr_parse(&a, "192.0.2.1", (uint16_t)(OWNED_MIN + i % 10000));
		if (i >= 10000)
			ponte_addr_parse(&a, "192.0.2.2", (uint16_t)(OWNED_MIN + i % 10000));
		is_ok = ponte_dp_port_open(dp, &a, 0, 0, &ids[i]) == 0;
	}
	CHECK(is_ok, "open %d owned ports (the range on two addresses)", N);
	t0 = now_s();
	for (unsigned i = 0; i < N; i++)
		ponte_dp_port_close(dp, ids[i]);
	t1 = now_s();
	CHECK(is_ok && t1 - t0 < 0.2, "close them all in %.1f ms (%.2f us each)", (t1 - t0) * 1e3,
	      (t1 - t0) * 1e6 / N);
	ponte_dp_sync(dp);

	/* One ICE socket attached three times (as when its session is set up again): closing
	 * one, whether the table's or not, leaves the address to another until the last. RTP
	 * of no flow to a port of ours counts no_flow; to no port, it does not. */
	sock = bound_socket(0);
	{
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);

		getsockname(sock, (struct sockaddr *)&sa, &sl);
		port = ntohs(sa.sin_port);
	}
	CHECK(sock >= 0 && ponte_dp_port_attach(dp, sock, &att[0]) == 0 &&
		  ponte_dp_port_attach(dp, sock, &att[1]) == 0 &&
		  ponte_dp_port_attach(dp, sock, &att[2]) == 0,
	      "a socket on 127.0.0.1:%u attached three times", port);
	udp4(&f, peer_mac, "198.51.100.7", 5004, "127.0.0.1", port, rtp, len);
	drain(exc.tx[0]);
	st0 = lstats();
	ponte_dp_port_close(dp, att[2]);
	ponte_dp_sync(dp);
	put(nic.rx[0], &f);
	st = lstats();
	CHECK(take(exc.tx[0], &g) && st.no_flow == st0.no_flow + 1,
	      "the newest (the table's) closed: another takes its place");
	ponte_dp_port_close(dp, att[0]);
	ponte_dp_sync(dp);
	put(nic.rx[0], &f);
	st = lstats();
	CHECK(take(exc.tx[0], &g) && st.no_flow == st0.no_flow + 2,
	      "the oldest closed: the last one keeps the address");
	ponte_dp_port_close(dp, att[1]);
	ponte_dp_sync(dp);
	put(nic.rx[0], &f);
	st = lstats();
	CHECK(take(exc.tx[0], &g) && st.no_flow == st0.no_flow + 2 &&
		  ponte_dp_punt_read(dp, &punt) == 0,
	      "the last closed: no port of ours there any more");
	close(sock);
}

/* ---- the record of the reservation, other processes' sockets ---- */

static char state_dir[] = "/tmp/ponte-test-owned-XXXXXX";

static unsigned long netns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static void record_path(char *out, size_t len, unsigned min, unsigned max)
{
	snprintf(out, len, "%s/owned-%lu-%u-%u", state_dir, netns_ino(), min, max);
}

/* Field 22 of /proc/PID/stat: the start time a record holds beside its pid. */
static unsigned long long start_time(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL) {
		/* p at the ')' that ends field 2: the 20th space on starts field 22. */
		for (int field = 2; field < 22 && p != NULL; field++)
			p = strchr(p + 1, ' ');
		if (p != NULL)
			t = strtoull(p + 1, NULL, 10);
	}
	fclose(f);
	return t;
}

static bool write_record(long pid, unsigned long long start, unsigned min, unsigned max,
			 const char *added)
{
	char path[512];
	FILE *f;

	record_path(path, sizeof(path), min, max);
	f = fopen(path, "w");
	if (f == NULL)
		return false;
	fprintf(f, "pid %ld\nstart %llu\nrange %u-%u\nadded %s\n", pid, start, min, max, added);
	return fclose(f) == 0;
}

/* The records in the state directory (its lock file aside). */
static int nb_records(void)
{
	DIR *dir = opendir(state_dir);
	struct dirent *e;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL)
		n += strncmp(e->d_name, "owned-", 6) == 0 && strstr(e->d_name, ".lock") == NULL;
	closedir(dir);
	return n;
}

/* A pid that was ours and is no more. */
static long dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid;
}

static void test_record(void)
{
	char have[256], path[512], want[768], text[256] = "";
	long dead = dead_pid(), live = fork();
	FILE *f;
	int rc;

	if (live == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* not left behind should the test crash */
		for (;;)
			pause();
	}
	CHECK(live > 0, "a live process in our network namespace (pid %ld)", live);
	/* While running: a record naming us and what we added. */
	write_reserved("100");
	cfg_reset();
	rc = ponte_dp_create(&cfg, &dp);
	record_path(path, sizeof(path), OWNED_MIN, OWNED_MAX);
	f = fopen(path, "r");
	if (f != NULL) {
		size_t n = fread(text, 1, sizeof(text) - 1, f);

		text[n] = '\0';
		fclose(f);
	}
	snprintf(want, sizeof(want), "pid %ld\nstart %llu\nrange 30000-39999\nadded 30000-39999\n",
		 (long)getpid(), start_time(getpid()));
	{
		bool is_same = strcmp(text, want) == 0;

		/* Shown on one line (TAP). */
		for (char *c = text; *c != '\0'; c++)
			*c = *c == '\n' ? '|' : *c;
		CHECK(rc == 0 && is_same, "a running gateway's record: \"%s\"", text);
	}
	if (rc == 0)
		ponte_dp_destroy(dp);
	dp = NULL;
	CHECK(nb_records() == 0 && strcmp(read_reserved(have, sizeof(have)), "100") == 0,
	      "stopped: its record removed, the range out again (\"%s\")", have);

	/* A crash: the records of a dead pid, the ranges still reserved. One of our range, one
	 * of another (a configuration changed since). */
	CHECK(dead > 0 && write_record(dead, 1, OWNED_MIN, OWNED_MAX, "30000-39999") &&
		  write_record(dead, 1, 50000, 50099, "50000-50099") &&
		  write_reserved("100,30000-39999,50000-50099"),
	      "records of dead pid %ld left, 30000-39999 and 50000-50099 still reserved", dead);
	cfg_reset();
	rc = ponte_dp_create(&cfg, &dp);
	snprintf(want, sizeof(want),
		 "dpdk.owned_ports: took over the reservation of 30000-39999 left by pid %ld",
		 dead);
	CHECK(rc == 0 && strstr(log_text, want) != NULL,
	      "started: took the crash's reservation over, and said so (%d)", rc);
	if (rc != 0)
		printf("# log: %s", log_text);
	CHECK(strcmp(read_reserved(have, sizeof(have)), "100,30000-39999") == 0 &&
		  nb_records() == 1,
	      "the other range's ports out at once, the dead records replaced by ours (\"%s\")",
	      have);
	if (rc == 0)
		ponte_dp_destroy(dp);
	dp = NULL;
	CHECK(strcmp(read_reserved(have, sizeof(have)), "100") == 0 && nb_records() == 0,
	      "stopped: the crash's reservation gone too, no record left (\"%s\")", have);

	/* A pid reused by another process (its start time not the record's), and a live one in
	 * another network namespace (our parent, outside the test's): not this one's gateway. */
	write_record(live, start_time(live) + 1, OWNED_MIN, OWNED_MAX, "30000-39999");
	write_reserved("100,30000-39999");
	cfg_reset();
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0 && strstr(log_text, "took over the reservation of 30000-39999") != NULL,
	      "a record whose pid now runs another process: taken over");
	if (rc == 0)
		ponte_dp_destroy(dp);
	dp = NULL;
	CHECK(strcmp(read_reserved(have, sizeof(have)), "100") == 0 && nb_records() == 0,
	      "and its ports out at stop (\"%s\")", have);
	write_record(getppid(), start_time(getppid()), 35000, 45000, "35000-45000");
	write_reserved("100,35000-45000");
	cfg_reset();
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0 && strstr(log_text, "took over the reservation of 35000-45000") != NULL,
	      "a record whose pid runs in another network namespace: taken over (%d)", rc);
	if (rc == 0)
		ponte_dp_destroy(dp);
	dp = NULL;
	CHECK(strcmp(read_reserved(have, sizeof(have)), "100") == 0 && nb_records() == 0,
	      "and its ports out at stop, those outside our range at start (\"%s\")", have);

	/* A live gateway (a child of ours, in our namespace, with its true start time) owning
	 * an overlapping range. */
	write_record(live, start_time(live), 35000, 45000, "35000-45000");
	write_reserved("100,35000-45000");
	cfg_reset();
	rc = ponte_dp_create(&cfg, &dp);
	record_path(path, sizeof(path), 35000, 45000);
	snprintf(want, sizeof(want),
		 "dpdk.owned_ports: 30000-39999 overlaps 35000-45000, owned by pid %ld, a gateway "
		 "running in this network namespace (net:[%lu], %s)",
		 live, netns_ino(), path);
	CHECK(rc == -EADDRINUSE && dp == NULL && strstr(log_text, want) != NULL,
	      "a live gateway's overlapping range: refused naming it (%d)", rc);
	if (strstr(log_text, want) == NULL)
		printf("# log: %s", log_text);
	CHECK(strcmp(read_reserved(have, sizeof(have)), "100,35000-45000") == 0 &&
		  nb_records() == 1,
	      "its reservation and record untouched (\"%s\")", have);
	if (dp != NULL)
		ponte_dp_destroy(dp);
	dp = NULL;
	unlink(path);

	/* A live one with a range of its own: both run. */
	write_record(live, start_time(live), 50000, 50099, "50000-50099");
	write_reserved("100,50000-50099");
	cfg_reset();
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0 && nb_records() == 2, "a live gateway with a disjoint range: started (%d)",
	      rc);
	if (rc == 0)
		ponte_dp_destroy(dp);
	dp = NULL;
	CHECK(strcmp(read_reserved(have, sizeof(have)), "100,50000-50099") == 0 &&
		  nb_records() == 1,
	      "stopped: the other's reservation and record stay (\"%s\")", have);
	record_path(path, sizeof(path), 50000, 50099);
	unlink(path);

	/* No writable state directory: as before, said so. */
	setenv("PONTE_OWNED_STATE_DIR", "/proc/ponte-no-such-dir", 1);
	write_reserved("100");
	cfg_reset();
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0 && strstr(log_text, "dpdk.owned_ports: cannot keep a record of the "
					  "reservation in /proc/ponte-no-such-dir") != NULL,
	      "no state directory: started, and warned (%d)", rc);
	if (rc == 0)
		ponte_dp_destroy(dp);
	dp = NULL;
	CHECK(strcmp(read_reserved(have, sizeof(have)), "100") == 0,
	      "stopped: the range out as before (\"%s\")", have);
	setenv("PONTE_OWNED_STATE_DIR", state_dir, 1);
	if (live > 0) {
		kill(live, SIGKILL);
		waitpid(live, NULL, 0);
	}
}

/* A UDP socket of family bound to text:port. */
static int bound_at(int family, const char *text, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;

	if (family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, text, &s4->sin_addr);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, text, &s6->sin6_addr);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, sizeof(ss)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_foreign_sockets(void)
{
	char want[160];
	int s4 = bound_at(AF_INET, "0.0.0.0", 30002), s6 = bound_at(AF_INET6, "::", 30004);
	int lo = bound_at(AF_INET, "127.0.0.1", 30006), out = bound_at(AF_INET, "0.0.0.0", 40002);
	int rc;

	CHECK(s4 >= 0 && s6 >= 0 && lo >= 0 && out >= 0,
	      "sockets bound to 0.0.0.0:30002, [::]:30004, 127.0.0.1:30006, 0.0.0.0:40002");
	write_reserved("100");
	cfg_reset();
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0, "started beside them: warned, not refused (%d)", rc);
	snprintf(want, sizeof(want),
		 "dpdk.owned_ports: UDP 0.0.0.0:30002 is bound by pid %ld (test-dpdk-ports); the "
		 "fast path takes its datagrams: they will be dropped",
		 (long)getpid());
	CHECK(strstr(log_text, want) != NULL, "the wildcard IPv4 socket in the range: warned, "
					      "naming port, address and process");
	snprintf(want, sizeof(want), "dpdk.owned_ports: UDP [::]:30004 is bound by pid %ld",
		 (long)getpid());
	CHECK(strstr(log_text, want) != NULL, "the IPv6 one too");
	CHECK(strstr(log_text, ":30006 is bound") == NULL &&
		  strstr(log_text, ":40002 is bound") == NULL,
	      "not the loopback one, nor one outside the range");
	if (strstr(log_text, ":30002 is bound") == NULL)
		printf("# log: %s", log_text);

	/* One bound after start: seen when a port of the range opens, at most every 10 s. */
	if (rc == 0) {
		struct ponte_addr a;
		uint32_t id;
		int late = bound_at(AF_INET, "0.0.0.0", 30010);
		bool is_early;

		log_text[0] = '\0';
		ponte_addr_parse(&a, "192.0.2.1", 0);
		rc = ponte_dp_port_open(dp, &a, 0, 0, &id);
		if (rc == 0)
			ponte_dp_port_close(dp, id);
		is_early = strstr(log_text, "UDP 0.0.0.0:30010 is bound") != NULL;
		sleep(10);
		ponte_addr_parse(&a, "192.0.2.1", 0);
		rc = ponte_dp_port_open(dp, &a, 0, 0, &id);
		if (rc == 0)
			ponte_dp_port_close(dp, id);
		CHECK(late >= 0 && rc == 0 && !is_early &&
			  strstr(log_text, "UDP 0.0.0.0:30010 is bound by pid") != NULL &&
			  strstr(log_text, ":30002 is bound") == NULL,
		      "a socket bound after start: warned at a port open 10 s later, not at once, "
		      "the others not again");
		if (late >= 0)
			close(late);
		ponte_dp_destroy(dp);
	}
	dp = NULL;
	close(s4);
	close(s6);
	close(lo);
	close(out);
}

static void lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	char prefix[64], lcores[160], have[256];
	int rc;

	/* dpdk_frames.h's SRTP helpers: no SRTP here. */
	(void)rd32;
	(void)key_fill;
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_config();
	/* Our own network namespace (its ip_local_reserved_ports is ours to write) and mount
	 * namespace (to make that file read-only for a moment), before any thread exists. */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		printf("# unshare: %s: the dataplane part needs root\n", strerror(errno));
		CHECK(geteuid() != 0, "a network namespace of our own (%s)", strerror(errno));
		return tap_done();
	}
	lo_up();
	CHECK(write_reserved("100,200-205"), "ip_local_reserved_ports set to 100,200-205 first");
	/* The records of the reservation in a directory of the test's, not /run/ponte. */
	CHECK(mkdtemp(state_dir) != NULL && setenv("PONTE_OWNED_STATE_DIR", state_dir, 1) == 0,
	      "a state directory of our own (%s)", state_dir);

	snprintf(prefix, sizeof(prefix), "--file-prefix=ponte-test-ports-%d", getpid());
	snprintf(lcores, sizeof(lcores), "--lcores=0@(0-%ld),1@(0-%ld)",
		 sysconf(_SC_NPROCESSORS_ONLN) - 1, sysconf(_SC_NPROCESSORS_ONLN) - 1);
	{
		char *argv[] = {"test-dpdk-ports",
				"--no-huge",
				"--no-pci",
				"--no-shconf",
				"-m",
				"256",
				lcores,
				prefix,
				"--no-telemetry",
				"--log-level=*:warning",
				NULL};

		rc = rte_eal_init(10, argv);
	}
	CHECK(rc >= 0, "the test's EAL starts (%d)", rc);
	if (rc < 0)
		return tap_done();
	pool = rte_pktmbuf_pool_create("test_pool", 4095, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	ring_port_make(&nic, "nic0", 1);
	ring_port_make(&exc, "exc0", 1);

	test_start_errors();
	cfg_reset();
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0, "create the DPDK dataplane owning ports %d-%d (%d)", OWNED_MIN, OWNED_MAX,
	      rc);
	if (rc == 0) {
		test_open();
		test_frames();
		test_close();
		ponte_dp_destroy(dp);
		dp = NULL;
	}
	CHECK(strcmp(read_reserved(have, sizeof(have)), "100,200-205") == 0,
	      "stopped: ip_local_reserved_ports back to what it was (\"%s\")", have);
	write_reserved("200-205,35000-36000");
	cfg_reset();
	rc = ponte_dp_create(&cfg, &dp);
	if (rc == 0) {
		write_reserved("7,200-205,30000-39999");
		ponte_dp_destroy(dp);
		dp = NULL;
	}
	CHECK(rc == 0 && strcmp(read_reserved(have, sizeof(have)), "7,200-205,35000-36000") == 0,
	      "what was there before and what others added meanwhile stay at stop (\"%s\")", have);
	test_record();
	test_foreign_sockets();
	drain(nic.tx[0]);
	drain(exc.tx[0]);
	rte_eal_cleanup();
	{
		char lock[512];

		snprintf(lock, sizeof(lock), "%s/owned-%lu.lock", state_dir, netns_ino());
		unlink(lock);
		rmdir(state_dir);
	}
	snprintf(prefix, sizeof(prefix), "/var/run/dpdk/ponte-test-ports-%d", getpid());
	rmdir(prefix);
	return tap_done();
}
