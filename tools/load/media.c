/* SPDX-License-Identifier: MIT */
/*
 * Media of the load sessions: a sender thread that builds, protects and sends RTP at the
 * phase's rate, and the receive side that unprotects and checks every echo.
 *
 * Sending uses a duplicate of each session's selected ICE socket and sendmmsg: sending from
 * a socket libnice also uses is harmless. Receiving is not: libnice reads that socket on the
 * media I/O thread, for STUN (connectivity checks and RFC 7675 consent) as well as media, so
 * a second reader would steal consent traffic from it (the session dies ~30 s later) and lose
 * to it the media it happened to read. The echoes therefore come the way the gateway's own
 * media comes: libnice reads, ponte_ice's receive callback classifies, and RTP goes to the
 * dataplane named by ponte_ice_set_media_sink(). That dataplane is ours: a backend with
 * only an input op (the backend contract of dataplane/backend.h), which unprotects and checks
 * the packet right there on the media I/O thread, with no second hop or copy to a queue.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <ponte/demux.h>

#include "backend.h"
#include "load.h"

#define BATCH 64
#define BUF_SIZE 2048

#define STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)

/* The payload after struct load_payload: xorshift64 from the sequence and the session. */
static void fill_pattern(uint8_t *p, size_t len, uint64_t seq, uint32_t session)
{
	uint64_t x = ((seq + 1) * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)session << 32) ^ 1;

	for (size_t i = 0; i < len; i += 8) {
		size_t n = len - i < 8 ? len - i : 8;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, n);
	}
}

/* ---- receive: the sink dataplane ---- */

struct load_sink {
	struct ponte_dp base;
	struct load *ld;
	/* The media I/O thread's: ponte_dp_input() has one caller thread (dataplane.h). */
	uint8_t buf[BUF_SIZE];
	uint8_t want[BUF_SIZE];
};

struct load_media {
	struct load *ld;
	pthread_t thread;
	bool has_thread;
	pthread_mutex_t lock; /* protects phase */
	struct {
		unsigned gen;
		double rate;
		uint64_t start_ns;
		bool is_stopping;
	} phase;
	struct load_session **ready;
	unsigned nb_ready;
	/* The sender thread's buffers. */
	uint8_t bufs[BATCH][BUF_SIZE];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
};

/* An authenticated echo: is it exactly what session s sent? Returns its phase, or -1. */
static int check_echo(struct load_sink *k, struct load_session *s, const uint8_t *pkt,
		      size_t len)
{
	struct load_payload pl;
	size_t size = (size_t)k->ld->o.size;
	uint32_t ssrc;

	if (len != size || pkt[0] != 0x80 || (pkt[1] & 0x7f) != 111)
		return -1;
	memcpy(&ssrc, pkt + 8, 4);
	memcpy(&pl, pkt + LOAD_RTP_HEADER, sizeof(pl));
	if (ntohl(ssrc) != s->echo_ssrc || pl.magic != LOAD_MAGIC || pl.session != s->idx ||
	    pl.gen >= LOAD_MAX_GENS || (uint16_t)pl.seq != (uint16_t)(pkt[2] << 8 | pkt[3]))
		return -1;
	fill_pattern(k->want, size - LOAD_MIN_SIZE, pl.seq, pl.session);
	if (memcmp(pkt + LOAD_MIN_SIZE, k->want, size - LOAD_MIN_SIZE) != 0)
		return -1;
	return (int)pl.gen;
}

/* The receive side, on the media I/O thread, under ponte_ice's sink lock. */
static int sink_input(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *src,
		      const uint8_t *pkt, size_t len)
{
	struct load_sink *k = (struct load_sink *)dp;
	struct load *ld = k->ld;
	struct load_gen_stats *g;
	struct load_session *s;
	size_t n = len;
	int rc, gen;

	if (port_id == 0 || port_id > (uint32_t)ld->o.nb_sessions || len > BUF_SIZE ||
	    ponte_demux_classify(pkt, len) != PONTE_PKT_RTP)
		return 0; /* RTCP or noise: the gateway sends none of its own in echo */
	s = &ld->sessions[port_id - 1];
	memcpy(k->buf, pkt, len);
	rc = s->rx->engine->rtp(s->rx, k->buf, &n, BUF_SIZE);
	if (rc != 0) {
		g = &ld->gens[__atomic_load_n(&ld->cur_gen, __ATOMIC_RELAXED)];
		if (rc == -EALREADY)
			STAT_ADD(g->replayed, 1);
		else
			STAT_ADD(g->auth_failed, 1);
		return 0;
	}
	gen = check_echo(k, s, k->buf, n);
	if (gen < 0) {
		g = &ld->gens[__atomic_load_n(&ld->cur_gen, __ATOMIC_RELAXED)];
		STAT_ADD(g->bad_payload, 1);
		return 0;
	}
	g = &ld->gens[gen];
	{
		struct load_payload pl;
		uint64_t now = load_now_ns();

		memcpy(&pl, k->buf + LOAD_RTP_HEADER, sizeof(pl));
		load_hist_add(g->hist, now > pl.sent_ns ? (now - pl.sent_ns) / 1000 : 0);
	}
	STAT_ADD(g->returned, 1);
	STAT_ADD(s->nb_returned, 1);
	return 0;
}

static void sink_destroy(struct ponte_dp *dp)
{
	free(dp);
}

/* Nothing but input is ever called on a media sink (control/ice.c); the rest refuse. */
static int sink_port_attach(struct ponte_dp *dp, int fd, uint32_t *port_id)
{
	return -ENOTSUP;
}

static int sink_port_open(struct ponte_dp *dp, struct ponte_addr *local, uint16_t port_min,
			  uint16_t port_max, uint32_t *port_id)
{
	return -ENOTSUP;
}

static int sink_port_close(struct ponte_dp *dp, uint32_t port_id)
{
	return -ENOTSUP;
}

static int sink_flow(struct ponte_dp *dp, const struct ponte_flow_spec *spec)
{
	return -ENOTSUP;
}

static int sink_flow_delete(struct ponte_dp *dp, uint64_t id)
{
	return -ENOTSUP;
}

static int sink_flow_stats(struct ponte_dp *dp, uint64_t id, struct ponte_flow_stats *out)
{
	return -ENOTSUP;
}

static int sink_flow_inject(struct ponte_dp *dp, uint64_t id, unsigned output, const uint8_t *pkt,
			    size_t len)
{
	return -ENOTSUP;
}

static int sink_send(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *dst,
		     const uint8_t *pkt, size_t len)
{
	return -ENOTSUP;
}

static int sink_punt_fd(const struct ponte_dp *dp)
{
	return -ENOTSUP;
}

static int sink_punt_read(struct ponte_dp *dp, struct ponte_dp_punt *out)
{
	return 0;
}

static int sink_sync(struct ponte_dp *dp)
{
	return 0;
}

static void sink_get_stats(struct ponte_dp *dp, struct ponte_dp_stats *out)
{
	memset(out, 0, sizeof(*out));
}

static const struct dp_backend_ops sink_ops = {
	.name = "load-sink",
	.destroy = sink_destroy,
	.port_attach = sink_port_attach,
	.port_open = sink_port_open,
	.port_close = sink_port_close,
	.flow_add = sink_flow,
	.flow_modify = sink_flow,
	.flow_delete = sink_flow_delete,
	.flow_stats = sink_flow_stats,
	.flow_inject = sink_flow_inject,
	.input = sink_input,
	.send = sink_send,
	.punt_fd = sink_punt_fd,
	.punt_read = sink_punt_read,
	.sync = sink_sync,
	.get_stats = sink_get_stats,
};

int load_sink_create(struct load *ld, struct ponte_dp **out)
{
	struct load_sink *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return -ENOMEM;
	k->base.ops = &sink_ops;
	k->ld = ld;
	*out = &k->base;
	return 0;
}

void load_sink_destroy(struct ponte_dp *dp)
{
	if (dp != NULL)
		dp->ops->destroy(dp);
}

/* ---- send ---- */

/* Build, protect and send n packets of phase gen for s, in one sendmmsg where possible. */
static void send_batch(struct load_media *m, struct load_session *s, unsigned gen, unsigned n)
{
	struct load *ld = m->ld;
	struct load_gen_stats *g = &ld->gens[gen];
	unsigned nb = 0, sent = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = m->bufs[nb];
		uint64_t seq = s->next_seq++;
		uint32_t ts = htonl((uint32_t)(seq * 960)), ssrc = htonl(s->ssrc);
		struct load_payload pl = {
			.magic = LOAD_MAGIC,
			.session = s->idx,
			.gen = gen,
			.seq = seq,
		};
		size_t len = (size_t)ld->o.size;

		p[0] = 0x80;
		p[1] = 111;
		p[2] = (uint8_t)(seq >> 8);
		p[3] = (uint8_t)seq;
		memcpy(p + 4, &ts, 4);
		memcpy(p + 8, &ssrc, 4);
		fill_pattern(p + LOAD_MIN_SIZE, len - LOAD_MIN_SIZE, seq, s->idx);
		pl.sent_ns = load_now_ns();
		memcpy(p + LOAD_RTP_HEADER, &pl, sizeof(pl));
		if (s->tx->engine->rtp(s->tx, p, &len, BUF_SIZE) != 0)
			continue;
		m->iov[nb] = (struct iovec){.iov_base = p, .iov_len = len};
		m->msgs[nb].msg_hdr = (struct msghdr){
			.msg_name = &s->dst,
			.msg_namelen = s->dst_len,
			.msg_iov = &m->iov[nb],
			.msg_iovlen = 1,
		};
		nb++;
	}
	for (unsigned off = 0; off < nb;) {
		int rc = sendmmsg(s->fd, &m->msgs[off], nb - off, MSG_DONTWAIT);

		if (rc <= 0) {
			/* The message that failed is lost; go on with the rest. */
			off++;
			continue;
		}
		sent += (unsigned)rc;
		off += (unsigned)rc;
	}
	STAT_ADD(g->sent, sent);
	STAT_ADD(g->send_errors, n - sent);
	STAT_ADD(s->nb_sent, sent);
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/*
 * Each session sends rate / nb_ready packets a second, its packets due at fixed times from
 * the phase start; sessions are staggered across one period so that the aggregate is smooth
 * at the tick's resolution. Every tick sends what has come due; when the thread falls behind
 * it sends without sleeping, up to BATCH per session per pass, and the offered rate it
 * reaches is what the counters say.
 */
static void *sender_main(void *arg)
{
	struct load_media *m = arg;
	struct load *ld = m->ld;
	uint64_t tick = (uint64_t)ld->o.tick_us * 1000ull;
	uint64_t next = load_now_ns();
	unsigned gen = ~0u;
	uint64_t start = 0;

	/* Wake-ups close to the tick: the default 50 µs slack blurs a 1 ms schedule. */
	prctl(PR_SET_TIMERSLACK, 1000UL);
	for (;;) {
		bool is_behind = false;
		double rate;

		pthread_mutex_lock(&m->lock);
		if (m->phase.is_stopping) {
			pthread_mutex_unlock(&m->lock);
			break;
		}
		rate = m->phase.rate;
		if (m->phase.gen != gen || m->phase.start_ns != start) {
			gen = m->phase.gen;
			start = m->phase.start_ns;
			for (unsigned i = 0; i < m->nb_ready; i++)
				m->ready[i]->phase_sent = 0;
		}
		pthread_mutex_unlock(&m->lock);
		if (rate > 0) {
			double per = rate / m->nb_ready;
			uint64_t now = load_now_ns();
			double elapsed = (double)(now - start) * 1e-9;

			for (unsigned i = 0; i < m->nb_ready; i++) {
				struct load_session *s = m->ready[i];
				uint64_t due = (uint64_t)(elapsed * per + (i + 0.5) / m->nb_ready);
				uint64_t n;

				if (due <= s->phase_sent)
					continue;
				n = due - s->phase_sent;
				if (n > BATCH) {
					n = BATCH;
					is_behind = true;
				}
				send_batch(m, s, gen, (unsigned)n);
				s->phase_sent += n;
			}
		}
		if (!is_behind) {
			uint64_t now = load_now_ns();

			next += tick;
			if (next < now)
				next = now;
			sleep_until(next);
		}
	}
	return NULL;
}

int load_media_start(struct load *ld)
{
	struct load_media *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL)
		return -ENOMEM;
	m->ld = ld;
	pthread_mutex_init(&m->lock, NULL);
	m->ready = calloc((size_t)ld->o.nb_sessions, sizeof(*m->ready));
	if (m->ready == NULL) {
		free(m);
		return -ENOMEM;
	}
	for (int i = 0; i < ld->o.nb_sessions; i++)
		if (ld->sessions[i].state == LOAD_S_READY)
			m->ready[m->nb_ready++] = &ld->sessions[i];
	ld->media = m;
	if (m->nb_ready == 0)
		return -ENOTCONN;
	rc = -pthread_create(&m->thread, NULL, sender_main, m);
	if (rc != 0)
		return rc;
	pthread_setname_np(m->thread, "load-send");
	m->has_thread = true;
	return 0;
}

void load_media_set_phase(struct load *ld, unsigned gen, double rate)
{
	struct load_media *m = ld->media;

	if (m == NULL)
		return;
	__atomic_store_n(&ld->cur_gen, gen, __ATOMIC_RELAXED);
	pthread_mutex_lock(&m->lock);
	m->phase.gen = gen;
	m->phase.rate = rate;
	m->phase.start_ns = load_now_ns();
	pthread_mutex_unlock(&m->lock);
}

void load_media_stop(struct load *ld)
{
	struct load_media *m = ld->media;

	if (m == NULL)
		return;
	if (m->has_thread) {
		pthread_mutex_lock(&m->lock);
		m->phase.is_stopping = true;
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	pthread_mutex_destroy(&m->lock);
	free(m->ready);
	free(m);
	ld->media = NULL;
}
