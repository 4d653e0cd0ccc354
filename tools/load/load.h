/* SPDX-License-Identifier: MIT */
/*
 * ponte-load: WebRTC sessions against a running daemon's echo service, media sent through them
 * at a set rate, the echoes checked and timed. Shared state of the tool's modules:
 *   client.c  one session's signaling (libsoup WebSocket), SDP offer, ICE and DTLS-SRTP;
 *   media.c   the sender thread and the receive side (a sink dataplane on the ICE sockets);
 *   stats.c   round-trip histograms and the CPU and kernel counters read from /proc.
 * Everything but the sender thread and the receive callback runs on the GLib main loop.
 */
#ifndef PONTE_LOAD_H
#define PONTE_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <glib.h>
#include <libsoup/soup.h>

#include <ponte/dataplane.h>

#include "dtls.h"
#include "ice.h"
#include "srtp.h"

/* Phases ("generations") a run may have: the warm-up is 0, each measured step one more. */
#define LOAD_MAX_GENS 256
/* Round trips in µs: exact below 1024, then 64 buckets per power of two (1.6 %). */
#define LOAD_HIST_LINEAR 1024
#define LOAD_HIST_SUB 64
#define LOAD_HIST_BUCKETS (LOAD_HIST_LINEAR + 32 * LOAD_HIST_SUB)

/* What each echoed packet carries after the 12-byte RTP header; the rest of the payload is a
 * pattern derived from seq and the session, checked byte for byte on return. */
struct load_payload {
	uint32_t magic;
	uint32_t session;
	uint32_t gen;
	uint32_t reserved;
	uint64_t seq;	  /* the session's packet counter, its low 16 bits the RTP sequence */
	uint64_t sent_ns; /* CLOCK_MONOTONIC when the packet was built */
};
#define LOAD_MAGIC 0x504c4f44u /* "PLOD" */
#define LOAD_RTP_HEADER 12
#define LOAD_MIN_SIZE (LOAD_RTP_HEADER + (int)sizeof(struct load_payload))
#define LOAD_MAX_SIZE 1200

/* Counters of one phase. `sent` and `send_errors` belong to the sender thread, the others to
 * the receive callback (the media I/O thread); the main loop reads them after the phase has
 * drained. Updated and read with relaxed atomics. */
struct load_gen_stats {
	uint64_t sent, send_errors;
	_Alignas(64) uint64_t returned;
	uint64_t auth_failed; /* unprotect said -EBADMSG */
	uint64_t replayed;    /* unprotect said -EALREADY: a duplicate */
	uint64_t bad_payload; /* authenticated, but not what was sent (PT, SSRC, bytes) */
	uint64_t hist[LOAD_HIST_BUCKETS];
};

enum load_session_state {
	LOAD_S_NEW,
	LOAD_S_CONNECTING, /* signaling, offer/answer, ICE, DTLS */
	LOAD_S_READY,	   /* SRTP keys: media may flow */
	LOAD_S_FAILED,
};

struct load;

struct load_session {
	struct load *ld;
	unsigned idx;
	char log_name[32];
	enum load_session_state state;
	char *fail_reason;

	/* Signaling and set-up (main loop). */
	SoupWebsocketConnection *ws;
	GCancellable *cancel;
	char gw_id[40]; /* the gateway's session id */
	char room[48];
	struct ponte_ice *ice;
	struct ponte_dtls *dtls;
	enum ponte_dtls_role role;
	char *fp_alg, *fp; /* the answer's a=fingerprint */
	GPtrArray *pending_candidates; /* ours, held until the answer came */
	bool has_answer;
	bool is_gathered;
	bool is_hungup;
	bool was_ready; /* reached LOAD_S_READY once, even if it failed since */

	/* Media: fixed once ready. */
	uint32_t ssrc;	    /* ours, in the offer's a=ssrc */
	uint32_t echo_ssrc; /* the gateway's audio a=ssrc: what the echo carries */
	int fd;		    /* a duplicate of the selected ICE socket, for sendmmsg */
	struct sockaddr_storage dst;
	socklen_t dst_len;
	struct dp_srtp *tx; /* the sender thread's */
	struct dp_srtp *rx; /* the receive callback's */
	uint16_t profile;   /* enum ponte_srtp_profile, from DTLS */

	/* The sender thread's. */
	uint64_t next_seq;
	uint64_t phase_sent;
	/* Totals, for "does every session echo". */
	uint64_t nb_sent, nb_returned;
};

struct load_opts {
	char *url;
	char *status_url;
	char *local_address;
	char *srtp;
	int nb_sessions;
	double pps;
	int size;
	double seconds;
	gboolean find_max;
	double start_rate;
	double growth;
	double step_seconds;
	double loss_threshold; /* percent */
	double drain_seconds;
	double warmup_seconds;
	int tick_us;
	int daemon_pid;
	int setup_parallel;
	double setup_timeout;
	gboolean no_room;
	gboolean verbose;
	gboolean debug;
};

struct load {
	struct load_opts o;
	GMainLoop *loop;
	SoupSession *soup;
	struct ponte_dtls_cert *cert;
	const struct dp_srtp_engine *srtp;
	uint16_t profiles[2];
	size_t nb_profiles;
	const char *addresses[2];
	struct ponte_dp *sink;
	struct load_session *sessions;
	unsigned nb_ready, nb_failed, nb_started;
	struct load_gen_stats *gens; /* LOAD_MAX_GENS */
	struct load_media *media;
	unsigned cur_gen; /* the phase being sent: where unattributable echoes count; atomic */
	int exit_code;
	void *owner; /* ponte-load.c's run, for the callbacks below */
};

/* ---- client.c ---- */

/* Begin s's set-up: WebSocket, (room,) attach, offer, ICE, DTLS. The outcome is reported
 * through load_on_session_ready() or load_on_session_failed(). */
int load_session_start(struct load_session *s);
/* Hang up at the gateway and close the WebSocket; returns at once. */
void load_session_hangup(struct load_session *s);
/* Free what s holds. Media must have stopped (load_media_stop). */
void load_session_free(struct load_session *s);

/* Callbacks into ponte-load.c, on the main loop. */
void load_on_session_ready(struct load_session *s);
void load_on_session_failed(struct load_session *s, const char *why);

/* ---- media.c ---- */

/* A dataplane of our own for ponte_ice_set_media_sink(): its input op is the receive side. */
int load_sink_create(struct load *ld, struct ponte_dp **out);
void load_sink_destroy(struct ponte_dp *dp);

/* Start the sender thread over the ready sessions (idle until a phase is set). */
int load_media_start(struct load *ld);
/* Send gen's packets at `rate` packets per second over all sessions from now; rate 0 stops
 * sending. */
void load_media_set_phase(struct load *ld, unsigned gen, double rate);
/* Stop and join the sender thread. */
void load_media_stop(struct load *ld);

/* ---- stats.c ---- */

void load_hist_add(uint64_t *hist, uint64_t us);
/* The value (µs) below which fraction q of the samples lie; 0 without samples. */
double load_hist_quantile(const uint64_t *hist, uint64_t count, double q);

uint64_t load_now_ns(void);

/* CPU time of a process in seconds (utime + stime), -1 when unreadable. */
double load_proc_cpu(int pid);
/* CPU seconds of pid's threads summed by thread name (char * -> double *), to diff with
 * load_threads_delta(); NULL when unreadable. g_hash_table_unref it. */
GHashTable *load_threads_snapshot(int pid);
/* "name:cores,..." over wall seconds between two snapshots, busiest first. g_free it. */
char *load_threads_delta(GHashTable *before, GHashTable *after, double wall);
/* CPU seconds of every process (utime, stime and their reaped children's), by pid (GINT_TO_POINTER
 * -> double *): what else ran beside the daemon and us. g_hash_table_unref it. */
GHashTable *load_procs_snapshot(void);
/* Cores the processes other than skip_a and skip_b used over wall seconds between snapshots.
 * Processes that ended in between are missed unless their parent reaped them. */
double load_procs_delta(GHashTable *before, GHashTable *after, int skip_a, int skip_b, double wall);
/* The network namespace's UDP counter `name` (/proc/net/snmp: RcvbufErrors, ...), or -1. */
int64_t load_udp_counter(const char *name);

#endif
