/* SPDX-License-Identifier: MIT */
/*
 * The UDP transport: one socket per endpoint of the plan (the browser's port, the phone's RTP
 * and RTCP ports), whichever call a packet belongs to; the gateway's port tells calls apart.
 * sendmmsg per endpoint per batch, recvmmsg until the sockets are empty. Receive times are the
 * kernel's (SO_TIMESTAMPNS): when the datagram reached our socket, not when this thread got
 * round to reading it, so a busy generator does not inflate the latency it reports.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lg.h"
#include "sockaddr.h"

/* Big enough for a few hundred milliseconds of everything coming back at the highest rates
 * measured here, so that a loss is the harness's, not our socket's. */
#define SOCK_BUF (32 << 20)

struct udp {
	struct lg_transport base;
	struct dpb_plan plan;
	unsigned nb_eps;
	bool is_timed;
	int fd[DPB_NB_PORTS];
	uint64_t nb_no_ts;
	/* Send batch, per endpoint. */
	struct mmsghdr msgs[LG_BATCH];
	struct iovec iov[LG_BATCH];
	struct sockaddr_storage addr[LG_BATCH];
	/* Receive. */
	struct mmsghdr rmsgs[LG_BATCH];
	struct iovec riov[LG_BATCH];
	struct sockaddr_storage raddr[LG_BATCH];
	char rctl[LG_BATCH][64];
	unsigned next_ep; /* the socket recv() reads first, in turn for fairness */
};

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static unsigned udp_send(struct lg_transport *t, struct lg_pkt *pkts, unsigned n)
{
	struct udp *u = (struct udp *)t;
	unsigned slot[LG_BATCH];
	unsigned ok = 0;

	if (n > LG_BATCH)
		n = LG_BATCH;
	/* Per endpoint, in the order given. */
	for (unsigned ep = 0; ep < u->nb_eps; ep++) {
		unsigned m = 0, done = 0;

		for (unsigned i = 0; i < n; i++) {
			struct ponte_addr dst;
			socklen_t alen;

			if (pkts[i].ep != ep)
				continue;
			dst = u->plan.gw;
			dst.port = pkts[i].gw_port;
			dp_addr_to_sockaddr(&dst, &u->addr[m], &alen);
			u->iov[m].iov_base = pkts[i].data;
			u->iov[m].iov_len = pkts[i].len;
			memset(&u->msgs[m], 0, sizeof(u->msgs[m]));
			u->msgs[m].msg_hdr.msg_name = &u->addr[m];
			u->msgs[m].msg_hdr.msg_namelen = alen;
			u->msgs[m].msg_hdr.msg_iov = &u->iov[m];
			u->msgs[m].msg_hdr.msg_iovlen = 1;
			slot[m++] = i;
		}
		while (done < m) {
			int sent = sendmmsg(u->fd[ep], &u->msgs[done], m - done, 0);

			if (sent <= 0) {
				if (sent < 0 && errno == EINTR)
					continue;
				/* The failed one is lost; go on with the rest. */
				pkts[slot[done++]].status = LG_SEND_ERROR;
				continue;
			}
			for (int k = 0; k < sent; k++)
				pkts[slot[done + (unsigned)k]].status = LG_SENT;
			done += (unsigned)sent;
			ok += (unsigned)sent;
		}
	}
	return ok;
}

static uint64_t rx_time(struct msghdr *mh, struct udp *u)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
	}
	u->nb_no_ts++;
	return lg_real_ns();
}

static unsigned udp_recv(struct lg_transport *t, struct lg_pkt *pkts, unsigned max)
{
	struct udp *u = (struct udp *)t;
	unsigned got = 0;

	if (max > LG_BATCH)
		max = LG_BATCH;
	for (unsigned k = 0; k < u->nb_eps && got < max; k++) {
		unsigned ep = (u->next_ep + k) % u->nb_eps;
		unsigned want = max - got;
		int n;

		for (unsigned i = 0; i < want; i++) {
			u->riov[i].iov_base = pkts[got + i].data;
			u->riov[i].iov_len = LG_BUF;
			memset(&u->rmsgs[i], 0, sizeof(u->rmsgs[i]));
			u->rmsgs[i].msg_hdr.msg_name = &u->raddr[i];
			u->rmsgs[i].msg_hdr.msg_namelen = sizeof(u->raddr[i]);
			u->rmsgs[i].msg_hdr.msg_iov = &u->riov[i];
			u->rmsgs[i].msg_hdr.msg_iovlen = 1;
			u->rmsgs[i].msg_hdr.msg_control = u->rctl[i];
			u->rmsgs[i].msg_hdr.msg_controllen = sizeof(u->rctl[i]);
		}
		n = recvmmsg(u->fd[ep], u->rmsgs, want, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			struct lg_pkt *p = &pkts[got + (unsigned)i];

			p->ep = (uint8_t)ep;
			p->gw_port = port_of(&u->raddr[i]);
			p->len = (uint16_t)u->rmsgs[i].msg_len;
			p->rx_ns = rx_time(&u->rmsgs[i].msg_hdr, u);
		}
		if (n > 0)
			got += (unsigned)n;
	}
	u->next_ep = (u->next_ep + 1) % u->nb_eps;
	return got;
}

static void udp_wait(struct lg_transport *t, uint64_t deadline_ns)
{
	struct udp *u = (struct udp *)t;
	struct pollfd pfd[DPB_NB_PORTS];
	uint64_t now = lg_mono_ns();
	struct timespec ts;

	if (deadline_ns <= now)
		return;
	ts.tv_sec = (time_t)((deadline_ns - now) / 1000000000ull);
	ts.tv_nsec = (long)((deadline_ns - now) % 1000000000ull);
	if (u->is_timed) {
		nanosleep(&ts, NULL);
		return;
	}
	for (unsigned i = 0; i < u->nb_eps; i++) {
		pfd[i].fd = u->fd[i];
		pfd[i].events = POLLIN;
	}
	ppoll(pfd, u->nb_eps, &ts, NULL);
}

static void udp_describe(struct lg_transport *t, char *buf, size_t len)
{
	struct udp *u = (struct udp *)t;

	snprintf(buf, len, "rx_without_kernel_timestamp=%llu", (unsigned long long)u->nb_no_ts);
}

static void udp_destroy(struct lg_transport *t)
{
	struct udp *u = (struct udp *)t;

	for (unsigned i = 0; i < u->nb_eps; i++)
		if (u->fd[i] >= 0)
			close(u->fd[i]);
	free(u);
}

static const struct lg_transport_ops udp_ops = {
	.name = "udp",
	.send = udp_send,
	.recv = udp_recv,
	.wait = udp_wait,
	.describe = udp_describe,
	.destroy = udp_destroy,
};

static void set_buf(int fd, int force_opt, int opt, int size)
{
	/* Past net.core.[rw]mem_max only as root (the FORCE variants); else as far as allowed. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) != 0)
		setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

int lg_udp_create(const struct dpb_plan *p, bool is_timed, struct lg_transport **out)
{
	struct udp *u = calloc(1, sizeof(*u));
	char shown[64];
	int one = 1, rc;

	if (u == NULL)
		return -ENOMEM;
	u->base.ops = &udp_ops;
	u->plan = *p;
	u->is_timed = is_timed;
	u->nb_eps = p->mode == DPB_BRIDGE ? 3 : 2;
	for (unsigned i = 0; i < DPB_NB_PORTS; i++)
		u->fd[i] = -1;
	for (unsigned i = 0; i < u->nb_eps; i++) {
		struct sockaddr_storage ss;
		struct ponte_addr a;
		socklen_t len;

		dpb_peer_addr(p, (enum dpb_port)i, &a);
		u->fd[i] = socket(a.family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (u->fd[i] < 0)
			goto fail;
		set_buf(u->fd[i], SO_RCVBUFFORCE, SO_RCVBUF, SOCK_BUF);
		set_buf(u->fd[i], SO_SNDBUFFORCE, SO_SNDBUF, SOCK_BUF);
		setsockopt(u->fd[i], SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
		dp_addr_to_sockaddr(&a, &ss, &len);
		if (bind(u->fd[i], (struct sockaddr *)&ss, len) != 0) {
			rc = -errno;
			fprintf(stderr, "loadgen: bind %s: %s\n",
				ponte_addr_str(&a, shown, sizeof(shown)), strerror(errno));
			udp_destroy(&u->base);
			return rc;
		}
	}
	*out = &u->base;
	return 0;
fail:
	rc = -errno;
	udp_destroy(&u->base);
	return rc;
}
