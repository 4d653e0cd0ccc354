/* SPDX-License-Identifier: MIT */
/*
 * loadgen's internals, one concept per file:
 *   loadgen.c  options, the send schedule, the report
 *   calls.c    the simulated calls: packets built, protected, and checked on the way back
 *   udp.c      the UDP socket transport (sendmmsg/recvmmsg, kernel receive timestamps)
 *   memif.c    the DPDK net_memif transport, and the reflector that tests it
 *   hist.c     latency histogram, CPU time and the kernel's UDP counters
 */
#ifndef PONTE_TOOLS_LG_H
#define PONTE_TOOLS_LG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dpbench/plan.h"

#define LG_BUF 2048
#define LG_BATCH 64

/* ---- transports ---- */

/* One datagram between one of our endpoints (enum dpb_port: the peer ports of the plan) and
 * a gateway port. */
enum lg_send_status {
	LG_SENT, /* on its way */
	LG_SEND_ERROR, /* our failure (no buffer, a socket error): not counted as sent */
	LG_PEER_FULL, /* the peer's receive ring was full: counted as sent, and lost by it */
};

struct lg_pkt {
	uint8_t ep;
	uint8_t status; /* enum lg_send_status, set by send() */
	uint16_t gw_port;
	uint16_t len;
	uint64_t rx_ns; /* receive: when it arrived (CLOCK_REALTIME ns) */
	uint8_t *data; /* LG_BUF bytes */
};

struct lg_transport;

struct lg_transport_ops {
	const char *name;
	/* Send n packets, setting each one's status; returns how many left. */
	unsigned (*send)(struct lg_transport *t, struct lg_pkt *pkts, unsigned n);
	/* Take up to max received packets into pkts[] (their data buffers are the caller's);
	 * never blocks. Returns how many. */
	unsigned (*recv)(struct lg_transport *t, struct lg_pkt *pkts, unsigned max);
	/* Block until something may be received or until deadline_ns (CLOCK_MONOTONIC); a
	 * polling transport returns at once. */
	void (*wait)(struct lg_transport *t, uint64_t deadline_ns);
	/* Counters worth a line in the report (key=value ...), "" when none. */
	void (*describe)(struct lg_transport *t, char *buf, size_t len);
	void (*destroy)(struct lg_transport *t);
};

struct lg_transport {
	const struct lg_transport_ops *ops;
};

/* is_timed: the caller's rounds come at fixed times; wait() sleeps until the deadline rather
 * than returning when a datagram arrives (the socket buffers hold them meanwhile). */
int lg_udp_create(const struct dpb_plan *p, bool is_timed, struct lg_transport **out);

struct lg_memif_opts {
	const char *socket_path;
	bool is_server; /* role=server (the reflector), else client */
	int cpu; /* the EAL's main lcore; -1: the CPU we run on */
	unsigned memory_mb;
	const char *gw_mac; /* "aa:bb:..", NULL: ask by ARP */
	const char *eal_extra; /* more EAL arguments, space-separated, or NULL */
	unsigned nb_queues; /* queue pairs, one per lcore of the gateway (0: 1) */
};

/* Whether this build has the DPDK transport. */
bool lg_memif_available(void);
int lg_memif_create(const struct dpb_plan *p, const struct lg_memif_opts *o,
		    struct lg_transport **out);
/* The reflector: a memif server that answers ARP for any address and sends every IPv4 UDP
 * frame back with its addresses and ports swapped, until *stop or duration_s. */
int lg_memif_reflect(const struct lg_memif_opts *o, double duration_s, volatile int *stop);

/* ---- calls ---- */

/* Counters of the whole run. */
struct lg_counts {
	uint64_t sent_rtp, sent_rtcp, send_errors, protect_errors;
	uint64_t peer_full; /* of sent_rtp and sent_rtcp: the peer's ring was full (memif) */
	uint64_t recv_rtp, recv_rtcp; /* checked and accepted */
	uint64_t unverified; /* of recv_rtp: checked by the clear header only (verify_every) */
	uint64_t dups, reordered, too_old; /* RTP: as the receiver's window saw them */
	uint64_t auth_fail, replay, malformed; /* SRTP/SRTCP unprotect refused */
	uint64_t bad_payload, bad_header; /* decrypted but not what was sent */
	uint64_t misrouted; /* came to the wrong endpoint, or from no gateway port of a call */
	uint64_t rtcp_bad; /* RTCP that is not a well-formed SR/RR compound */
	uint64_t late_sends; /* sent more than a packet time after their due time */
	uint64_t max_lag_ns;
};

struct lg_calls;
struct lg_hist;

/* is_echo: what comes back is what was sent, on the same leg and under the same keys (a
 * reflector), rather than the other leg's media rewritten by a gateway. verify_every K > 1:
 * decrypt and check whole one RTP packet in K per stream only, the others by their clear
 * header (payload type, SSRC, sequence number, timestamp) and length, so that the generator
 * spends about one crypto operation per packet rather than two and stays ahead of a dataplane
 * as fast as itself. Latency samples come from the packets checked whole; RTCP is always
 * checked whole. */
int lg_calls_create(const struct dpb_plan *p, const char *srtp_engine, size_t payload_len,
		    bool is_echo, unsigned verify_every, struct lg_calls **out);
void lg_calls_destroy(struct lg_calls *lc);
/* Build the next RTP (or RTCP: an SR with SDES) packet of call's leg into pkt (data set by
 * the caller), stamped now_ns. 0, or a negative errno counted in protect_errors. */
int lg_calls_build_rtp(struct lg_calls *lc, uint32_t call, enum dpb_leg leg, struct lg_pkt *pkt);
int lg_calls_build_rtcp(struct lg_calls *lc, uint32_t call, enum dpb_leg leg, struct lg_pkt *pkt);
/* What became of the packet built last for call's leg (enum lg_send_status). */
void lg_calls_sent(struct lg_calls *lc, uint32_t call, enum dpb_leg leg, bool is_rtcp,
		   uint8_t status);
/* Check one received packet: counters and latency. */
void lg_calls_receive(struct lg_calls *lc, struct lg_pkt *pkt);
/* The run's counters, which the caller adds its own to (send errors, lag). */
struct lg_counts *lg_calls_counts(struct lg_calls *lc);
/* RTP packets sent and never received, summed over every stream. */
uint64_t lg_calls_lost(const struct lg_calls *lc);
/* The latency of every RTP packet received: send stamp to receive time. */
const struct lg_hist *lg_calls_latency(const struct lg_calls *lc);

/* ---- clocks, histogram, /proc ---- */

uint64_t lg_mono_ns(void);
uint64_t lg_real_ns(void);
/* This thread's CPU time, ns. */
uint64_t lg_thread_cpu_ns(void);

/* Log-linear histogram of nanoseconds: exact below 1024 ns, then 64 sub-buckets per power of
 * two (under 1.6 % error). */
#define LG_HIST_LINEAR 1024
#define LG_HIST_SUB 64
#define LG_HIST_BUCKETS (LG_HIST_LINEAR + (64 - 10) * LG_HIST_SUB)
struct lg_hist {
	uint64_t count, max;
	uint64_t b[LG_HIST_BUCKETS];
};
void lg_hist_add(struct lg_hist *h, uint64_t ns);
double lg_hist_quantile(const struct lg_hist *h, double q);

/* utime + stime of process pid (0: ourselves), seconds; -1 when it cannot be read. */
double lg_proc_cpu_s(int pid);
/* CPU time every CPU of the machine spent busy (not idle or waiting for I/O), seconds, from
 * /proc/stat's tick samples; -1 when it cannot be read. It sees work that /proc's processes do
 * not show (other PID namespaces on the machine), but samples coarsely. */
double lg_machine_busy_s(void);
/* CPU time of every process, to tell what else ran during a measurement. */
struct lg_proc {
	int pid;
	double cpu_s;
};
struct lg_procs {
	struct lg_proc *p;
	unsigned nb, cap;
};
struct lg_procs *lg_procs_snapshot(void);
void lg_procs_free(struct lg_procs *s);
/* Cores the processes other than skip_a and skip_b used between two snapshots wall_s apart;
 * -1 when unknown. */
double lg_procs_delta(const struct lg_procs *before, const struct lg_procs *after, int skip_a,
		      int skip_b, double wall_s);
/* The kernel's UDP counters of this network namespace (/proc/net/snmp): 0 or -errno. */
struct lg_udp_snmp {
	uint64_t in_errors, rcvbuf_errors, sndbuf_errors;
};
int lg_udp_snmp(struct lg_udp_snmp *out);

#endif
