/* SPDX-License-Identifier: MIT */
/*
 * The socket backend: one dataplane thread with ordinary UDP sockets.
 *
 * The control thread never touches the dataplane thread's tables. It builds each flow entry
 * (SRTP contexts included) off-table and sends a pointer through a command ring; the
 * dataplane thread publishes it between two bursts, and hands replaced or deleted entries
 * back through a garbage ring for the control thread to wipe and free. Packets of attached
 * ports (ICE sockets read by the control plane's media I/O thread) arrive through an input
 * ring; packets of owned ports are read with recvmmsg. Sends are batched with sendmmsg.
 */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ponte/demux.h>

#include "htab.h"
#include "pipeline.h"
#include "ring.h"
#include "sockaddr.h"
#include "rtp.h"
#include "srtp.h"

#define BURST 32
#define BUF_SIZE DP_PIPE_BUF
#define PKT_MAX DP_PIPE_PKT_MAX /* room for an SRTP tag and SRTCP index */
#define TX_MAX (BURST * 2)
#define CMD_RING 4096
#define GARBAGE_RING 8192
#define PUNT_RING 1024

enum cmd_type {
	CMD_PORT_ADD,
	CMD_PORT_DEL,
	CMD_FLOW_ADD,
	CMD_FLOW_REPLACE,
	CMD_FLOW_DEL,
	CMD_SEND, /* ptr: struct txbuf, sent as it is */
	CMD_INJECT, /* ptr: struct txbuf, through flow `id` output `output` */
	CMD_SYNC,
	CMD_STOP,
};

struct cmd {
	uint32_t type;
	uint32_t output;
	uint64_t id;
	uint64_t seq;
	void *ptr;
};

enum garbage_type {
	G_FLOW,
	G_PORT,
	G_BUF,
};

struct garbage {
	uint32_t type;
	void *ptr;
};

struct port {
	uint32_t id;
	int fd; /* -1 for a port another component sends for (tx_fn) */
	bool is_owned;
	ponte_dp_tx_fn tx_fn;
	void *tx_ctx;
	struct ponte_addr local;
};

struct txbuf {
	uint32_t port_id;
	struct ponte_addr dst;
	uint16_t len;
	uint8_t data[BUF_SIZE];
};

struct in_slot {
	uint32_t port_id;
	uint16_t len;
	struct ponte_addr src;
	uint8_t data[BUF_SIZE];
};

struct dp_stats_w {
	uint64_t rx_pkts, no_flow, punted, punt_drops, tx_pkts, tx_errors;
};

struct sock_dp {
	struct ponte_dp base;
	const struct dp_srtp_engine *srtp;
	struct dp_pipe pipe; /* the pipeline's view of this backend */
	struct ponte_dp_config cfg;
	pthread_t thread;
	bool is_running;
	int epfd;
	int cmd_efd; /* control -> dataplane: commands or input waiting */
	int punt_efd; /* dataplane -> control: punted packets waiting */
	int ack_efd; /* dataplane -> control: a sync completed */
	struct dp_ring cmds, garbage, punts, input;
	uint64_t next_seq;
	_Atomic uint64_t done_seq;
	_Atomic uint64_t input_drops;

	/* Control thread's view. */
	struct port **c_ports; /* by id, 1..max_ports */
	struct dp_htab c_by_id, c_by_key;

	/* Dataplane thread's tables. */
	struct port **d_ports;
	struct dp_htab d_by_id, d_by_key;
	struct dp_stats_w st;

	/* Dataplane thread's burst state. */
	struct mmsghdr tx_msgs[TX_MAX];
	struct iovec tx_iov[TX_MAX];
	struct sockaddr_storage tx_addr[TX_MAX];
	int tx_fd[TX_MAX];
	uint8_t (*tx_bufs)[BUF_SIZE];
	unsigned nb_tx;
	uint8_t (*rx_bufs)[BUF_SIZE];
};

#define STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)
#define STAT_LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

static struct sock_dp *to_sock(struct ponte_dp *dp)
{
	return (struct sock_dp *)dp;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- keys ---- */

struct flow_key {
	uint32_t port_id;
	struct ponte_addr src;
};

static uint64_t key_hash(uint32_t port_id, const struct ponte_addr *src)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.port_id = port_id;
	if (src != NULL && src->family != 0) {
		k.src.family = src->family;
		k.src.port = src->port;
		memcpy(k.src.ip, src->ip, src->family == AF_INET ? 4 : 16);
	}
	return dp_hash_bytes(&k, sizeof(k), 0x9e3779b97f4a7c15ull);
}

static bool key_eq(const void *item, const void *key)
{
	const struct dp_flow *f = item;
	const struct flow_key *k = key;

	if (f->spec.port_id != k->port_id)
		return false;
	if (k->src.family == 0)
		return f->spec.src.family == 0;
	return ponte_addr_equal(&f->spec.src, &k->src);
}

static uint64_t id_hash(uint64_t id)
{
	return dp_hash_bytes(&id, sizeof(id), 0);
}

static bool id_eq(const void *item, const void *key)
{
	return ((const struct dp_flow *)item)->spec.id == *(const uint64_t *)key;
}

static struct dp_flow *find_by_id(const struct dp_htab *t, uint64_t id)
{
	return dp_htab_find(t, id_hash(id), id_eq, &id);
}

static struct dp_flow *find_by_key(const struct dp_htab *t, uint32_t port_id,
				const struct ponte_addr *src)
{
	struct flow_key k;
	struct dp_flow *f;

	memset(&k, 0, sizeof(k));
	k.port_id = port_id;
	if (src != NULL)
		k.src = *src;
	f = dp_htab_find(t, key_hash(port_id, src), key_eq, &k);
	if (f != NULL || src == NULL || src->family == 0)
		return f;
	/* A port-wide flow catches what no exact flow claims. */
	k.src.family = 0;
	return dp_htab_find(t, key_hash(port_id, NULL), key_eq, &k);
}

/* ---- rings between the threads ---- */

static void efd_signal(int fd)
{
	uint64_t one = 1;

	(void)!write(fd, &one, sizeof(one));
}

static void efd_drain(int fd)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
}

static void collect_garbage(struct sock_dp *s);

/* Control thread: queue a command, waiting if the ring is full (the dataplane drains it
 * between bursts, so the wait is short). */
static uint64_t cmd_send(struct sock_dp *s, uint32_t type, uint64_t id, uint32_t output,
			 void *ptr)
{
	struct cmd *c;

	/* Collect while waiting: the dataplane thread may itself wait for garbage room. */
	while ((c = dp_ring_reserve(&s->cmds, NULL)) == NULL) {
		collect_garbage(s);
		sched_yield();
	}
	c->type = type;
	c->id = id;
	c->output = output;
	c->ptr = ptr;
	c->seq = ++s->next_seq;
	uint64_t seq = c->seq;

	if (dp_ring_push_wake(&s->cmds))
		efd_signal(s->cmd_efd);
	return seq;
}

static void collect_garbage(struct sock_dp *s)
{
	struct garbage *g;

	while ((g = dp_ring_peek(&s->garbage)) != NULL) {
		switch (g->type) {
		case G_FLOW:
			dp_flow_free(s->srtp, g->ptr);
			break;
		case G_PORT: {
			struct port *p = g->ptr;

			if (p->fd >= 0)
				close(p->fd);
			free(p);
			break;
		}
		case G_BUF:
			explicit_bzero(g->ptr, sizeof(struct txbuf));
			free(g->ptr);
			break;
		}
		dp_ring_pop(&s->garbage);
	}
}

/* Dataplane thread: hand an object back. The ring is sized for the command ring's worth of
 * objects plus the inputs, so it cannot fill while the control thread collects. */
static void give_back(struct sock_dp *s, uint32_t type, void *ptr)
{
	struct garbage *g;

	while ((g = dp_ring_reserve(&s->garbage, NULL)) == NULL)
		sched_yield();
	g->type = type;
	g->ptr = ptr;
	dp_ring_push(&s->garbage);
}

/* ---- dataplane thread: transmit ---- */

static void tx_flush(struct sock_dp *s)
{
	unsigned i = 0;

	/* One sendmmsg per run of messages for the same socket. */
	while (i < s->nb_tx) {
		unsigned j = i + 1;
		int sent;

		while (j < s->nb_tx && s->tx_fd[j] == s->tx_fd[i])
			j++;
		while (i < j) {
			sent = sendmmsg(s->tx_fd[i], &s->tx_msgs[i], j - i, MSG_DONTWAIT);
			if (sent <= 0) {
				/* Drop the message that failed and go on with the rest. */
				STAT_ADD(s->st.tx_errors, 1);
				i++;
				continue;
			}
			STAT_ADD(s->st.tx_pkts, (uint64_t)sent);
			i += (unsigned)sent;
		}
	}
	s->nb_tx = 0;
}

/* The next transmit buffer, flushing first when the batch is full. */
static uint8_t *tx_buf(struct sock_dp *s)
{
	if (s->nb_tx == TX_MAX)
		tx_flush(s);
	return s->tx_bufs[s->nb_tx];
}

static void tx_queue(struct sock_dp *s, const struct port *p, const struct ponte_addr *dst,
		     size_t len)
{
	unsigned i = s->nb_tx;
	socklen_t alen;

	if (p->tx_fn != NULL) {
		/* Not batched: the other component frames and sends it now. */
		if (p->tx_fn(p->tx_ctx, s->tx_bufs[i], len) == 0)
			STAT_ADD(s->st.tx_pkts, 1);
		else
			STAT_ADD(s->st.tx_errors, 1);
		return;
	}
	dp_addr_to_sockaddr(dst, &s->tx_addr[i], &alen);
	s->tx_iov[i].iov_base = s->tx_bufs[i];
	s->tx_iov[i].iov_len = len;
	memset(&s->tx_msgs[i], 0, sizeof(s->tx_msgs[i]));
	s->tx_msgs[i].msg_hdr.msg_name = &s->tx_addr[i];
	s->tx_msgs[i].msg_hdr.msg_namelen = alen;
	s->tx_msgs[i].msg_hdr.msg_iov = &s->tx_iov[i];
	s->tx_msgs[i].msg_hdr.msg_iovlen = 1;
	s->tx_fd[i] = p->fd;
	s->nb_tx++;
}

static struct port *d_port(struct sock_dp *s, uint32_t id)
{
	return id >= 1 && id <= s->cfg.max_ports ? s->d_ports[id] : NULL;
}

/* ---- the pipeline's hooks (dataplane thread) ---- */

static uint8_t *pipe_tx_buf(void *be)
{
	return tx_buf(be);
}

static bool pipe_tx(void *be, uint32_t port_id, const struct ponte_addr *dst, size_t len,
		    struct dp_nh_cache *nh)
{
	struct sock_dp *s = be;
	struct port *p = d_port(s, port_id);

	(void)nh; /* the kernel routes */
	if (p == NULL)
		return false;
	tx_queue(s, p, dst, len);
	return true;
}

static struct dp_flow *pipe_flow_by_id(void *be, uint64_t id, void **hint)
{
	return find_by_id(&((struct sock_dp *)be)->d_by_id, id);
}

static void punt(struct sock_dp *s, uint32_t port_id, const struct ponte_addr *src,
		 const uint8_t *pkt, size_t len);

static void pipe_mirror(void *be, const struct dp_flow *f, const struct ponte_addr *src,
			const uint8_t *pkt, size_t len)
{
	punt(be, f->spec.port_id, src, pkt, len);
}

/* ---- dataplane thread: receive ---- */

static void punt(struct sock_dp *s, uint32_t port_id, const struct ponte_addr *src,
		 const uint8_t *pkt, size_t len)
{
	struct ponte_dp_punt *slot = dp_ring_reserve(&s->punts, NULL);

	if (slot == NULL) {
		STAT_ADD(s->st.punt_drops, 1);
		return;
	}
	slot->port_id = port_id;
	slot->src = *src;
	slot->len = (uint16_t)len;
	memcpy(slot->data, pkt, len);
	STAT_ADD(s->st.punted, 1);
	if (dp_ring_push_wake(&s->punts))
		efd_signal(s->punt_efd);
}

/* One received packet in a buffer of BUF_SIZE bytes, processed in place. */
static void process(struct sock_dp *s, struct port *p, const struct ponte_addr *src,
		    uint8_t *pkt, size_t len)
{
	enum ponte_pkt_class cls = ponte_demux_classify(pkt, len);
	struct dp_flow *f;

	STAT_ADD(s->st.rx_pkts, 1);
	if (cls != PONTE_PKT_RTP && cls != PONTE_PKT_RTCP) {
		/* STUN, DTLS and the unknown belong to the control plane (RFC 7983). */
		if (p->is_owned)
			punt(s, p->id, src, pkt, len);
		return;
	}
	f = find_by_key(&s->d_by_key, p->id, src);
	if (f == NULL) {
		STAT_ADD(s->st.no_flow, 1);
		if (p->is_owned)
			punt(s, p->id, src, pkt, len);
		return;
	}
	dp_pipe_input(&s->pipe, f, src, cls == PONTE_PKT_RTCP, pkt, len, now_ns());
}

static void drain_input(struct sock_dp *s)
{
	struct in_slot *in;
	unsigned n = 0;

	while (n++ < 4 * BURST && (in = dp_ring_peek(&s->input)) != NULL) {
		struct port *p = d_port(s, in->port_id);

		if (p != NULL)
			process(s, p, &in->src, in->data, in->len);
		dp_ring_pop(&s->input);
	}
}

static void read_port(struct sock_dp *s, struct port *p)
{
	struct mmsghdr msgs[BURST];
	struct iovec iov[BURST];
	struct sockaddr_storage from[BURST];
	int n;

	for (int i = 0; i < BURST; i++) {
		iov[i].iov_base = s->rx_bufs[i];
		iov[i].iov_len = PKT_MAX;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(p->fd, msgs, BURST, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		struct ponte_addr src;

		if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			continue;
		dp_sockaddr_to_addr(&from[i], &src);
		process(s, p, &src, s->rx_bufs[i], msgs[i].msg_len);
	}
}

/* ---- dataplane thread: commands ---- */

static void apply_replace(struct sock_dp *s, struct dp_flow *nf)
{
	struct dp_flow *old = find_by_id(&s->d_by_id, nf->spec.id);

	if (old != NULL) {
		dp_htab_remove(&s->d_by_id, id_hash(old->spec.id), old);
		dp_htab_remove(&s->d_by_key, old->key_hash, old);
		/* Counters, the latched source (same latch_epoch), RTCP state and each kept
		 * output's stream continuity go on across a modify. */
		dp_flow_carry_over(nf, old);
		give_back(s, G_FLOW, old);
	}
	dp_htab_insert(&s->d_by_id, id_hash(nf->spec.id), nf);
	dp_htab_insert(&s->d_by_key, nf->key_hash, nf);
}

static bool apply(struct sock_dp *s, struct cmd *c)
{
	switch (c->type) {
	case CMD_PORT_ADD: {
		struct port *p = c->ptr;

		s->d_ports[p->id] = p;
		if (p->is_owned) {
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};

			epoll_ctl(s->epfd, EPOLL_CTL_ADD, p->fd, &ev);
		}
		break;
	}
	case CMD_PORT_DEL: {
		struct port *p = d_port(s, (uint32_t)c->id);

		if (p != NULL) {
			tx_flush(s); /* queued sends may name its socket */
			if (p->is_owned)
				epoll_ctl(s->epfd, EPOLL_CTL_DEL, p->fd, NULL);
			s->d_ports[p->id] = NULL;
			give_back(s, G_PORT, p);
		}
		break;
	}
	case CMD_FLOW_ADD:
	case CMD_FLOW_REPLACE:
		apply_replace(s, c->ptr);
		break;
	case CMD_FLOW_DEL: {
		struct dp_flow *f = find_by_id(&s->d_by_id, c->id);

		if (f != NULL) {
			dp_htab_remove(&s->d_by_id, id_hash(f->spec.id), f);
			dp_htab_remove(&s->d_by_key, f->key_hash, f);
			give_back(s, G_FLOW, f);
		}
		break;
	}
	case CMD_SEND: {
		struct txbuf *b = c->ptr;
		struct port *p = d_port(s, b->port_id);

		if (p != NULL) {
			memcpy(tx_buf(s), b->data, b->len);
			tx_queue(s, p, &b->dst, b->len);
		}
		give_back(s, G_BUF, b);
		break;
	}
	case CMD_INJECT: {
		struct txbuf *b = c->ptr;
		struct dp_flow *f = find_by_id(&s->d_by_id, c->id);

		if (f != NULL)
			dp_pipe_inject(&s->pipe, f, c->output, b->data, b->len);
		give_back(s, G_BUF, b);
		break;
	}
	case CMD_SYNC:
		break;
	case CMD_STOP:
		return false;
	}
	return true;
}

static bool drain_commands(struct sock_dp *s)
{
	struct cmd *c;
	bool go_on = true;
	uint64_t last = 0;

	while (go_on && (c = dp_ring_peek(&s->cmds)) != NULL) {
		go_on = apply(s, c);
		last = c->seq;
		dp_ring_pop(&s->cmds);
	}
	if (last != 0) {
		/* Sends queued by commands leave before the sync that follows them is acked. */
		tx_flush(s);
		atomic_store_explicit(&s->done_seq, last, memory_order_release);
		efd_signal(s->ack_efd);
	}
	return go_on;
}

static void *dp_thread(void *arg)
{
	struct sock_dp *s = arg;
	struct epoll_event evs[64];
	bool go_on = true;

	/* The engine's per-thread state now, not on the first packet (-ENOMEM: it tries again
	 * there, and counts a failure per packet if it still cannot). */
	(void)dp_srtp_thread_init(s->srtp);
	while (go_on) {
		/* Sleep only if both rings are empty, fenced against the producers' pushes. */
		bool is_busy = dp_ring_idle_check(&s->input) || dp_ring_idle_check(&s->cmds);
		int n = epoll_wait(s->epfd, evs, 64, is_busy ? 0 : 1000);

		/* Commands first: a packet that arrived after a flow change was made must meet
		 * the changed flow. */
		go_on = drain_commands(s);
		for (int i = 0; go_on && i < n; i++) {
			if (evs[i].data.ptr == NULL)
				efd_drain(s->cmd_efd);
			else
				read_port(s, evs[i].data.ptr);
		}
		drain_input(s);
		/* More input may wait than one round takes; loop without sleeping. */
		while (dp_ring_peek(&s->input) != NULL) {
			tx_flush(s);
			drain_input(s);
		}
		tx_flush(s);
	}
	return NULL;
}

/* ---- control thread API ---- */

static int sock_sync(struct ponte_dp *dp)
{
	struct sock_dp *s = to_sock(dp);
	uint64_t seq = cmd_send(s, CMD_SYNC, 0, 0, NULL);
	int waited = 0;

	while (atomic_load_explicit(&s->done_seq, memory_order_acquire) < seq) {
		struct timespec ts = {0, 200000};

		nanosleep(&ts, NULL);
		if (++waited > 25000) /* 5 s: the dataplane thread is stuck */
			return -ETIMEDOUT;
	}
	efd_drain(s->ack_efd);
	collect_garbage(s);
	return 0;
}

static uint32_t alloc_port_id(struct sock_dp *s)
{
	for (uint32_t id = 1; id <= s->cfg.max_ports; id++)
		if (s->c_ports[id] == NULL)
			return id;
	return 0;
}

static int add_port(struct sock_dp *s, int fd, bool is_owned, const struct ponte_addr *local,
		    ponte_dp_tx_fn tx_fn, void *tx_ctx, uint32_t *port_id)
{
	uint32_t id = alloc_port_id(s);
	struct port *p;

	if (id == 0)
		return -ENOSPC;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->id = id;
	p->fd = fd;
	p->is_owned = is_owned;
	p->tx_fn = tx_fn;
	p->tx_ctx = tx_ctx;
	if (local != NULL)
		p->local = *local;
	s->c_ports[id] = p;
	cmd_send(s, CMD_PORT_ADD, id, 0, p);
	*port_id = id;
	return 0;
}

static int sock_port_attach(struct ponte_dp *dp, int fd, uint32_t *port_id)
{
	struct sock_dp *s = to_sock(dp);
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int rc;

	collect_garbage(s);
	if (dup_fd < 0)
		return -errno;
	rc = add_port(s, dup_fd, false, NULL, NULL, NULL, port_id);
	if (rc != 0)
		close(dup_fd);
	return rc;
}

static int sock_port_attach_fn(struct ponte_dp *dp, ponte_dp_tx_fn fn, void *ctx,
			       uint32_t *port_id)
{
	struct sock_dp *s = to_sock(dp);

	collect_garbage(s);
	return add_port(s, -1, false, NULL, fn, ctx, port_id);
}

static int sock_port_open(struct ponte_dp *dp, struct ponte_addr *local, uint16_t port_min,
			  uint16_t port_max, uint32_t *port_id)
{
	struct sock_dp *s = to_sock(dp);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd, rc;

	collect_garbage(s);
	if (local->family != AF_INET && local->family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(local->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Media arrives in bursts (a video keyframe is dozens of packets at once): a deep
	 * receive queue rides them out. FORCE needs CAP_NET_ADMIN; the plain one is capped. */
	int rcvbuf = 1 << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	rc = dp_bind_in_range(fd, local, port_min, port_max);
	if (rc == 0 && getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		rc = -errno;
	if (rc == 0) {
		dp_sockaddr_to_addr(&ss, local);
		rc = add_port(s, fd, true, local, NULL, NULL, port_id);
	}
	if (rc != 0)
		close(fd);
	return rc;
}

static int sock_port_close(struct ponte_dp *dp, uint32_t port_id)
{
	struct sock_dp *s = to_sock(dp);

	collect_garbage(s);
	if (port_id < 1 || port_id > s->cfg.max_ports || s->c_ports[port_id] == NULL)
		return -ENOENT;
	s->c_ports[port_id] = NULL;
	cmd_send(s, CMD_PORT_DEL, port_id, 0, NULL);
	return 0;
}

/* Check the ports a spec names (control thread's view), then build its entry. */
static int flow_build(struct sock_dp *s, const struct ponte_flow_spec *spec, struct dp_flow *old,
		      struct dp_flow **out)
{
	if (spec->port_id < 1 || spec->port_id > s->cfg.max_ports ||
	    s->c_ports[spec->port_id] == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < spec->nb_outputs && i < PONTE_FLOW_MAX_OUTPUTS; i++) {
		uint32_t op = spec->outputs[i].port_id;

		if (op < 1 || op > s->cfg.max_ports || s->c_ports[op] == NULL)
			return -ENOENT;
	}
	int rc = dp_flow_build(s->srtp, spec, old, out);

	if (rc == 0)
		(*out)->key_hash = key_hash(spec->port_id, &spec->src);
	return rc;
}

static int sock_flow_add(struct ponte_dp *dp, const struct ponte_flow_spec *spec)
{
	struct sock_dp *s = to_sock(dp);
	struct dp_flow *f;
	int rc;

	collect_garbage(s);
	if (find_by_id(&s->c_by_id, spec->id) != NULL)
		return -EEXIST;
	if (dp_htab_find(&s->c_by_key, key_hash(spec->port_id, &spec->src), key_eq,
			 &(struct flow_key){spec->port_id, spec->src}) != NULL)
		return -EEXIST;
	if (s->c_by_id.nb >= s->cfg.max_flows)
		return -ENOSPC;
	rc = flow_build(s, spec, NULL, &f);
	if (rc != 0)
		return rc;
	dp_htab_insert(&s->c_by_id, id_hash(spec->id), f);
	dp_htab_insert(&s->c_by_key, f->key_hash, f);
	cmd_send(s, CMD_FLOW_ADD, spec->id, 0, f);
	return 0;
}

static int sock_flow_modify(struct ponte_dp *dp, const struct ponte_flow_spec *spec)
{
	struct sock_dp *s = to_sock(dp);
	struct dp_flow *old, *f, *other;
	int rc;

	collect_garbage(s);
	old = find_by_id(&s->c_by_id, spec->id);
	if (old == NULL)
		return -ENOENT;
	other = dp_htab_find(&s->c_by_key, key_hash(spec->port_id, &spec->src), key_eq,
			     &(struct flow_key){spec->port_id, spec->src});
	if (other != NULL && other != old)
		return -EEXIST;
	rc = flow_build(s, spec, old, &f);
	if (rc != 0)
		return rc;
	dp_htab_remove(&s->c_by_id, id_hash(old->spec.id), old);
	dp_htab_remove(&s->c_by_key, old->key_hash, old);
	dp_htab_insert(&s->c_by_id, id_hash(spec->id), f);
	dp_htab_insert(&s->c_by_key, f->key_hash, f);
	cmd_send(s, CMD_FLOW_REPLACE, spec->id, 0, f);
	return 0;
}

static int sock_flow_delete(struct ponte_dp *dp, uint64_t id)
{
	struct sock_dp *s = to_sock(dp);
	struct dp_flow *f;

	collect_garbage(s);
	f = find_by_id(&s->c_by_id, id);
	if (f == NULL)
		return -ENOENT;
	dp_htab_remove(&s->c_by_id, id_hash(id), f);
	dp_htab_remove(&s->c_by_key, f->key_hash, f);
	cmd_send(s, CMD_FLOW_DEL, id, 0, NULL);
	return 0;
}

static int sock_flow_stats(struct ponte_dp *dp, uint64_t id, struct ponte_flow_stats *out)
{
	struct sock_dp *s = to_sock(dp);
	struct dp_flow *f = find_by_id(&s->c_by_id, id);
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)out;

	if (f == NULL)
		return -ENOENT;
	/* The struct is all uint64_t: load each one atomically. */
	src = (const uint64_t *)&f->st;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	return 0;
}

static struct txbuf *txbuf_new(uint32_t port_id, const struct ponte_addr *dst,
			       const uint8_t *pkt, size_t len)
{
	struct txbuf *b;

	if (len > PKT_MAX)
		return NULL;
	b = malloc(sizeof(*b));
	if (b == NULL)
		return NULL;
	b->port_id = port_id;
	if (dst != NULL)
		b->dst = *dst;
	b->len = (uint16_t)len;
	memcpy(b->data, pkt, len);
	return b;
}

static int sock_flow_inject(struct ponte_dp *dp, uint64_t id, unsigned output, const uint8_t *pkt,
			    size_t len)
{
	struct sock_dp *s = to_sock(dp);
	struct dp_flow *f = find_by_id(&s->c_by_id, id);
	struct txbuf *b;

	collect_garbage(s);
	if (f == NULL)
		return -ENOENT;
	if (output >= f->spec.nb_outputs)
		return -EINVAL;
	if (ponte_demux_classify(pkt, len) == PONTE_PKT_RTCP ? !dp_rtcp_is_valid(pkt, len)
							      : !dp_rtp_is_valid(pkt, len))
		return -EINVAL;
	b = txbuf_new(0, NULL, pkt, len);
	if (b == NULL)
		return len > PKT_MAX ? -EMSGSIZE : -ENOMEM;
	cmd_send(s, CMD_INJECT, id, output, b);
	return 0;
}

static int sock_send(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *dst,
		     const uint8_t *pkt, size_t len)
{
	struct sock_dp *s = to_sock(dp);
	struct txbuf *b;

	collect_garbage(s);
	if (port_id < 1 || port_id > s->cfg.max_ports || s->c_ports[port_id] == NULL)
		return -ENOENT;
	b = txbuf_new(port_id, dst, pkt, len);
	if (b == NULL)
		return len > PKT_MAX ? -EMSGSIZE : -ENOMEM;
	cmd_send(s, CMD_SEND, 0, 0, b);
	return 0;
}

static int sock_input(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *src,
		      const uint8_t *pkt, size_t len)
{
	struct sock_dp *s = to_sock(dp);
	struct in_slot *slot;

	if (len > PKT_MAX)
		return -EMSGSIZE;
	slot = dp_ring_reserve(&s->input, NULL);
	if (slot == NULL) {
		atomic_fetch_add_explicit(&s->input_drops, 1, memory_order_relaxed);
		return -ENOBUFS;
	}
	slot->port_id = port_id;
	slot->src = *src;
	slot->len = (uint16_t)len;
	memcpy(slot->data, pkt, len);
	if (dp_ring_push_wake(&s->input))
		efd_signal(s->cmd_efd);
	return 0;
}

static int sock_punt_fd(const struct ponte_dp *dp)
{
	return ((const struct sock_dp *)dp)->punt_efd;
}

static int sock_punt_read(struct ponte_dp *dp, struct ponte_dp_punt *out)
{
	struct sock_dp *s = to_sock(dp);
	struct ponte_dp_punt *slot = dp_ring_peek(&s->punts);

	if (slot == NULL) {
		efd_drain(s->punt_efd);
		/* A punt may have landed between the peek and the drain: look again, fenced
		 * against the producer's dp_ring_push_wake(). */
		if (!dp_ring_idle_check(&s->punts))
			return 0;
		slot = dp_ring_peek(&s->punts);
	}
	memcpy(out, slot, offsetof(struct ponte_dp_punt, data) + slot->len);
	dp_ring_pop(&s->punts);
	return 1;
}

static void sock_get_stats(struct ponte_dp *dp, struct ponte_dp_stats *out)
{
	struct sock_dp *s = to_sock(dp);

	memset(out, 0, sizeof(*out));
	out->rx_pkts = STAT_LOAD(s->st.rx_pkts);
	out->no_flow = STAT_LOAD(s->st.no_flow);
	out->punted = STAT_LOAD(s->st.punted);
	out->punt_drops = STAT_LOAD(s->st.punt_drops);
	out->tx_pkts = STAT_LOAD(s->st.tx_pkts);
	out->tx_errors = STAT_LOAD(s->st.tx_errors);
	out->input_drops = atomic_load_explicit(&s->input_drops, memory_order_relaxed);
	out->nb_flows = s->c_by_id.nb;
	for (uint32_t id = 1; id <= s->cfg.max_ports; id++)
		out->nb_ports += s->c_ports[id] != NULL;
}

static void sock_destroy(struct ponte_dp *dp)
{
	struct sock_dp *s = to_sock(dp);

	if (s->is_running) {
		cmd_send(s, CMD_STOP, 0, 0, NULL);
		pthread_join(s->thread, NULL);
	}
	/* The thread is gone: drain what it gave back, then free what is still installed. */
	if (s->garbage.slots != NULL)
		collect_garbage(s);
	for (uint32_t i = 0; s->c_by_id.items != NULL && i <= s->c_by_id.mask; i++)
		if (s->c_by_id.items[i] != NULL)
			dp_flow_free(s->srtp, s->c_by_id.items[i]);
	for (uint32_t id = 1; s->c_ports != NULL && id <= s->cfg.max_ports; id++) {
		if (s->c_ports[id] != NULL) {
			if (s->c_ports[id]->fd >= 0)
				close(s->c_ports[id]->fd);
			free(s->c_ports[id]);
		}
	}
	/* Commands queued but never applied may hold buffers. */
	for (struct cmd *c; s->cmds.slots != NULL && (c = dp_ring_peek(&s->cmds)) != NULL;
	     dp_ring_pop(&s->cmds))
		if (c->type == CMD_SEND || c->type == CMD_INJECT)
			free(c->ptr);
	dp_htab_fini(&s->c_by_id);
	dp_htab_fini(&s->c_by_key);
	dp_htab_fini(&s->d_by_id);
	dp_htab_fini(&s->d_by_key);
	dp_ring_fini(&s->cmds);
	dp_ring_fini(&s->garbage);
	dp_ring_fini(&s->punts);
	dp_ring_fini(&s->input);
	free(s->c_ports);
	free(s->d_ports);
	free(s->tx_bufs);
	free(s->rx_bufs);
	const int fds[] = {s->epfd, s->cmd_efd, s->punt_efd, s->ack_efd};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(s);
}

static int sock_create(const struct ponte_dp_config *cfg, const struct dp_srtp_engine *srtp,
		       struct ponte_dp **out)
{
	struct sock_dp *s = calloc(1, sizeof(*s));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	int rc = -ENOMEM;

	if (s == NULL)
		return -ENOMEM;
	s->epfd = s->cmd_efd = s->punt_efd = s->ack_efd = -1;
	s->cfg = *cfg;
	s->srtp = srtp;
	s->pipe = (struct dp_pipe){
		.srtp = srtp,
		.be = s,
		.tx_buf = pipe_tx_buf,
		.tx = pipe_tx,
		.flow_by_id = pipe_flow_by_id,
		.mirror = pipe_mirror,
	};
	s->c_ports = calloc(cfg->max_ports + 1, sizeof(*s->c_ports));
	s->d_ports = calloc(cfg->max_ports + 1, sizeof(*s->d_ports));
	s->tx_bufs = calloc(TX_MAX, BUF_SIZE);
	s->rx_bufs = calloc(BURST, BUF_SIZE);
	if (s->c_ports == NULL || s->d_ports == NULL || s->tx_bufs == NULL || s->rx_bufs == NULL)
		goto fail;
	if (dp_htab_init(&s->c_by_id, cfg->max_flows) || dp_htab_init(&s->c_by_key, cfg->max_flows) ||
	    dp_htab_init(&s->d_by_id, cfg->max_flows) || dp_htab_init(&s->d_by_key, cfg->max_flows))
		goto fail;
	if (dp_ring_init(&s->cmds, CMD_RING, sizeof(struct cmd)) ||
	    dp_ring_init(&s->garbage, GARBAGE_RING + cfg->max_flows, sizeof(struct garbage)) ||
	    dp_ring_init(&s->punts, PUNT_RING, sizeof(struct ponte_dp_punt)) ||
	    dp_ring_init(&s->input, cfg->input_queue, sizeof(struct in_slot)))
		goto fail;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->cmd_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->punt_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->ack_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->epfd < 0 || s->cmd_efd < 0 || s->punt_efd < 0 || s->ack_efd < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->cmd_efd, &ev) != 0) {
		rc = -errno;
		goto fail;
	}
	rc = -pthread_create(&s->thread, NULL, dp_thread, s);
	if (rc != 0)
		goto fail;
	pthread_setname_np(s->thread, "ponte-dp");
	s->is_running = true;
	*out = &s->base;
	return 0;
fail:
	sock_destroy(&s->base);
	return rc;
}

const struct dp_backend_ops dp_sock_backend = {
	.name = "socket",
	.create = sock_create,
	.destroy = sock_destroy,
	.port_attach = sock_port_attach,
	.port_attach_fn = sock_port_attach_fn,
	.port_open = sock_port_open,
	.port_close = sock_port_close,
	.flow_add = sock_flow_add,
	.flow_modify = sock_flow_modify,
	.flow_delete = sock_flow_delete,
	.flow_stats = sock_flow_stats,
	.flow_inject = sock_flow_inject,
	.input = sock_input,
	.send = sock_send,
	.punt_fd = sock_punt_fd,
	.punt_read = sock_punt_read,
	.sync = sock_sync,
	.get_stats = sock_get_stats,
};
