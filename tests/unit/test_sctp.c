/* SPDX-License-Identifier: MIT */
/*
 * Data channels over ponte_sctp. Two associations in one process, their packets carried by
 * idle callbacks the way the DTLS layer carries them: both sides connect (crossing INITs, as
 * browsers do), each opens a channel (DCEP OPEN/ACK, stream parity by DTLS role), text and
 * binary messages go both ways (64 KiB ones fragmented by SCTP, empty ones with PPIDs 56/57,
 * one over a lossy link so the timers driven from the main loop must retransmit), oversized
 * messages are refused or dropped and counted, a full send buffer gives -EAGAIN and then the
 * writable op, channels close by stream reset and their ids are reused, packets never exceed
 * the MTU (1200 and 1000), and usrsctp runs no thread of its own but its iterator and opens
 * no socket. DCEP OPENs rewritten in flight (lengths overrunning the message, truncated,
 * unknown types, bad UTF-8, wrong parity) are counted and refused without an ACK; random,
 * cut and mangled packets do not hurt; destroying from inside ops is safe; an association
 * can start from input alone; a forged ABORT ends one with the closed op. Then the same
 * against aiortc's own SCTP and DCEP implementation over a socketpair, in both roles, when
 * /usr/bin/python3 has aiortc; last, ponte_sctp_shutdown() stops usrsctp for good.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <usrsctp.h>

#include "sctp.h"
#include "tap.h"

#define RUN_UNTIL(cond, ms)                                                                        \
	({                                                                                         \
		gint64 end_ = g_get_monotonic_time() + (gint64)(ms)*1000;                          \
		while (!(cond) && g_get_monotonic_time() < end_)                                   \
			g_main_context_iteration(NULL, TRUE);                                      \
		(cond);                                                                            \
	})

/* Let the loop run for ms whatever happens. */
#define RUN_FOR(ms) RUN_UNTIL(false, ms)

struct msg {
	uint16_t stream;
	bool is_binary;
	GByteArray *data;
};

enum destroy_when {
	DESTROY_NEVER,
	DESTROY_IN_CHANNEL_OPEN,
	DESTROY_IN_MESSAGE,
	DESTROY_IN_SEND,
	DESTROY_IN_CLOSED,
};

/* Rewrites the payload of the next DCEP message a side sends; may shorten it. */
typedef bool (*mutate_fn)(uint8_t *sid, uint8_t *payload, size_t *len);

struct side {
	const char *name;
	struct ponte_sctp *sctp;
	struct side *peer;
	int fd; /* the aiortc socketpair end, or -1 */
	bool is_connected;
	bool is_closed;
	int nb_ops_after_destroy;
	GArray *opened;	   /* streams from channel_open */
	GPtrArray *labels; /* "label|protocol" of each */
	GArray *closed_streams;
	GPtrArray *msgs; /* struct msg */
	int nb_writable;
	size_t max_pkt;
	unsigned int drop_every; /* drop every Nth outgoing packet when not 0 */
	unsigned int nb_pkts;
	mutate_fn mutate;
	GPtrArray *captured; /* copies of outgoing packets, when not NULL */
	enum destroy_when destroy_when;
};

struct flight {
	struct side *to; /* NULL once that side is cleared */
	GBytes *pkt;
};

/* Packets on their way, so that clearing a side can disown the ones addressed to it. */
static GPtrArray *flights;

static void side_init(struct side *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->fd = -1;
	s->opened = g_array_new(FALSE, FALSE, sizeof(uint16_t));
	s->labels = g_ptr_array_new_with_free_func(g_free);
	s->closed_streams = g_array_new(FALSE, FALSE, sizeof(uint16_t));
	s->msgs = g_ptr_array_new();
}

static void msg_free(gpointer p)
{
	struct msg *m = p;

	g_byte_array_unref(m->data);
	g_free(m);
}

static void side_destroy(struct side *s)
{
	ponte_sctp_destroy(s->sctp);
	s->sctp = NULL;
}

static void side_clear(struct side *s)
{
	guint i;

	side_destroy(s);
	for (i = 0; i < flights->len; i++) {
		struct flight *f = flights->pdata[i];

		if (f->to == s)
			f->to = NULL;
	}
	g_array_free(s->opened, TRUE);
	g_ptr_array_free(s->labels, TRUE);
	g_array_free(s->closed_streams, TRUE);
	g_ptr_array_set_free_func(s->msgs, msg_free);
	g_ptr_array_free(s->msgs, TRUE);
	if (s->captured != NULL)
		g_ptr_array_free(s->captured, TRUE);
}

static bool has_stream(const GArray *a, uint16_t stream)
{
	guint i;

	for (i = 0; i < a->len; i++) {
		if (g_array_index(a, uint16_t, i) == stream)
			return true;
	}
	return false;
}

static struct msg *last_msg(const struct side *s)
{
	return s->msgs->len > 0 ? s->msgs->pdata[s->msgs->len - 1] : NULL;
}

static gboolean deliver_cb(gpointer data)
{
	struct flight *f = data;
	gsize len;
	const uint8_t *p = g_bytes_get_data(f->pkt, &len);

	g_ptr_array_remove_fast(flights, f);
	if (f->to != NULL && f->to->sctp != NULL)
		ponte_sctp_input(f->to->sctp, p, len);
	g_bytes_unref(f->pkt);
	g_free(f);
	return G_SOURCE_REMOVE;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void set_crc(uint8_t *pkt, size_t len)
{
	uint32_t crc;

	memset(pkt + 8, 0, 4);
	crc = usrsctp_crc32c(pkt, len);
	memcpy(pkt + 8, &crc, 4);
}

/*
 * Find the first DATA chunk (RFC 9260 §3.3.1) carrying PPID 50 and let mutate rewrite it,
 * moving what follows when the payload shrinks, then fix the CRC32c. Returns whether one
 * was rewritten.
 */
static bool rewrite_dcep(GByteArray *pkt, mutate_fn mutate)
{
	size_t off = 12;

	while (off + 4 <= pkt->len) {
		uint8_t *c = pkt->data + off;
		size_t clen = rd16(c + 2), padded = (clen + 3) & ~(size_t)3;

		if (clen < 4 || off + clen > pkt->len)
			return false;
		if (c[0] == 0 && clen > 16 && rd32(c + 12) == 50) {
			size_t plen = clen - 16, new_padded;

			if (!mutate(c + 8, c + 16, &plen))
				return false;
			new_padded = (16 + plen + 3) & ~(size_t)3;
			if (off + padded > pkt->len)
				padded = pkt->len - off;
			memmove(c + new_padded, c + padded, pkt->len - off - padded);
			memset(c + 16 + plen, 0, new_padded - 16 - plen);
			g_byte_array_set_size(pkt, (guint)(pkt->len - padded + new_padded));
			wr16(c + 2, 16 + plen);
			set_crc(pkt->data, pkt->len);
			return true;
		}
		off += padded;
	}
	return false;
}

static void on_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct side *s = ctx;
	GByteArray *copy;
	struct flight *f;

	if (s->sctp == NULL) {
		s->nb_ops_after_destroy++;
		return;
	}
	s->nb_pkts++;
	if (len > s->max_pkt)
		s->max_pkt = len;
	copy = g_byte_array_sized_new((guint)len);
	g_byte_array_append(copy, pkt, (guint)len);
	if (s->mutate != NULL && rewrite_dcep(copy, s->mutate))
		s->mutate = NULL;
	if (s->captured != NULL && s->captured->len < 400)
		g_ptr_array_add(s->captured, g_bytes_new(copy->data, copy->len));
	if (s->fd >= 0) {
		if (send(s->fd, copy->data, copy->len, MSG_DONTWAIT) < 0)
			printf("# %s: send to aiortc: %s\n", s->name, g_strerror(errno));
		g_byte_array_unref(copy);
	} else if (s->drop_every != 0 && s->nb_pkts % s->drop_every == 0) {
		g_byte_array_unref(copy);
	} else {
		f = g_new(struct flight, 1);
		f->to = s->peer;
		f->pkt = g_byte_array_free_to_bytes(copy);
		g_ptr_array_add(flights, f);
		g_idle_add(deliver_cb, f);
	}
	if (s->destroy_when == DESTROY_IN_SEND)
		side_destroy(s);
}

static void on_connected(void *ctx)
{
	struct side *s = ctx;

	if (s->sctp == NULL)
		s->nb_ops_after_destroy++;
	s->is_connected = true;
}

static void on_channel_open(void *ctx, uint16_t stream, const char *label, const char *protocol)
{
	struct side *s = ctx;

	if (s->sctp == NULL) {
		s->nb_ops_after_destroy++;
		return;
	}
	g_array_append_val(s->opened, stream);
	g_ptr_array_add(s->labels, g_strdup_printf("%s|%s", label, protocol));
	if (s->destroy_when == DESTROY_IN_CHANNEL_OPEN)
		side_destroy(s);
}

static void on_message(void *ctx, uint16_t stream, bool is_binary, const uint8_t *data, size_t len)
{
	struct side *s = ctx;
	struct msg *m;

	if (s->sctp == NULL) {
		s->nb_ops_after_destroy++;
		return;
	}
	m = g_new0(struct msg, 1);
	m->stream = stream;
	m->is_binary = is_binary;
	m->data = g_byte_array_new();
	g_byte_array_append(m->data, data, (guint)len);
	g_ptr_array_add(s->msgs, m);
	if (s->destroy_when == DESTROY_IN_MESSAGE)
		side_destroy(s);
}

static void on_channel_closed(void *ctx, uint16_t stream)
{
	struct side *s = ctx;

	if (s->sctp == NULL) {
		s->nb_ops_after_destroy++;
		return;
	}
	g_array_append_val(s->closed_streams, stream);
}

static void on_closed(void *ctx)
{
	struct side *s = ctx;

	if (s->sctp == NULL)
		s->nb_ops_after_destroy++;
	s->is_closed = true;
	if (s->destroy_when == DESTROY_IN_CLOSED)
		side_destroy(s);
}

static void on_writable(void *ctx)
{
	struct side *s = ctx;

	if (s->sctp == NULL)
		s->nb_ops_after_destroy++;
	s->nb_writable++;
}

static const struct ponte_sctp_ops ops = {
    .send = on_send,
    .connected = on_connected,
    .channel_open = on_channel_open,
    .message = on_message,
    .channel_closed = on_channel_closed,
    .closed = on_closed,
    .writable = on_writable,
};

static int make_side(struct side *s, bool is_dtls_client, size_t max_message, size_t remote_max)
{
	struct ponte_sctp_params p = {
	    .is_dtls_client = is_dtls_client,
	    .max_message_size = max_message,
	    .remote_max_message_size = remote_max,
	    .log_name = s->name,
	};

	return ponte_sctp_create(&p, &ops, s, &s->sctp);
}

static void pair(struct side *a, struct side *b)
{
	a->peer = b;
	b->peer = a;
}

static GByteArray *pattern(size_t len, unsigned int seed)
{
	GByteArray *b = g_byte_array_sized_new((guint)len);
	size_t i;

	g_byte_array_set_size(b, (guint)len);
	for (i = 0; i < len; i++)
		b->data[i] = (uint8_t)('a' + (i * 7 + seed) % 26);
	return b;
}

static bool msg_is(const struct msg *m, uint16_t stream, bool is_binary, const void *data,
		   size_t len)
{
	return m != NULL && m->stream == stream && m->is_binary == is_binary &&
	       m->data->len == len && (len == 0 || memcmp(m->data->data, data, len) == 0);
}

static uint64_t malformed(const struct side *s)
{
	struct ponte_sctp_stats st;

	ponte_sctp_get_stats(s->sctp, &st);
	return st.nb_dcep_malformed;
}

/* ---- DCEP rewrites ------------------------------------------------------------------- */

static bool mut_label_overrun(uint8_t *sid, uint8_t *p, size_t *len)
{
	if (*len < 12 || p[0] != 3)
		return false;
	wr16(p + 8, 0xffff); /* label length far past the end of the message */
	return true;
}

static bool mut_protocol_overrun(uint8_t *sid, uint8_t *p, size_t *len)
{
	if (*len < 12 || p[0] != 3)
		return false;
	wr16(p + 10, rd16(p + 10) + 1); /* one byte past the end */
	return true;
}

static bool mut_truncate(uint8_t *sid, uint8_t *p, size_t *len)
{
	if (*len < 12 || p[0] != 3)
		return false;
	*len = 5; /* cut inside the fixed header */
	return true;
}

static bool mut_unknown_type(uint8_t *sid, uint8_t *p, size_t *len)
{
	if (p[0] != 3)
		return false;
	p[0] = 0x07;
	return true;
}

static bool mut_bad_utf8(uint8_t *sid, uint8_t *p, size_t *len)
{
	if (*len < 14 || p[0] != 3 || rd16(p + 8) < 2)
		return false;
	p[12] = 0xc3; /* a lead byte ... */
	p[13] = 0x28; /* ... without its continuation */
	return true;
}

static bool mut_channel_type(uint8_t *sid, uint8_t *p, size_t *len)
{
	if (*len < 12 || p[0] != 3)
		return false;
	p[1] = 0x05;
	return true;
}

static bool mut_wrong_parity(uint8_t *sid, uint8_t *p, size_t *len)
{
	if (p[0] != 3)
		return false;
	wr16(sid, 41); /* the receiver's own parity; unused there */
	return true;
}

/* ---- the two-association tests ------------------------------------------------------- */

/* Threads of this process whose name starts with prefix (usrsctp names its threads). */
static int nb_threads(const char *prefix)
{
	GDir *dir = g_dir_open("/proc/self/task", 0, NULL);
	const char *tid;
	int nb = 0;

	while (dir != NULL && (tid = g_dir_read_name(dir)) != NULL) {
		char *path = g_strdup_printf("/proc/self/task/%s/comm", tid);
		char *comm = NULL;

		if (g_file_get_contents(path, &comm, NULL, NULL) && g_str_has_prefix(comm, prefix))
			nb++;
		g_free(comm);
		g_free(path);
	}
	if (dir != NULL)
		g_dir_close(dir);
	return nb;
}

/* Kernel sockets open in this process. */
static int nb_sockets(void)
{
	GDir *dir = g_dir_open("/proc/self/fd", 0, NULL);
	const char *fd;
	int nb = 0;

	while (dir != NULL && (fd = g_dir_read_name(dir)) != NULL) {
		char *path = g_strdup_printf("/proc/self/fd/%s", fd);
		char *target = g_file_read_link(path, NULL);

		if (target != NULL && g_str_has_prefix(target, "socket:"))
			nb++;
		g_free(target);
		g_free(path);
	}
	if (dir != NULL)
		g_dir_close(dir);
	return nb;
}

static gboolean heartbeat(gpointer unused)
{
	return G_SOURCE_CONTINUE; /* keeps g_main_context_iteration from blocking long */
}

static void test_pair(void)
{
	struct side a, b;
	struct ponte_sctp_params bad = {.mtu = 100};
	struct ponte_sctp *dummy = NULL;
	struct ponte_sctp_channel_params unordered = {
	    .is_unordered = true,
	    .reliability = PONTE_SCTP_MAX_RETRANSMITS,
	    .reliability_value = 3,
	};
	struct ponte_sctp_stats st_a, st_b;
	uint16_t sa = 0xffff, sb = 0xffff, s2;
	GByteArray *big, *big2, *huge;
	const uint8_t bin[] = {0, 1, 2, 0xff, 0};
	int err, nb_sent, i;
	guint n0;
	uint64_t m0;
	bool ok;

	side_init(&a, "side=a");
	side_init(&b, "side=b");
	pair(&a, &b);
	a.captured = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

	CHECK(ponte_sctp_create(&bad, &ops, &a, &dummy) == -EINVAL && dummy == NULL,
	      "create refuses an MTU of 100");
	/* a accepts 256 KiB and believes b takes 200000; b takes only 100000. */
	CHECK(make_side(&a, true, 0, 200000) == 0, "create a (DTLS client)");
	CHECK(make_side(&b, false, 100000, 0) == 0, "create b (DTLS server)");
	CHECK(ponte_sctp_open_channel(a.sctp, "x", NULL, NULL, &sa) == -ENOTCONN,
	      "no channel before the association is up");
	CHECK(ponte_sctp_send(a.sctp, 0, false, (const uint8_t *)"x", 1) == -ENOTCONN,
	      "no message before the association is up");

	/* Both sides send INIT, as browsers do once DTLS is up. */
	CHECK(ponte_sctp_connect(a.sctp) == 0 && ponte_sctp_connect(b.sctp) == 0,
	      "both sides connect");
	CHECK(ponte_sctp_connect(a.sctp) == -EALREADY, "a second connect is -EALREADY");
	ok = RUN_UNTIL(a.is_connected && b.is_connected, 5000);
	CHECK(ok, "association up on both sides (crossing INITs)");
	if (!ok)
		goto out;
	/* usrsctp's threads name themselves once they first run. */
	ok = RUN_UNTIL(nb_threads("SCTP iterator") == 1, 2000);
	CHECK(ok && nb_threads("") == 2 && nb_threads("SCTP timer") == 0 &&
		  nb_threads("SCTP/IP") == 0 && nb_sockets() == 0,
	      "usrsctp runs no thread but its iterator, none calling timers or reading raw "
	      "sockets, and opens no socket (%d threads, %d sockets)",
	      nb_threads(""), nb_sockets());

	/* Channels from each side, RFC 8832 §6 parity. */
	CHECK(ponte_sctp_open_channel(a.sctp, "chat", "proto-a", NULL, &sa) == 0,
	      "a opens a channel");
	CHECK(sa % 2 == 0, "the DTLS client's channel has an even stream id (%u)", sa);
	CHECK(ponte_sctp_channel_state(a.sctp, sa) == PONTE_SCTP_CHANNEL_OPENING,
	      "a's channel waits for the ACK");
	ok = RUN_UNTIL(b.opened->len == 1 &&
			   ponte_sctp_channel_state(a.sctp, sa) == PONTE_SCTP_CHANNEL_OPEN,
		       3000);
	CHECK(ok, "b saw DATA_CHANNEL_OPEN and a got DATA_CHANNEL_ACK");
	CHECK(b.opened->len == 1 && g_array_index(b.opened, uint16_t, 0) == sa,
	      "b's channel_open names a's stream");
	CHECK_STR(b.labels->len ? (const char *)b.labels->pdata[0] : NULL, "chat|proto-a",
		  "label and protocol arrive");

	CHECK(ponte_sctp_open_channel(b.sctp, "b-side", "", &unordered, &sb) == 0,
	      "b opens an unordered, partially reliable channel");
	CHECK(sb % 2 == 1, "the DTLS server's channel has an odd stream id (%u)", sb);
	ok = RUN_UNTIL(a.opened->len == 1 &&
			   ponte_sctp_channel_state(b.sctp, sb) == PONTE_SCTP_CHANNEL_OPEN,
		       3000);
	CHECK(ok && g_array_index(a.opened, uint16_t, 0) == sb, "a saw b's channel, b got the ACK");
	CHECK_STR(a.labels->len ? (const char *)a.labels->pdata[0] : NULL, "b-side|",
		  "empty protocol arrives empty");

	/* Messages both ways. */
	CHECK(ponte_sctp_send(a.sctp, sa, false, (const uint8_t *)"hello", 5) == 0, "a sends text");
	ok = RUN_UNTIL(b.msgs->len == 1, 3000);
	CHECK(ok && msg_is(last_msg(&b), sa, false, "hello", 5), "b receives the text (PPID 51)");
	CHECK(ponte_sctp_send(b.sctp, sa, true, bin, sizeof(bin)) == 0, "b answers binary");
	ok = RUN_UNTIL(a.msgs->len == 1, 3000);
	CHECK(ok && msg_is(last_msg(&a), sa, true, bin, sizeof(bin)),
	      "a receives the binary with its NULs (PPID 53)");
	CHECK(ponte_sctp_send(a.sctp, sb, true, bin, 3) == 0 && RUN_UNTIL(b.msgs->len == 2, 3000) &&
		  msg_is(last_msg(&b), sb, true, bin, 3),
	      "a sends on b's unordered channel");

	big = pattern(65536, 1);
	CHECK(ponte_sctp_send(a.sctp, sa, true, big->data, big->len) == 0, "a sends 64 KiB");
	ok = RUN_UNTIL(b.msgs->len == 3, 5000);
	CHECK(ok && msg_is(last_msg(&b), sa, true, big->data, big->len),
	      "b reassembles the 64 KiB message intact");
	big2 = pattern(65536, 5);
	CHECK(ponte_sctp_send(b.sctp, sb, false, big2->data, big2->len) == 0,
	      "b sends 64 KiB of text unordered");
	ok = RUN_UNTIL(a.msgs->len == 2, 5000);
	CHECK(ok && msg_is(last_msg(&a), sb, false, big2->data, big2->len),
	      "a reassembles it intact");
	CHECK(a.max_pkt <= PONTE_SCTP_DEFAULT_MTU && b.max_pkt <= PONTE_SCTP_DEFAULT_MTU,
	      "no packet over the 1200-byte MTU (largest %zu and %zu)", a.max_pkt, b.max_pkt);

	/* Empty messages, RFC 8831 §6.6. */
	CHECK(ponte_sctp_send(a.sctp, sa, false, NULL, 0) == 0 &&
		  ponte_sctp_send(a.sctp, sa, true, NULL, 0) == 0,
	      "a sends an empty text and an empty binary message");
	ok = RUN_UNTIL(b.msgs->len == 5, 3000);
	CHECK(ok && msg_is(b.msgs->pdata[3], sa, false, NULL, 0) &&
		  msg_is(b.msgs->pdata[4], sa, true, NULL, 0),
	      "b receives both empty, text and binary kept apart (PPIDs 56, 57)");
	CHECK(ponte_sctp_send(b.sctp, sb, true, NULL, 0) == 0 &&
		  ponte_sctp_send(b.sctp, sb, false, NULL, 0) == 0,
	      "b sends both empty kinds back");
	ok = RUN_UNTIL(a.msgs->len == 4, 3000);
	CHECK(ok && msg_is(a.msgs->pdata[2], sb, true, NULL, 0) &&
		  msg_is(a.msgs->pdata[3], sb, false, NULL, 0),
	      "a receives both empty");

	/* Sizes. */
	huge = pattern(200001, 3);
	CHECK(ponte_sctp_send(a.sctp, sa, true, huge->data, 200001) == -EMSGSIZE,
	      "a refuses a message over the peer's max-message-size");
	CHECK(ponte_sctp_send(a.sctp, sa, true, huge->data, 150000) == 0,
	      "a sends 150000 bytes, within what it thinks b accepts");
	CHECK(ponte_sctp_send(a.sctp, sa, false, (const uint8_t *)"after", 5) == 0,
	      "and a small message after it");
	ok = RUN_UNTIL(b.msgs->len == 6, 5000);
	ponte_sctp_get_stats(b.sctp, &st_b);
	CHECK(ok && msg_is(last_msg(&b), sa, false, "after", 5) && st_b.nb_rx_too_big == 1,
	      "b drops the message over its 100000 limit, counts it, and goes on");

	/* A lossy link: retransmissions need usrsctp's timers, driven by the main loop. */
	a.drop_every = 4;
	b.drop_every = 5;
	CHECK(ponte_sctp_send(a.sctp, sa, true, big->data, big->len) == 0,
	      "a sends 64 KiB over a link that loses every 4th packet");
	ok = RUN_UNTIL(b.msgs->len == 7, 15000);
	CHECK(ok && msg_is(last_msg(&b), sa, true, big->data, big->len),
	      "it arrives intact through retransmissions");
	a.drop_every = 0;
	b.drop_every = 0;

	/* Fill usrsctp's send buffer. */
	nb_sent = 0;
	for (i = 0; i < 200; i++) {
		err = ponte_sctp_send(a.sctp, sa, true, big->data, big->len);
		if (err)
			break;
		nb_sent++;
	}
	CHECK(err == -EAGAIN && nb_sent > 0, "send gives -EAGAIN once the buffer is full (%d sent)",
	      nb_sent);
	n0 = b.msgs->len;
	ok = RUN_UNTIL(b.msgs->len == n0 + (guint)nb_sent && a.nb_writable > 0, 15000);
	CHECK(ok, "all %d arrive and a gets the writable op", nb_sent);
	CHECK(ponte_sctp_send(a.sctp, sa, true, big->data, big->len) == 0 &&
		  RUN_UNTIL(b.msgs->len == n0 + (guint)nb_sent + 1, 5000),
	      "sending works again");

	/* DCEP OPENs rewritten in flight: refused, counted, no ACK, the stream reset. */
	{
		static const struct {
			mutate_fn fn;
			const char *what;
			bool is_reset; /* b resets the stream (RFC 8832 §6) */
		} cases[] = {
		    {mut_label_overrun, "label length overrunning the message", true},
		    {mut_protocol_overrun, "protocol length one past the end", true},
		    {mut_truncate, "OPEN cut to 5 bytes", true},
		    {mut_bad_utf8, "label that is not UTF-8", true},
		    {mut_channel_type, "unknown channel type", true},
		    {mut_unknown_type, "unknown DCEP message type", false},
		};
		size_t k;

		for (k = 0; k < G_N_ELEMENTS(cases); k++) {
			uint16_t st;
			guint nb_open = b.opened->len;

			m0 = malformed(&b);
			a.mutate = cases[k].fn;
			err = ponte_sctp_open_channel(a.sctp, "mangled", "x", NULL, &st);
			ok = err == 0 && RUN_UNTIL(malformed(&b) == m0 + 1, 3000);
			CHECK(ok && a.mutate == NULL, "DCEP %s: counted as malformed",
			      cases[k].what);
			if (cases[k].is_reset) {
				ok = RUN_UNTIL(has_stream(a.closed_streams, st), 3000);
				CHECK(ok, "... refused by resetting stream %u, a's channel closed",
				      st);
			} else {
				RUN_FOR(100);
				CHECK(ponte_sctp_channel_state(a.sctp, st) ==
					  PONTE_SCTP_CHANNEL_OPENING,
				      "... ignored: a's channel still waits for its ACK");
				CHECK(ponte_sctp_close_channel(a.sctp, st) == 0 &&
					  RUN_UNTIL(has_stream(a.closed_streams, st), 3000),
				      "... and a can still close it (b resets its side too)");
			}
			CHECK(b.opened->len == nb_open, "... b reported no channel");
		}

		m0 = malformed(&b);
		a.mutate = mut_wrong_parity;
		err = ponte_sctp_open_channel(a.sctp, "parity", "", NULL, &s2);
		ok = err == 0 && RUN_UNTIL(malformed(&b) == m0 + 1, 3000);
		CHECK(ok && b.opened->len == 1,
		      "DCEP OPEN on the receiver's own parity is refused");
		ponte_sctp_close_channel(a.sctp, s2);
	}
	CHECK(ponte_sctp_send(a.sctp, sa, false, (const uint8_t *)"still", 5) == 0 &&
		  RUN_UNTIL(msg_is(last_msg(&b), sa, false, "still", 5), 3000),
	      "the association still carries messages after the malformed DCEP");

	/* Garbage. */
	{
		GRand *r = g_rand_new_with_seed(20240607);
		uint8_t buf[1500];
		uint32_t vtag;
		int k, j;
		gsize plen;
		const uint8_t *p;

		for (k = 0; k < 3000; k++) {
			size_t len = (size_t)g_rand_int_range(r, 1, sizeof(buf));

			for (j = 0; j < (int)len; j++)
				buf[j] = (uint8_t)g_rand_int(r);
			ponte_sctp_input(b.sctp, buf, len);
			ponte_sctp_input(a.sctp, buf, len);
		}
		/* Real packets cut short or with a flipped bit: the CRC32c catches them. */
		for (k = 0; k < (int)a.captured->len * 4; k++) {
			GBytes *cp = a.captured->pdata[k % a.captured->len];

			p = g_bytes_get_data(cp, &plen);
			memcpy(buf, p, MIN(plen, sizeof(buf)));
			if (k % 2 == 0) {
				ponte_sctp_input(b.sctp, buf,
						 (size_t)g_rand_int_range(r, 1, (gint32)plen));
			} else {
				buf[g_rand_int_range(r, 0, (gint32)plen)] ^=
				    (uint8_t)(1 << g_rand_int_range(r, 0, 8));
				ponte_sctp_input(b.sctp, buf, plen);
			}
		}
		/* Valid CRC32c, random chunks: INITs with random parameters (tag 0 passes the tag
		 * check) and random chunks under a random tag. */
		p = g_bytes_get_data(a.captured->pdata[0], &plen);
		for (k = 0; k < 2000; k++) {
			size_t len = (size_t)g_rand_int_range(r, 16, 600);

			for (j = 0; j < (int)len; j++)
				buf[j] = (uint8_t)g_rand_int(r);
			memcpy(buf, p, 4); /* the real ports */
			if (k % 2 == 0) {
				memset(buf + 4, 0, 4);
				buf[12] = 1; /* INIT */
				wr16(buf + 14, (size_t)g_rand_int_range(r, 4, (gint32)len + 8));
			} else {
				vtag = g_rand_int(r);
				memcpy(buf + 4, &vtag, 4);
			}
			set_crc(buf, len);
			ponte_sctp_input(b.sctp, buf, len);
		}
		g_rand_free(r);
		/* Nothing, and more than any DTLS record could carry. */
		ponte_sctp_input(b.sctp, buf, 0);
		ponte_sctp_input(b.sctp, huge->data, 70000);
	}
	RUN_FOR(300);
	CHECK(!a.is_closed && !b.is_closed, "random, cut and mangled packets did not end it");
	n0 = b.msgs->len;
	CHECK(ponte_sctp_send(a.sctp, sa, false, (const uint8_t *)"alive", 5) == 0 &&
		  ponte_sctp_send(b.sctp, sb, false, (const uint8_t *)"alive", 5) == 0,
	      "both still send after the garbage");
	ok = RUN_UNTIL(msg_is(last_msg(&b), sa, false, "alive", 5) &&
			   msg_is(last_msg(&a), sb, false, "alive", 5),
		       5000);
	CHECK(ok, "and both still receive");

	/* Closing, RFC 8831 §6.7. */
	CHECK(ponte_sctp_close_channel(a.sctp, sa) == 0, "a closes its channel");
	CHECK(ponte_sctp_close_channel(a.sctp, sa) == -EALREADY, "closing twice is -EALREADY");
	CHECK(ponte_sctp_send(a.sctp, sa, false, (const uint8_t *)"x", 1) == -ENOTCONN,
	      "no sending on a closing channel");
	ok = RUN_UNTIL(has_stream(a.closed_streams, sa) && has_stream(b.closed_streams, sa), 3000);
	CHECK(ok, "both sides report stream %u closed", sa);
	CHECK(ponte_sctp_channel_state(a.sctp, sa) == PONTE_SCTP_CHANNEL_NONE &&
		  ponte_sctp_channel_state(b.sctp, sa) == PONTE_SCTP_CHANNEL_NONE,
	      "the stream is free on both sides");
	CHECK(ponte_sctp_close_channel(b.sctp, sb) == 0, "b closes its channel");
	ok = RUN_UNTIL(has_stream(a.closed_streams, sb) && has_stream(b.closed_streams, sb), 3000);
	CHECK(ok, "both sides report stream %u closed", sb);
	CHECK(ponte_sctp_close_channel(b.sctp, sb) == -ENOENT, "the closed channel is gone");
	CHECK(ponte_sctp_open_channel(a.sctp, "again", "", NULL, &s2) == 0 && s2 == sa,
	      "a reuses stream %u for a new channel", sa);
	ok = RUN_UNTIL(ponte_sctp_channel_state(a.sctp, s2) == PONTE_SCTP_CHANNEL_OPEN, 3000);
	CHECK(ok && ponte_sctp_send(a.sctp, s2, false, (const uint8_t *)"re", 2) == 0 &&
		  RUN_UNTIL(msg_is(last_msg(&b), s2, false, "re", 2), 3000),
	      "and it carries messages");

	ponte_sctp_get_stats(a.sctp, &st_a);
	ponte_sctp_get_stats(b.sctp, &st_b);
	CHECK(st_a.nb_tx_packets > 0 && st_b.nb_rx_packets >= st_a.nb_tx_packets &&
		  st_b.nb_rx_packets_dropped == 2,
	      "packet counters add up (a sent %" G_GUINT64_FORMAT ", b got %" G_GUINT64_FORMAT
	      "; the empty and the 70000-byte packets counted as dropped)",
	      st_a.nb_tx_packets, st_b.nb_rx_packets);
	CHECK(st_b.nb_rx_messages == b.msgs->len, "b counted %u messages", b.msgs->len);
	CHECK(a.nb_ops_after_destroy == 0 && b.nb_ops_after_destroy == 0 && !a.is_closed &&
		  !b.is_closed,
	      "no stray ops");

	g_byte_array_unref(big);
	g_byte_array_unref(big2);
	g_byte_array_unref(huge);
out:
	side_clear(&a);
	side_clear(&b);
}

/* A non-default MTU, as the DTLS layer reports it, bounds every packet. */
static void test_mtu(unsigned int mtu)
{
	struct side a, b;
	struct ponte_sctp_params p = {.mtu = mtu, .log_name = "side=mtu-a", .is_dtls_client = true};
	GByteArray *big = pattern(20000, 2);
	uint16_t st = 0;
	bool ok;

	side_init(&a, "side=mtu-a");
	side_init(&b, "side=mtu-b");
	pair(&a, &b);
	CHECK(ponte_sctp_create(&p, &ops, &a, &a.sctp) == 0, "MTU %u: create a", mtu);
	p.is_dtls_client = false;
	p.log_name = "side=mtu-b";
	CHECK(ponte_sctp_create(&p, &ops, &b, &b.sctp) == 0, "MTU %u: create b", mtu);
	ponte_sctp_connect(a.sctp);
	ponte_sctp_connect(b.sctp);
	ok = RUN_UNTIL(a.is_connected && b.is_connected, 5000) &&
	     ponte_sctp_open_channel(a.sctp, "m", "", NULL, &st) == 0 &&
	     RUN_UNTIL(b.opened->len == 1, 3000) &&
	     ponte_sctp_send(a.sctp, st, true, big->data, big->len) == 0 &&
	     ponte_sctp_send(b.sctp, st, true, big->data, big->len) == 0 &&
	     RUN_UNTIL(a.msgs->len == 1 && b.msgs->len == 1, 5000);
	CHECK(ok, "MTU %u: 20000 bytes each way", mtu);
	CHECK(a.max_pkt <= mtu && b.max_pkt <= mtu && a.max_pkt > mtu - 64,
	      "MTU %u: packets fill it but never exceed it (largest %zu and %zu)", mtu, a.max_pkt,
	      b.max_pkt);
	g_byte_array_unref(big);
	side_clear(&a);
	side_clear(&b);
}

static void test_destroy_in_ops(void)
{
	struct side c, d, e, f;
	uint16_t st = 0;
	bool ok;

	/* d destroys itself inside the message op, with more messages queued behind. */
	side_init(&c, "side=c");
	side_init(&d, "side=d");
	pair(&c, &d);
	CHECK(make_side(&c, false, 0, 0) == 0 && make_side(&d, true, 0, 0) == 0, "create c, d");
	ponte_sctp_connect(c.sctp);
	ponte_sctp_connect(d.sctp);
	ok = RUN_UNTIL(c.is_connected && d.is_connected, 5000) &&
	     ponte_sctp_open_channel(c.sctp, "c", "", NULL, &st) == 0 &&
	     RUN_UNTIL(ponte_sctp_channel_state(c.sctp, st) == PONTE_SCTP_CHANNEL_OPEN, 3000);
	CHECK(ok && st % 2 == 1, "c (DTLS server) opened odd stream %u", st);
	d.destroy_when = DESTROY_IN_MESSAGE;
	ponte_sctp_send(c.sctp, st, false, (const uint8_t *)"1", 1);
	ponte_sctp_send(c.sctp, st, false, (const uint8_t *)"2", 1);
	ponte_sctp_send(c.sctp, st, false, (const uint8_t *)"3", 1);
	ok = RUN_UNTIL(d.sctp == NULL, 3000);
	RUN_FOR(200);
	CHECK(ok && d.msgs->len == 1 && d.nb_ops_after_destroy == 0,
	      "destroy inside the message op: no op after it");
	/* c destroys itself inside its send op. */
	c.destroy_when = DESTROY_IN_SEND;
	ponte_sctp_send(c.sctp, st, false, (const uint8_t *)"4", 1);
	ok = RUN_UNTIL(c.sctp == NULL, 3000);
	RUN_FOR(200);
	CHECK(ok && c.nb_ops_after_destroy == 0, "destroy inside the send op: no op after it");
	side_clear(&c);
	side_clear(&d);

	/* f destroys itself inside channel_open, right after queueing its ACK. */
	side_init(&e, "side=e");
	side_init(&f, "side=f");
	pair(&e, &f);
	CHECK(make_side(&e, true, 0, 0) == 0 && make_side(&f, false, 0, 0) == 0, "create e, f");
	/* Only e connects: f's association starts from the INIT it is fed. */
	ponte_sctp_connect(e.sctp);
	ok = RUN_UNTIL(e.is_connected && f.is_connected, 5000);
	CHECK(ok, "an association started by input alone comes up");
	f.destroy_when = DESTROY_IN_CHANNEL_OPEN;
	ok = ponte_sctp_open_channel(e.sctp, "e", "", NULL, &st) == 0 &&
	     RUN_UNTIL(f.sctp == NULL, 3000);
	RUN_FOR(200);
	CHECK(ok && f.opened->len == 1 && f.nb_ops_after_destroy == 0,
	      "destroy inside the channel_open op: no op after it");
	CHECK(ponte_sctp_send(e.sctp, st, false, (const uint8_t *)"x", 1) == 0 && !e.is_closed,
	      "the survivor is unaffected until it hears otherwise");
	side_clear(&e);
	side_clear(&f);
}

static void test_abort(void)
{
	struct side g, h;
	uint8_t abort_pkt[16];
	bool ok;
	uint16_t st;
	gsize len;
	const uint8_t *p;

	side_init(&g, "side=g");
	side_init(&h, "side=h");
	pair(&g, &h);
	g.captured = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	h.captured = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	CHECK(make_side(&g, true, 0, 0) == 0 && make_side(&h, false, 0, 0) == 0, "create g, h");
	ponte_sctp_connect(g.sctp);
	ponte_sctp_connect(h.sctp);
	ok = RUN_UNTIL(g.is_connected && h.is_connected, 5000);
	CHECK(ok, "g and h up");
	if (!ok)
		goto out;
	/* An ABORT (RFC 9260 §3.3.7) from "g": the tag g's latest packet carried to h. */
	p = g_bytes_get_data(g.captured->pdata[g.captured->len - 1], &len);
	memcpy(abort_pkt, p, 8);
	memcpy(abort_pkt + 12, "\x06\x00\x00\x04", 4);
	set_crc(abort_pkt, sizeof(abort_pkt));
	ponte_sctp_input(h.sctp, abort_pkt, sizeof(abort_pkt));
	ok = RUN_UNTIL(h.is_closed, 3000);
	CHECK(ok, "a forged ABORT with the right tag ends h: closed op");
	CHECK(ponte_sctp_open_channel(h.sctp, "x", "", NULL, &st) == -ENOTCONN &&
		  ponte_sctp_connect(h.sctp) == -ENOTCONN,
	      "h refuses channels and connect afterwards");
	RUN_FOR(100);
	CHECK(h.nb_ops_after_destroy == 0 && !g.is_closed, "g, not aborted, stays up");
	/* The same to g, which destroys itself inside the closed op. */
	g.destroy_when = DESTROY_IN_CLOSED;
	p = g_bytes_get_data(h.captured->pdata[h.captured->len - 1], &len);
	memcpy(abort_pkt, p, 8);
	set_crc(abort_pkt, sizeof(abort_pkt));
	ponte_sctp_input(g.sctp, abort_pkt, sizeof(abort_pkt));
	ok = RUN_UNTIL(g.sctp == NULL, 3000);
	RUN_FOR(100);
	CHECK(ok && g.is_closed && g.nb_ops_after_destroy == 0,
	      "destroy inside the closed op: no op after it");
out:
	side_clear(&g);
	side_clear(&h);
}

/* ---- aiortc ------------------------------------------------------------------------- */

/*
 * aiortc's RTCSctpTransport over a fake DTLS transport whose "wire" is fd 3, a datagram
 * socketpair. Its SCTP client is the ICE-controlling side, which aiortc makes the DTLS
 * server (odd channel ids). It echoes every message, opens "from-aiortc" and sends a
 * greeting on it, closes that channel when told "close-please", and quits on "bye".
 */
static const char aiortc_script[] =
    "import asyncio, socket, sys\n"
    "from aiortc.rtcsctptransport import RTCSctpTransport, RTCSctpCapabilities\n"
    "from aiortc.rtcdatachannel import RTCDataChannel, RTCDataChannelParameters\n"
    "role = sys.argv[1]\n"
    "sock = socket.socket(fileno=3)\n"
    "sock.setblocking(False)\n"
    "class Ice:\n"
    "    pass\n"
    "class Dtls:\n"
    "    state = 'connected'\n"
    "    def __init__(self):\n"
    "        self.transport = Ice()\n"
    "        self.transport.role = role\n"
    "        self.receiver = None\n"
    "    def _register_data_receiver(self, r):\n"
    "        self.receiver = r\n"
    "    def _unregister_data_receiver(self, r):\n"
    "        self.receiver = None\n"
    "    async def _send_data(self, data):\n"
    "        sock.send(data)\n"
    "async def main():\n"
    "    loop = asyncio.get_event_loop()\n"
    "    done = asyncio.Event()\n"
    "    sctp = RTCSctpTransport(Dtls())\n"
    "    def on_readable():\n"
    "        try:\n"
    "            data = sock.recv(65536)\n"
    "        except BlockingIOError:\n"
    "            return\n"
    "        asyncio.ensure_future(sctp._handle_data(data))\n"
    "    loop.add_reader(sock.fileno(), on_readable)\n"
    "    def wire(ch):\n"
    "        @ch.on('message')\n"
    "        def on_message(m):\n"
    "            if m == 'bye':\n"
    "                done.set()\n"
    "            elif m == 'close-please':\n"
    "                mine.close()\n"
    "            else:\n"
    "                ch.send(m)\n"
    "    @sctp.on('datachannel')\n"
    "    def on_dc(ch):\n"
    "        wire(ch)\n"
    "    await sctp.start(RTCSctpCapabilities(maxMessageSize=65536), 5000)\n"
    "    mine = RTCDataChannel(sctp, RTCDataChannelParameters(label='from-aiortc',\n"
    "                                                         protocol='p'))\n"
    "    wire(mine)\n"
    "    @mine.on('open')\n"
    "    def on_open():\n"
    "        mine.send('hi from aiortc')\n"
    "    try:\n"
    "        await asyncio.wait_for(done.wait(), 30)\n"
    "    finally:\n"
    "        await asyncio.sleep(0.2)\n"
    "        await sctp.stop()\n"
    "asyncio.run(main())\n";

static gboolean on_aiortc_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct side *s = data;
	uint8_t buf[65536];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (s->sctp != NULL)
			ponte_sctp_input(s->sctp, buf, (size_t)n);
	}
	return n == 0 ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void child_setup(gpointer data)
{
	int fd = GPOINTER_TO_INT(data);

	dup2(fd, 3);
}

/* Idempotent, so RUN_UNTIL may evaluate it again after it turned true. */
static bool reaped(GPid pid, int *status, bool *is_reaped)
{
	if (!*is_reaped && waitpid(pid, status, WNOHANG) == pid)
		*is_reaped = true;
	return *is_reaped;
}

static void test_aiortc(const char *role)
{
	/* aiortc as the ICE-controlling side is the DTLS server: we are the DTLS client. */
	bool is_dtls_client = strcmp(role, "controlling") == 0;
	char *argv[] = {"/usr/bin/python3", "-c", (char *)aiortc_script, (char *)role, NULL};
	struct side s;
	int sv[2], flags;
	GPid pid = 0;
	GError *gerr = NULL;
	guint watch = 0;
	uint16_t st = 0, theirs;
	GByteArray *big;
	bool ok, is_reaped = false;
	int status = 0;

	side_init(&s,
		  is_dtls_client ? "side=ponte-vs-aiortc-server" : "side=ponte-vs-aiortc-client");
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) {
		CHECK(false, "socketpair: %s", g_strerror(errno));
		return;
	}
	flags = fcntl(sv[1], F_GETFD);
	fcntl(sv[1], F_SETFD, flags & ~FD_CLOEXEC);
	if (!g_spawn_async(NULL, argv, NULL,
			   G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_LEAVE_DESCRIPTORS_OPEN, child_setup,
			   GINT_TO_POINTER(sv[1]), &pid, &gerr)) {
		CHECK(false, "start aiortc: %s", gerr->message);
		g_error_free(gerr);
		close(sv[0]);
		close(sv[1]);
		return;
	}
	close(sv[1]);
	s.fd = sv[0];
	watch = g_unix_fd_add(s.fd, G_IO_IN, on_aiortc_readable, &s);

	ok = make_side(&s, is_dtls_client, 0, 65536) == 0;
	CHECK(ok, "aiortc %s: create our side", role);
	if (!ok)
		goto out;
	/* Both connect, as with a browser; aiortc's server side only answers. */
	ponte_sctp_connect(s.sctp);
	ok = RUN_UNTIL(s.is_connected, 15000);
	CHECK(ok, "aiortc %s: association up", role);
	if (!ok)
		goto out;

	ok = ponte_sctp_open_channel(s.sctp, "from-ponte", "chat", NULL, &st) == 0 &&
	     RUN_UNTIL(ponte_sctp_channel_state(s.sctp, st) == PONTE_SCTP_CHANNEL_OPEN, 5000);
	CHECK(ok && st % 2 == (is_dtls_client ? 0 : 1),
	      "aiortc %s: our channel (stream %u) acknowledged by aiortc", role, st);
	ok = RUN_UNTIL(s.opened->len == 1 && s.msgs->len >= 1, 5000);
	theirs = s.opened->len ? g_array_index(s.opened, uint16_t, 0) : 0;
	CHECK(ok && theirs % 2 == (is_dtls_client ? 1 : 0),
	      "aiortc %s: aiortc's channel opened on stream %u", role, theirs);
	CHECK_STR(s.labels->len ? (const char *)s.labels->pdata[0] : NULL, "from-aiortc|p",
		  "aiortc's label and protocol");
	CHECK(msg_is(s.msgs->len ? s.msgs->pdata[0] : NULL, theirs, false, "hi from aiortc", 14),
	      "aiortc %s: its greeting arrives as text", role);

	ponte_sctp_send(s.sctp, st, false, (const uint8_t *)"ping", 4);
	ok = RUN_UNTIL(s.msgs->len == 2, 5000);
	CHECK(ok && msg_is(last_msg(&s), st, false, "ping", 4), "aiortc %s: text echoed", role);
	big = pattern(60000, 9);
	ponte_sctp_send(s.sctp, st, true, big->data, big->len);
	ok = RUN_UNTIL(s.msgs->len == 3, 10000);
	CHECK(ok && msg_is(last_msg(&s), st, true, big->data, big->len),
	      "aiortc %s: 60000 bytes binary echoed intact", role);
	g_byte_array_unref(big);
	ponte_sctp_send(s.sctp, st, false, NULL, 0);
	ponte_sctp_send(s.sctp, st, true, NULL, 0);
	ok = RUN_UNTIL(s.msgs->len == 5, 5000);
	CHECK(ok && msg_is(s.msgs->pdata[3], st, false, NULL, 0) &&
		  msg_is(s.msgs->pdata[4], st, true, NULL, 0),
	      "aiortc %s: empty text and binary echoed (PPIDs 56, 57)", role);

	ponte_sctp_close_channel(s.sctp, st);
	ok = RUN_UNTIL(has_stream(s.closed_streams, st), 5000);
	CHECK(ok, "aiortc %s: our close completes (aiortc resets its side)", role);
	ponte_sctp_send(s.sctp, theirs, false, (const uint8_t *)"close-please", 12);
	ok = RUN_UNTIL(has_stream(s.closed_streams, theirs), 5000);
	CHECK(ok, "aiortc %s: aiortc's close completes (we reset ours)", role);
	CHECK(s.nb_ops_after_destroy == 0, "aiortc %s: no stray ops", role);

	/* A new channel to say bye on. */
	if (ponte_sctp_open_channel(s.sctp, "bye", "", NULL, &st) == 0 &&
	    RUN_UNTIL(ponte_sctp_channel_state(s.sctp, st) == PONTE_SCTP_CHANNEL_OPEN, 5000))
		ponte_sctp_send(s.sctp, st, false, (const uint8_t *)"bye", 3);
out:
	ok = RUN_UNTIL(reaped(pid, &status, &is_reaped), 5000);
	if (!ok) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	CHECK(ok && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "aiortc %s: exits cleanly (wait status 0x%x)", role, (unsigned int)status);
	g_spawn_close_pid(pid);
	if (watch != 0)
		g_source_remove(watch);
	close(s.fd);
	s.fd = -1;
	side_clear(&s);
}

static bool have_aiortc(void)
{
	gchar *argv[] = {"/usr/bin/python3", "-c", "import aiortc.rtcsctptransport", NULL};
	gint status = 1;

	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
			  NULL, NULL, NULL, NULL, &status, NULL))
		return false;
	return g_spawn_check_wait_status(status, NULL);
}

int main(void)
{
	guint hb;

	signal(SIGPIPE, SIG_IGN);
	flights = g_ptr_array_new();
	hb = g_timeout_add(5, heartbeat, NULL);

	test_pair();
	test_mtu(1000);
	test_mtu(1200);
	test_destroy_in_ops();
	test_abort();
	if (g_getenv("PONTE_SKIP_AIORTC") == NULL && have_aiortc()) {
		test_aiortc("controlling");
		test_aiortc("controlled");
	} else {
		printf("# aiortc interop skipped (no /usr/bin/python3 with aiortc, or "
		       "PONTE_SKIP_AIORTC set)\n");
	}

	/* Packets still in flight go nowhere; then usrsctp is stopped for good. */
	RUN_FOR(100);
	CHECK(ponte_sctp_shutdown() == 0 && nb_threads("SCTP iterator") == 0,
	      "ponte_sctp_shutdown stops usrsctp (its iterator thread is gone)");
	{
		struct side z;

		side_init(&z, "side=z");
		CHECK(make_side(&z, true, 0, 0) == -ESHUTDOWN && z.sctp == NULL,
		      "no association after the shutdown");
		side_clear(&z);
	}
	g_source_remove(hb);
	g_ptr_array_free(flights, TRUE);
	return tap_done();
}
