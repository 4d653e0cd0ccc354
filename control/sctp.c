/* SPDX-License-Identifier: MIT */
/*
 * WebRTC data channels: usrsctp over AF_CONN (RFC 8261), DCEP (RFC 8832), RFC 8831 messages.
 *
 * Threading. usrsctp is initialised once, with usrsctp_init_nothreads(), and its timers are
 * driven by a GLib timeout on the default main context (usrsctp_handle_timers).
 * usrsctp_init() would start a timer thread, and also - when the process may open raw
 * sockets, as Ponte running as root can - two receive threads on raw IPPROTO_SCTP sockets that
 * feed every SCTP packet reaching the host into the stack (and answer them); AF_CONN needs
 * none of that. usrsctp still runs its "iterator" thread, so the two entry points it calls
 * back (conn_output and the socket upcall) are written for any thread anyway: they find the
 * association by an id, never by a pointer that could be stale, under registry_lock, queue
 * what they have and schedule an idle source on the default main context. Everything else -
 * reading the socket, DCEP, the ops - happens in that idle source, outside usrsctp's locks.
 * Switching to usrsctp_init() would only need the timer source removed.
 *
 * The ops are never called from inside usrsctp (conn_output runs with usrsctp's socket locks
 * held; an op that sent or destroyed from there would deadlock) nor from inside a
 * ponte_sctp_* call, which is why even packets produced on the main thread go through the
 * queue. g_main_context_invoke() would run the callback at once on the owner thread, so the
 * idle source is attached explicitly.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <glib.h>
#include <usrsctp.h>

#include "log.h"
#include "ratelimit.h"
#include "sctp.h"

/* RFC 8831 §8 and RFC 8832 §8.1: payload protocol identifiers. */
enum {
	PPID_DCEP = 50,
	PPID_STRING = 51,
	PPID_BINARY_PARTIAL = 52, /* deprecated */
	PPID_BINARY = 53,
	PPID_STRING_PARTIAL = 54, /* deprecated */
	PPID_STRING_EMPTY = 56,
	PPID_BINARY_EMPTY = 57,
};

/* RFC 8832 §5: message types and §5.1: channel types. */
enum {
	DCEP_ACK = 0x02,
	DCEP_OPEN = 0x03,
};
enum {
	DCEP_RELIABLE = 0x00,
	DCEP_PARTIAL_REXMIT = 0x01,
	DCEP_PARTIAL_TIMED = 0x02,
	DCEP_UNORDERED = 0x80,
};
#define DCEP_OPEN_HDR_LEN 12
#define DCEP_OPEN_MAX_LEN (DCEP_OPEN_HDR_LEN + 2 * 65535)
#define DCEP_DEFAULT_PRIORITY 256

#define TICK_MS 10
#define IDLE_TICK_US (2 * G_USEC_PER_SEC)
/* Socket buffers. The send buffer bounds the largest message we send (a message goes into it
 * whole); the receive buffer is the window we advertise. usrsctp allocates as data comes. */
#define SEND_BUFFER (1024 * 1024)
#define RECV_BUFFER (1024 * 1024)
#define MAX_INPUT_PACKET 65536
#define MAX_NOTIFICATION (DCEP_OPEN_MAX_LEN + 4096)
/* Reads per dispatch before yielding to the rest of the main loop. */
#define MAX_READS_PER_DISPATCH 256
#define MAX_RESET_RETRIES 5

enum assoc_state {
	ASSOC_NEW,
	ASSOC_CONNECTING,
	ASSOC_UP,
	ASSOC_CLOSED,
};

struct sctp_channel {
	uint16_t stream;
	enum ponte_sctp_channel_state state;
	bool is_ours;	  /* we sent the DATA_CHANNEL_OPEN */
	bool is_rejected; /* a bad OPEN we are refusing: never reported to the owner */
	bool needs_ack;	  /* DATA_CHANNEL_ACK still to send (the send buffer was full) */
	bool is_unordered;
	uint16_t pr_policy;
	uint32_t pr_value;
	/* RFC 8831 §6.7: the channel is gone once both directions are reset. */
	bool is_out_reset_wanted;
	bool is_out_reset_requested;
	bool is_out_reset_done;
	bool is_in_reset_done;
	unsigned int nb_reset_retries;
};

struct ponte_sctp {
	/* Read-only after create. */
	uintptr_t id; /* our AF_CONN address and upcall argument; the registry key */
	const struct ponte_sctp_ops *ops;
	void *ctx;
	char *log_name;
	uint16_t local_port, remote_port;
	bool is_dtls_client;
	size_t max_message, remote_max_message;
	unsigned int mtu;

	/* Main thread only. */
	int refcount; /* the owner's, plus one per dispatch in progress */
	bool is_destroyed;
	enum assoc_state state;
	struct socket *sock;
	uint16_t nb_out_streams, nb_in_streams;
	GHashTable *channels; /* stream → struct sctp_channel */
	bool wants_writable;  /* a send returned -EAGAIN, or an ACK is waiting */
	bool is_oversize_logged;
	bool needs_sweep; /* channels may be closed in both directions without a report yet */
	/* The message being reassembled from partial deliveries. */
	GByteArray *rx_msg;
	bool is_rx_active, is_rx_too_big;
	uint16_t rx_stream;
	uint32_t rx_ppid;
	GByteArray *rx_notif;
	struct ratelimit log_rl;
	struct ponte_sctp_stats stats;

	/* Shared with usrsctp's callbacks: protected by registry_lock. */
	GQueue out_pkts; /* GBytes, oldest first */
	bool is_dispatch_pending;
};

/*
 * registry_lock protects the registry and, in each association, out_pkts and
 * is_dispatch_pending. It is taken inside usrsctp's locks (conn_output, upcall) and nothing
 * calls into usrsctp while holding it.
 */
static GMutex registry_lock;
static GHashTable *registry; /* id → struct ponte_sctp */

/* The library state below is touched only on the main thread. */
static uintptr_t next_id = 1;
/* usrsctp is started once and never again after ponte_sctp_shutdown(): 0.9.5 does not
 * restart its iterator thread on a second usrsctp_init. */
static bool is_usrsctp_up, is_usrsctp_finished;
static unsigned int nb_associations;
static guint tick_source;
static gint64 tick_last_us;
static gint64 idle_since_us; /* when the last association went, while the tick still runs */
/* Reads land here before being copied into an association's reassembly buffer; never
 * referenced across an op call. */
static uint8_t rx_scratch[65536] __attribute__((aligned(16)));

static gboolean dispatch_cb(gpointer data);

/* Called with registry_lock held, from any thread. */
static void schedule_locked(struct ponte_sctp *s)
{
	GSource *src;

	if (s->is_dispatch_pending)
		return;
	s->is_dispatch_pending = true;
	src = g_idle_source_new();
	g_source_set_priority(src, G_PRIORITY_DEFAULT);
	g_source_set_callback(src, dispatch_cb, (gpointer)s->id, NULL);
	g_source_attach(src, NULL);
	g_source_unref(src);
}

/* usrsctp's packet output: any thread, usrsctp's locks held. addr is our id. */
static int conn_output(void *addr, void *buffer, size_t length, uint8_t tos, uint8_t set_df)
{
	GBytes *pkt = g_bytes_new(buffer, length);
	struct ponte_sctp *s;

	g_mutex_lock(&registry_lock);
	s = registry != NULL ? g_hash_table_lookup(registry, addr) : NULL;
	if (s != NULL) {
		g_queue_push_tail(&s->out_pkts, pkt);
		pkt = NULL;
		schedule_locked(s);
	}
	g_mutex_unlock(&registry_lock);
	if (pkt != NULL)
		g_bytes_unref(pkt); /* the association is gone: nobody to send it */
	return 0;
}

/* The socket became readable or writable, or failed: any thread, usrsctp's locks held. */
static void upcall(struct socket *sock, void *arg, int flags)
{
	struct ponte_sctp *s;

	g_mutex_lock(&registry_lock);
	s = registry != NULL ? g_hash_table_lookup(registry, arg) : NULL;
	if (s != NULL)
		schedule_locked(s);
	g_mutex_unlock(&registry_lock);
}

static void debug_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void debug_printf(const char *fmt, ...)
{
	char line[512];
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	len = strlen(line);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (len > 0)
		log_debug("sctp", "usrsctp: %s", line);
}

static void run_timers(void)
{
	gint64 now = g_get_monotonic_time();
	gint64 ms = (now - tick_last_us) / 1000;

	if (ms > 0) {
		tick_last_us += ms * 1000;
		usrsctp_handle_timers(ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms);
	}
}

static gboolean tick_cb(gpointer unused)
{
	run_timers();
	/* With no association left, tick a little longer so usrsctp can free the aborted ones
	 * (their kill timers), then stop: an idle gateway has no reason to wake up 100 times a
	 * second. A timer still pending runs, late, once the next association starts the tick. */
	if (nb_associations > 0) {
		idle_since_us = 0;
	} else if (idle_since_us == 0) {
		idle_since_us = tick_last_us;
	} else if (tick_last_us - idle_since_us >= IDLE_TICK_US) {
		tick_source = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* Start usrsctp (once per process) and the timer tick. */
static int lib_ref(void)
{
	if (is_usrsctp_finished)
		return -ESHUTDOWN;
	if (!is_usrsctp_up) {
		usrsctp_init_nothreads(0, conn_output, debug_printf);
		/* The sysctls are reset by init, so they follow it. ECN needs IP-level marks that
		 * DTLS over UDP does not carry; there are no addresses to add or remove. PR-SCTP
		 * (RFC 3758) and stream reconfiguration (RFC 6525) are required by RFC 8831 §6.1;
		 * they are usrsctp's defaults, set here so that stays true. */
		usrsctp_sysctl_set_sctp_ecn_enable(0);
		usrsctp_sysctl_set_sctp_asconf_enable(0);
		usrsctp_sysctl_set_sctp_auto_asconf(0);
		usrsctp_sysctl_set_sctp_pr_enable(1);
		usrsctp_sysctl_set_sctp_reconfig_enable(1);
		/* RFC 9260 §16 suggests 3 s. The first INIT often reaches a peer whose DTLS is
		 * not up yet and is lost; that should not hold the data channels back 3 s. */
		usrsctp_sysctl_set_sctp_rto_initial_default(1000);
		is_usrsctp_up = true;
		tick_last_us = g_get_monotonic_time();
	}
	if (tick_source == 0)
		tick_source = g_timeout_add(TICK_MS, tick_cb, NULL);
	idle_since_us = 0;
	nb_associations++;
	return 0;
}

int ponte_sctp_shutdown(void)
{
	int i;

	if (nb_associations > 0)
		return -EBUSY;
	if (!is_usrsctp_up)
		return 0;
	/* usrsctp_finish refuses while endpoints linger; their kill timers free them. */
	for (i = 0; i < 200; i++) {
		run_timers();
		if (usrsctp_finish() == 0)
			break;
		g_usleep(10000);
	}
	if (i == 200)
		return -EBUSY;
	is_usrsctp_up = false;
	is_usrsctp_finished = true;
	if (tick_source != 0) {
		g_source_remove(tick_source);
		tick_source = 0;
	}
	g_mutex_lock(&registry_lock);
	g_clear_pointer(&registry, g_hash_table_destroy);
	g_mutex_unlock(&registry_lock);
	return 0;
}

static void channel_free(gpointer p)
{
	g_free(p);
}

static void sctp_unref(struct ponte_sctp *s)
{
	if (--s->refcount > 0)
		return;
	g_hash_table_destroy(s->channels);
	if (s->rx_msg != NULL)
		g_byte_array_unref(s->rx_msg);
	if (s->rx_notif != NULL)
		g_byte_array_unref(s->rx_notif);
	g_free(s->log_name);
	g_free(s);
}

static bool log_allowed(struct ponte_sctp *s)
{
	return ratelimit_take(&s->log_rl, g_get_monotonic_time());
}

static struct sctp_channel *channel_get(const struct ponte_sctp *s, uint16_t stream)
{
	return g_hash_table_lookup(s->channels, GUINT_TO_POINTER(stream));
}

static struct sctp_channel *channel_add(struct ponte_sctp *s, uint16_t stream)
{
	struct sctp_channel *ch = g_new0(struct sctp_channel, 1);

	ch->stream = stream;
	g_hash_table_insert(s->channels, GUINT_TO_POINTER(stream), ch);
	return ch;
}

/* The association ended: tell the owner once. */
static void report_closed(struct ponte_sctp *s, const char *why)
{
	if (s->state == ASSOC_CLOSED)
		return;
	s->state = ASSOC_CLOSED;
	log_info("sctp", "%s association closed (%s)", s->log_name, why);
	g_hash_table_remove_all(s->channels);
	if (s->is_rx_active && s->rx_msg != NULL)
		g_byte_array_set_size(s->rx_msg, 0);
	s->is_rx_active = false;
	s->ops->closed(s->ctx);
}

/* Hand one user message to usrsctp. Returns 0 or a negative errno. */
static int send_raw(struct ponte_sctp *s, uint16_t stream, uint32_t ppid, const void *data,
		    size_t len, bool is_unordered, uint16_t pr_policy, uint32_t pr_value)
{
	struct sctp_sendv_spa spa;
	ssize_t n;
	int err;

	memset(&spa, 0, sizeof(spa));
	spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
	spa.sendv_sndinfo.snd_sid = stream;
	spa.sendv_sndinfo.snd_ppid = htonl(ppid); /* usrsctp passes the PPID through as is */
	spa.sendv_sndinfo.snd_flags = SCTP_EOR | (is_unordered ? SCTP_UNORDERED : 0);
	if (pr_policy != SCTP_PR_SCTP_NONE) {
		spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
		spa.sendv_prinfo.pr_policy = pr_policy;
		spa.sendv_prinfo.pr_value = pr_value;
	}
	n = usrsctp_sendv(s->sock, data, len, NULL, 0, &spa, (socklen_t)sizeof(spa), SCTP_SENDV_SPA,
			  0);
	if (n >= 0 && (size_t)n == len)
		return 0;
	if (n >= 0) {
		/* Without SCTP_EXPLICIT_EOR a message is taken whole or not at all. */
		log_warn("sctp", "%s stream=%u: usrsctp took %zd of %zu bytes", s->log_name, stream,
			 n, len);
		return -EIO;
	}
	err = errno;
	switch (err) {
	case EWOULDBLOCK:
		s->wants_writable = true;
		return -EAGAIN;
	case EMSGSIZE:
		return -EMSGSIZE;
	case ENOTCONN:
	case EPIPE:
	case ECONNRESET:
		return -ENOTCONN;
	default:
		if (log_allowed(s))
			log_warn("sctp", "%s stream=%u: usrsctp_sendv: %s", s->log_name, stream,
				 g_strerror(err));
		return -EIO;
	}
}

/*
 * Ask usrsctp to reset every outgoing stream we want reset and have not asked for yet
 * (RFC 6525 §5.1.2). usrsctp keeps one request in flight and sends a stream's reset only
 * after its queued data; when it refuses for now, the next stream reset event retries.
 */
static void request_resets(struct ponte_sctp *s)
{
	GHashTableIter it;
	gpointer value;
	struct sctp_reset_streams *srs;
	struct sctp_channel *ch;
	GPtrArray *todo;
	size_t size;
	guint i;
	int err;

	if (s->state != ASSOC_UP)
		return;
	todo = g_ptr_array_new();
	g_hash_table_iter_init(&it, s->channels);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		ch = value;
		if (ch->is_out_reset_wanted && !ch->is_out_reset_requested)
			g_ptr_array_add(todo, ch);
	}
	if (todo->len == 0) {
		g_ptr_array_free(todo, TRUE);
		return;
	}
	size = sizeof(*srs) + todo->len * sizeof(uint16_t);
	srs = g_malloc0(size);
	srs->srs_assoc_id = SCTP_ALL_ASSOC;
	srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
	srs->srs_number_streams = (uint16_t)todo->len;
	for (i = 0; i < todo->len; i++)
		srs->srs_stream_list[i] = ((struct sctp_channel *)todo->pdata[i])->stream;
	if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, (socklen_t)size) ==
	    0) {
		for (i = 0; i < todo->len; i++)
			((struct sctp_channel *)todo->pdata[i])->is_out_reset_requested = true;
	} else {
		err = errno;
		if (err != EAGAIN && err != EALREADY && err != EBUSY && err != EINPROGRESS) {
			/* Streams cannot be reset (the peer lacks RE-CONFIG, say): report the
			 * channels closed all the same rather than leave them closing for ever. */
			log_warn("sctp", "%s stream reset refused: %s", s->log_name,
				 g_strerror(err));
			for (i = 0; i < todo->len; i++) {
				ch = todo->pdata[i];
				ch->is_out_reset_requested = true;
				ch->is_out_reset_done = true;
				ch->is_in_reset_done = true;
			}
			/* Reported from the dispatch, not from inside the caller's call. */
			s->needs_sweep = true;
			g_mutex_lock(&registry_lock);
			schedule_locked(s);
			g_mutex_unlock(&registry_lock);
		}
	}
	g_free(srs);
	g_ptr_array_free(todo, TRUE);
}

static void channel_mark_closing(struct sctp_channel *ch)
{
	ch->state = PONTE_SCTP_CHANNEL_CLOSING;
	ch->needs_ack = false;
	ch->is_out_reset_wanted = true;
}

/* Start closing a channel from our side (RFC 8831 §6.7). */
static void channel_begin_close(struct ponte_sctp *s, struct sctp_channel *ch)
{
	channel_mark_closing(ch);
	request_resets(s);
}

/* Both directions are reset: forget the channel and tell the owner. May run an op. */
static void finish_close_if_done(struct ponte_sctp *s, struct sctp_channel *ch)
{
	uint16_t stream = ch->stream;
	bool is_reported = !ch->is_rejected;

	if (!ch->is_out_reset_done || !ch->is_in_reset_done)
		return;
	g_hash_table_remove(s->channels, GUINT_TO_POINTER(stream));
	if (is_reported) {
		log_debug("sctp", "%s stream=%u channel closed", s->log_name, stream);
		s->ops->channel_closed(s->ctx, stream);
	}
}

static void send_ack(struct ponte_sctp *s, struct sctp_channel *ch)
{
	static const uint8_t ack = DCEP_ACK;
	int err = send_raw(s, ch->stream, PPID_DCEP, &ack, 1, false, SCTP_PR_SCTP_NONE, 0);

	/* DCEP messages go ordered and reliable (RFC 8832 §6). A full buffer delays the ACK
	 * until there is room. */
	ch->needs_ack = err == -EAGAIN;
	if (err != 0 && err != -EAGAIN && log_allowed(s))
		log_warn("sctp", "%s stream=%u: DATA_CHANNEL_ACK not sent: %s", s->log_name,
			 ch->stream, g_strerror(-err));
}

/* RFC 8832 §6: a DATA_CHANNEL_OPEN we cannot accept closes the channel, without an ACK. */
static void reject_open(struct ponte_sctp *s, uint16_t stream, const char *why)
{
	struct sctp_channel *ch = channel_get(s, stream);

	s->stats.nb_dcep_malformed++;
	if (log_allowed(s))
		log_info("sctp", "%s stream=%u: DATA_CHANNEL_OPEN refused: %s", s->log_name, stream,
			 why);
	if (ch != NULL) {
		if (ch->state != PONTE_SCTP_CHANNEL_CLOSING)
			channel_begin_close(s, ch);
		return;
	}
	if (stream >= s->nb_out_streams)
		return; /* no outgoing stream to reset */
	ch = channel_add(s, stream);
	ch->is_rejected = true;
	channel_begin_close(s, ch);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 8832 §5.1 and §6: a DATA_CHANNEL_OPEN from the peer. May run an op. */
static void handle_open(struct ponte_sctp *s, uint16_t stream, const uint8_t *msg, size_t len)
{
	struct sctp_channel *ch;
	uint8_t type;
	size_t label_len, protocol_len;
	const char *label, *protocol;
	char *label_copy, *protocol_copy;
	uint32_t reliability;
	unsigned int peer_parity = s->is_dtls_client ? 1 : 0;

	if (len < DCEP_OPEN_HDR_LEN) {
		reject_open(s, stream, "too short");
		return;
	}
	type = msg[1];
	reliability = be32(msg + 4);
	label_len = be16(msg + 8);
	protocol_len = be16(msg + 10);
	if (DCEP_OPEN_HDR_LEN + label_len + protocol_len != len) {
		reject_open(s, stream, "label and protocol lengths do not match the message");
		return;
	}
	label = (const char *)msg + DCEP_OPEN_HDR_LEN;
	protocol = label + label_len;
	if ((type & ~DCEP_UNORDERED) > DCEP_PARTIAL_TIMED) {
		reject_open(s, stream, "unknown channel type");
		return;
	}
	/* g_utf8_validate_len also refuses embedded NULs, which the owner could not see. */
	if (!g_utf8_validate_len(label, label_len, NULL) ||
	    !g_utf8_validate_len(protocol, protocol_len, NULL)) {
		reject_open(s, stream, "label or protocol is not UTF-8");
		return;
	}
	if (stream % 2 != peer_parity) {
		reject_open(s, stream, "stream id of our parity");
		return;
	}
	if (channel_get(s, stream) != NULL) {
		reject_open(s, stream, "stream in use");
		return;
	}
	if (stream >= s->nb_out_streams) {
		/* Nothing to answer on: neither ACK nor reset is possible. */
		s->stats.nb_dcep_malformed++;
		return;
	}

	ch = channel_add(s, stream);
	ch->state = PONTE_SCTP_CHANNEL_OPEN;
	ch->is_unordered = (type & DCEP_UNORDERED) != 0;
	switch (type & ~DCEP_UNORDERED) {
	case DCEP_PARTIAL_REXMIT:
		ch->pr_policy = SCTP_PR_SCTP_RTX;
		ch->pr_value = reliability;
		break;
	case DCEP_PARTIAL_TIMED:
		ch->pr_policy = SCTP_PR_SCTP_TTL;
		ch->pr_value = reliability;
		break;
	default:
		ch->pr_policy = SCTP_PR_SCTP_NONE;
		break;
	}
	send_ack(s, ch);
	if (ch->needs_ack)
		s->wants_writable = true;

	label_copy = g_strndup(label, label_len);
	protocol_copy = g_strndup(protocol, protocol_len);
	log_info("sctp", "%s stream=%u channel opened by the peer", s->log_name, stream);
	s->ops->channel_open(s->ctx, stream, label_copy, protocol_copy);
	g_free(label_copy);
	g_free(protocol_copy);
}

static void handle_dcep(struct ponte_sctp *s, uint16_t stream, const uint8_t *msg, size_t len)
{
	struct sctp_channel *ch;

	if (len == 0) {
		s->stats.nb_dcep_malformed++;
		return;
	}
	switch (msg[0]) {
	case DCEP_OPEN:
		handle_open(s, stream, msg, len);
		return;
	case DCEP_ACK:
		ch = channel_get(s, stream);
		if (len != 1 || ch == NULL || !ch->is_ours ||
		    ch->state != PONTE_SCTP_CHANNEL_OPENING) {
			s->stats.nb_dcep_malformed++;
			return;
		}
		ch->state = PONTE_SCTP_CHANNEL_OPEN;
		log_debug("sctp", "%s stream=%u channel acknowledged", s->log_name, stream);
		return;
	default:
		s->stats.nb_dcep_malformed++;
		return;
	}
}

/* One complete message. May run an op. */
static void deliver(struct ponte_sctp *s, uint16_t stream, uint32_t ppid, const uint8_t *data,
		    size_t len)
{
	struct sctp_channel *ch;
	bool is_binary;

	switch (ppid) {
	case PPID_DCEP:
		handle_dcep(s, stream, data, len);
		return;
	case PPID_STRING:
	case PPID_STRING_EMPTY:
		is_binary = false;
		break;
	case PPID_BINARY:
	case PPID_BINARY_EMPTY:
		is_binary = true;
		break;
	default:
		/* Including the deprecated partial PPIDs 52 and 54 (RFC 8831 §8). */
		s->stats.nb_rx_dropped++;
		return;
	}
	if (ppid == PPID_STRING_EMPTY || ppid == PPID_BINARY_EMPTY)
		len = 0; /* the payload is a single ignored byte (RFC 8831 §6.6) */
	ch = channel_get(s, stream);
	if (ch == NULL || ch->is_rejected || ch->is_in_reset_done) {
		s->stats.nb_rx_dropped++;
		return;
	}
	if (ch->state == PONTE_SCTP_CHANNEL_OPENING) {
		/* The peer sends only on channels it accepted: its data may overtake the ACK when
		 * it sends unordered, so it counts as one. */
		ch->state = PONTE_SCTP_CHANNEL_OPEN;
	}
	s->stats.nb_rx_messages++;
	s->stats.nb_rx_bytes += len;
	s->ops->message(s->ctx, stream, is_binary, len > 0 ? data : NULL, len);
}

/* One piece of a message from usrsctp_recvv; eor ends it. May run an op. */
static void handle_data_piece(struct ponte_sctp *s, uint16_t stream, uint32_t ppid,
			      const uint8_t *data, size_t len, bool eor)
{
	size_t limit = ppid == PPID_DCEP ? DCEP_OPEN_MAX_LEN : s->max_message;
	GByteArray *msg;

	if (s->rx_msg == NULL)
		s->rx_msg = g_byte_array_new();
	if (s->is_rx_active && (stream != s->rx_stream || ppid != s->rx_ppid)) {
		/* Pieces of one message arrive together unless interleaving is on, which it is
		 * not; a change means the previous message was cut short. */
		s->stats.nb_rx_dropped++;
		s->is_rx_active = false;
	}
	if (!s->is_rx_active) {
		s->is_rx_active = true;
		s->is_rx_too_big = false;
		s->rx_stream = stream;
		s->rx_ppid = ppid;
		g_byte_array_set_size(s->rx_msg, 0);
	}
	if (!s->is_rx_too_big) {
		if (s->rx_msg->len + len > limit) {
			s->is_rx_too_big = true;
			g_byte_array_set_size(s->rx_msg, 0);
		} else {
			g_byte_array_append(s->rx_msg, data, (guint)len);
		}
	}
	if (!eor)
		return;
	s->is_rx_active = false;
	if (s->is_rx_too_big) {
		s->stats.nb_rx_too_big++;
		if (log_allowed(s))
			log_info("sctp", "%s stream=%u: message over %zu bytes dropped",
				 s->log_name, stream, limit);
		return;
	}
	/* Take the buffer while the op runs, so nothing that op does can change it. */
	msg = s->rx_msg;
	s->rx_msg = NULL;
	deliver(s, stream, ppid, msg->data, msg->len);
	if (s->rx_msg == NULL && msg->len <= 65536) {
		g_byte_array_set_size(msg, 0);
		s->rx_msg = msg;
	} else {
		g_byte_array_unref(msg); /* do not keep a large buffer per association */
	}
}

/* usrsctp leaves the 12-byte common header out of an AF_CONN path's MTU (measured with
 * 0.9.5: packets came out 12 bytes over), so ask for that much less. */
static uint32_t path_mtu(const struct ponte_sctp *s)
{
	return s->mtu - (uint32_t)sizeof(struct sctp_common_header);
}

static void sconn_init(struct sockaddr_conn *sc, const struct ponte_sctp *s, uint16_t port)
{
	memset(sc, 0, sizeof(*sc));
	sc->sconn_family = AF_CONN;
	sc->sconn_port = htons(port);
	sc->sconn_addr = (void *)s->id;
}

static void set_path_mtu(struct ponte_sctp *s, sctp_assoc_t assoc)
{
	struct sctp_paddrparams pp;
	struct sockaddr_conn sc;

	memset(&pp, 0, sizeof(pp));
	sconn_init(&sc, s, s->remote_port);
	memcpy(&pp.spp_address, &sc, sizeof(sc));
	pp.spp_assoc_id = assoc;
	pp.spp_flags = SPP_PMTUD_DISABLE;
	pp.spp_pathmtu = path_mtu(s);
	if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp,
			       (socklen_t)sizeof(pp)) != 0)
		log_warn("sctp", "%s cannot set the path MTU: %s", s->log_name, g_strerror(errno));
}

/* RFC 6525 §6.1.1: a stream reset finished or failed. May run ops. */
static void handle_stream_reset(struct ponte_sctp *s, const struct sctp_stream_reset_event *ev,
				size_t len)
{
	size_t nb = (len - sizeof(*ev)) / sizeof(uint16_t);
	uint16_t *streams;
	size_t i;
	bool is_in = (ev->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) != 0;
	bool is_out = (ev->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN) != 0;
	bool is_failed =
	    (ev->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) != 0;

	if (nb == 0) {
		/* An empty list means every stream. */
		GList *keys = g_hash_table_get_keys(s->channels);
		GList *l;

		nb = g_list_length(keys);
		streams = g_new(uint16_t, nb + 1);
		for (l = keys, i = 0; l != NULL; l = l->next)
			streams[i++] = (uint16_t)GPOINTER_TO_UINT(l->data);
		g_list_free(keys);
	} else {
		streams = g_memdup2(ev->strreset_stream_list, nb * sizeof(uint16_t));
	}

	for (i = 0; i < nb && !s->is_destroyed && s->state == ASSOC_UP; i++) {
		struct sctp_channel *ch = channel_get(s, streams[i]);

		if (ch == NULL) {
			/* The peer closed a stream we never saw a valid OPEN on (a malformed one we
			 * ignored, say): reset ours as well, or its channel never finishes closing
			 * (RFC 8831 §6.7). */
			if (!is_in || is_failed || streams[i] >= s->nb_out_streams)
				continue;
			ch = channel_add(s, streams[i]);
			ch->is_rejected = true;
			ch->is_in_reset_done = true;
			channel_mark_closing(ch);
			continue;
		}
		if (is_failed) {
			if (is_out && ch->is_out_reset_requested && !ch->is_out_reset_done) {
				ch->is_out_reset_requested = false;
				if (++ch->nb_reset_retries > MAX_RESET_RETRIES) {
					log_warn("sctp",
						 "%s stream=%u: peer keeps refusing the reset",
						 s->log_name, ch->stream);
					ch->is_out_reset_requested = true;
					ch->is_out_reset_done = true;
					ch->is_in_reset_done = true;
					finish_close_if_done(s, ch);
				}
			}
			continue;
		}
		if (is_out && ch->is_out_reset_requested)
			ch->is_out_reset_done = true;
		if (is_in) {
			/* The peer closed its side: close ours too (RFC 8831 §6.7). A reset of a
			 * channel we opened and the peer never acknowledged is its refusal
			 * (RFC 8832 §6). */
			ch->is_in_reset_done = true;
			if (ch->state != PONTE_SCTP_CHANNEL_CLOSING)
				channel_mark_closing(ch);
		}
		finish_close_if_done(s, ch);
	}
	g_free(streams);
	/* The resets wanted above, and any refused for now earlier, go out in one request. */
	if (!s->is_destroyed)
		request_resets(s);
}

/* One complete notification. May run ops. */
static void handle_notification(struct ponte_sctp *s, const uint8_t *buf, size_t len)
{
	const union sctp_notification *n = (const void *)buf;
	const struct sctp_assoc_change *ac;

	if (len < sizeof(n->sn_header))
		return;
	switch (n->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		if (len < sizeof(*ac))
			return;
		ac = &n->sn_assoc_change;
		switch (ac->sac_state) {
		case SCTP_COMM_UP:
		case SCTP_RESTART:
			s->nb_out_streams = ac->sac_outbound_streams;
			s->nb_in_streams = ac->sac_inbound_streams;
			if (s->state == ASSOC_UP) {
				log_warn("sctp", "%s association restarted by the peer",
					 s->log_name);
				return;
			}
			if (s->state == ASSOC_CLOSED)
				return;
			s->state = ASSOC_UP;
			set_path_mtu(s, ac->sac_assoc_id);
			log_info("sctp", "%s association up, streams out=%u in=%u", s->log_name,
				 s->nb_out_streams, s->nb_in_streams);
			if (s->ops->connected != NULL)
				s->ops->connected(s->ctx);
			return;
		case SCTP_COMM_LOST:
			report_closed(s, "lost or aborted");
			return;
		case SCTP_SHUTDOWN_COMP:
			report_closed(s, "shut down");
			return;
		case SCTP_CANT_STR_ASSOC:
			report_closed(s, "could not start");
			return;
		default:
			return;
		}
	case SCTP_STREAM_RESET_EVENT:
		if (len >= sizeof(n->sn_strreset_event) && s->state == ASSOC_UP)
			handle_stream_reset(s, &n->sn_strreset_event, len);
		return;
	case SCTP_SEND_FAILED_EVENT:
		s->stats.nb_tx_abandoned++;
		return;
	case SCTP_PARTIAL_DELIVERY_EVENT:
		if (s->is_rx_active) {
			s->is_rx_active = false;
			s->stats.nb_rx_dropped++;
		}
		return;
	default:
		return;
	}
}

/* Drain the socket. May run ops; returns early when one destroys the association. */
static void read_all(struct ponte_sctp *s)
{
	int nb_reads;

	for (nb_reads = 0; nb_reads < MAX_READS_PER_DISPATCH; nb_reads++) {
		struct sctp_rcvinfo rcv;
		struct sockaddr_conn from;
		socklen_t fromlen = sizeof(from), infolen = sizeof(rcv);
		unsigned int infotype = 0;
		int flags = 0;
		ssize_t n;

		if (s->is_destroyed || s->state == ASSOC_CLOSED || s->state == ASSOC_NEW)
			return;
		memset(&rcv, 0, sizeof(rcv));
		n = usrsctp_recvv(s->sock, rx_scratch, sizeof(rx_scratch), (struct sockaddr *)&from,
				  &fromlen, &rcv, &infolen, &infotype, &flags);
		if (n < 0) {
			if (errno != EWOULDBLOCK && errno != EAGAIN && errno != ENOTCONN)
				report_closed(s, g_strerror(errno));
			return;
		}
		if (flags & MSG_NOTIFICATION) {
			if (s->rx_notif == NULL)
				s->rx_notif = g_byte_array_new();
			if (s->rx_notif->len + (size_t)n <= MAX_NOTIFICATION)
				g_byte_array_append(s->rx_notif, rx_scratch, (guint)n);
			if (flags & MSG_EOR) {
				GByteArray *notif = s->rx_notif;

				s->rx_notif = NULL;
				handle_notification(s, notif->data, notif->len);
				g_byte_array_unref(notif);
			}
			continue;
		}
		if (n == 0) {
			/* A read of nothing that is no notification: the peer has shut down. */
			report_closed(s, "end of stream");
			return;
		}
		if (infotype != SCTP_RECVV_RCVINFO) {
			s->stats.nb_rx_dropped++;
			continue;
		}
		handle_data_piece(s, rcv.rcv_sid, ntohl(rcv.rcv_ppid), rx_scratch, (size_t)n,
				  (flags & MSG_EOR) != 0);
	}
	/* More to read: come back after the rest of the main loop had its turn. */
	g_mutex_lock(&registry_lock);
	schedule_locked(s);
	g_mutex_unlock(&registry_lock);
}

/* Retry what a full send buffer held back, then tell the owner there is room. */
static void check_writable(struct ponte_sctp *s)
{
	GHashTableIter it;
	gpointer value;
	bool is_still_full = false;

	if (!s->wants_writable || s->state != ASSOC_UP)
		return;
	if (!(usrsctp_get_events(s->sock) & SCTP_EVENT_WRITE))
		return;
	s->wants_writable = false;
	g_hash_table_iter_init(&it, s->channels);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct sctp_channel *ch = value;

		if (ch->needs_ack) {
			send_ack(s, ch);
			is_still_full |= ch->needs_ack;
		}
	}
	if (is_still_full) {
		s->wants_writable = true;
		return;
	}
	if (s->ops->writable != NULL)
		s->ops->writable(s->ctx);
}

/* Report the channels that finished closing outside a stream reset event. May run ops. */
static void sweep_closed(struct ponte_sctp *s)
{
	GHashTableIter it;
	gpointer key, value;
	GArray *done = g_array_new(FALSE, FALSE, sizeof(uint16_t));
	guint i;

	s->needs_sweep = false;
	g_hash_table_iter_init(&it, s->channels);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		const struct sctp_channel *ch = value;

		if (ch->is_out_reset_done && ch->is_in_reset_done) {
			uint16_t stream = (uint16_t)GPOINTER_TO_UINT(key);

			g_array_append_val(done, stream);
		}
	}
	for (i = 0; i < done->len && !s->is_destroyed && s->state == ASSOC_UP; i++) {
		struct sctp_channel *ch = channel_get(s, g_array_index(done, uint16_t, i));

		if (ch != NULL)
			finish_close_if_done(s, ch);
	}
	g_array_free(done, TRUE);
}

/* The idle source: everything usrsctp produced for one association, on the main thread. */
static gboolean dispatch_cb(gpointer data)
{
	GQueue pkts = G_QUEUE_INIT;
	struct ponte_sctp *s;
	GBytes *pkt;

	g_mutex_lock(&registry_lock);
	s = registry != NULL ? g_hash_table_lookup(registry, data) : NULL;
	if (s != NULL) {
		s->is_dispatch_pending = false;
		pkts = s->out_pkts;
		g_queue_init(&s->out_pkts);
	}
	g_mutex_unlock(&registry_lock);
	if (s == NULL)
		return G_SOURCE_REMOVE; /* destroyed since it was scheduled */

	s->refcount++;
	while ((pkt = g_queue_pop_head(&pkts)) != NULL) {
		gsize len;
		const uint8_t *p = g_bytes_get_data(pkt, &len);

		if (!s->is_destroyed) {
			if (len > s->mtu && !s->is_oversize_logged) {
				s->is_oversize_logged = true;
				log_warn("sctp",
					 "%s usrsctp produced a %zu-byte packet over the %u MTU",
					 s->log_name, (size_t)len, s->mtu);
			}
			s->stats.nb_tx_packets++;
			s->ops->send(s->ctx, p, len);
		}
		g_bytes_unref(pkt);
	}
	if (!s->is_destroyed)
		read_all(s);
	if (!s->is_destroyed && s->needs_sweep)
		sweep_closed(s);
	if (!s->is_destroyed)
		check_writable(s);
	sctp_unref(s);
	return G_SOURCE_REMOVE;
}

static int set_opt(struct ponte_sctp *s, int level, int name, const void *val, socklen_t len,
		   const char *what)
{
	if (usrsctp_setsockopt(s->sock, level, name, val, len) == 0)
		return 0;
	log_error("sctp", "%s setsockopt %s: %s", s->log_name, what, g_strerror(errno));
	return -EIO;
}

static int configure_socket(struct ponte_sctp *s)
{
	static const uint16_t events[] = {
	    SCTP_ASSOC_CHANGE,
	    SCTP_STREAM_RESET_EVENT,
	    SCTP_SEND_FAILED_EVENT,
	    SCTP_PARTIAL_DELIVERY_EVENT,
	};
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	struct sctp_assoc_value av = {
	    .assoc_id = SCTP_FUTURE_ASSOC,
	    .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ,
	};
	struct sctp_initmsg init = {
	    .sinit_num_ostreams = PONTE_SCTP_NB_STREAMS,
	    .sinit_max_instreams = PONTE_SCTP_NB_STREAMS,
	};
	struct sctp_paddrparams pp;
	int one = 1, sndbuf = SEND_BUFFER, rcvbuf = RECV_BUFFER;
	size_t i;

	if (usrsctp_set_non_blocking(s->sock, 1) != 0)
		return -EIO;
	if (usrsctp_set_upcall(s->sock, upcall, (void *)s->id) != 0)
		return -EIO;
	/* Closing aborts at once rather than shutting down gracefully: usrsctp would otherwise
	 * keep the association (and its timers) alive after we are gone. */
	if (set_opt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg), "SO_LINGER") ||
	    set_opt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf), "SO_SNDBUF") ||
	    set_opt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf), "SO_RCVBUF") ||
	    set_opt(s, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one), "SCTP_NODELAY") ||
	    set_opt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof(one), "SCTP_RECVRCVINFO") ||
	    set_opt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof(av),
		    "SCTP_ENABLE_STREAM_RESET") ||
	    set_opt(s, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init), "SCTP_INITMSG"))
		return -EIO;
	for (i = 0; i < G_N_ELEMENTS(events); i++) {
		struct sctp_event ev = {
		    .se_assoc_id = SCTP_FUTURE_ASSOC,
		    .se_type = events[i],
		    .se_on = 1,
		};

		if (set_opt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev), "SCTP_EVENT"))
			return -EIO;
	}
	/* The path MTU is what one DTLS record carries; there is no path to discover it on.
	 * Set for the endpoint now so that no packet is ever larger, and again per association
	 * once it is up. */
	memset(&pp, 0, sizeof(pp));
	pp.spp_assoc_id = SCTP_FUTURE_ASSOC;
	pp.spp_flags = SPP_PMTUD_DISABLE;
	pp.spp_pathmtu = path_mtu(s);
	return set_opt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp),
		       "SCTP_PEER_ADDR_PARAMS");
}

int ponte_sctp_create(const struct ponte_sctp_params *p, const struct ponte_sctp_ops *ops,
		      void *ctx, struct ponte_sctp **out)
{
	struct ponte_sctp *s;
	struct sockaddr_conn sc;
	int err;

	if (p == NULL || ops == NULL || out == NULL || ops->send == NULL ||
	    ops->channel_open == NULL || ops->message == NULL || ops->channel_closed == NULL ||
	    ops->closed == NULL)
		return -EINVAL;
	if (p->mtu != 0 && (p->mtu < 512 || p->mtu > 16384))
		return -EINVAL;

	s = g_new0(struct ponte_sctp, 1);
	s->refcount = 1;
	s->ops = ops;
	s->ctx = ctx;
	s->log_name = g_strdup(p->log_name != NULL ? p->log_name : "sctp");
	s->local_port = p->local_port != 0 ? p->local_port : PONTE_SCTP_DEFAULT_PORT;
	s->remote_port = p->remote_port != 0 ? p->remote_port : PONTE_SCTP_DEFAULT_PORT;
	s->is_dtls_client = p->is_dtls_client;
	s->max_message =
	    p->max_message_size != 0 ? p->max_message_size : PONTE_SCTP_DEFAULT_MAX_MESSAGE;
	s->remote_max_message = p->remote_max_message_size != 0
				    ? p->remote_max_message_size
				    : PONTE_SCTP_DEFAULT_REMOTE_MAX_MESSAGE;
	if (s->remote_max_message > SEND_BUFFER)
		s->remote_max_message = SEND_BUFFER;
	s->mtu = p->mtu != 0 ? p->mtu : PONTE_SCTP_DEFAULT_MTU;
	s->channels = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, channel_free);
	g_queue_init(&s->out_pkts);
	ratelimit_init(&s->log_rl, 1, 5, g_get_monotonic_time());

	err = lib_ref();
	if (err) {
		sctp_unref(s);
		return err;
	}
	s->id = next_id++;
	g_mutex_lock(&registry_lock);
	if (registry == NULL)
		registry = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_hash_table_insert(registry, (gpointer)s->id, s);
	g_mutex_unlock(&registry_lock);
	usrsctp_register_address((void *)s->id);

	s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (s->sock == NULL) {
		err = errno == ENOMEM ? -ENOMEM : -EIO;
		log_error("sctp", "%s usrsctp_socket: %s", s->log_name, g_strerror(errno));
		goto fail;
	}
	err = configure_socket(s);
	if (err)
		goto fail;
	sconn_init(&sc, s, s->local_port);
	if (usrsctp_bind(s->sock, (struct sockaddr *)&sc, sizeof(sc)) != 0) {
		log_error("sctp", "%s usrsctp_bind: %s", s->log_name, g_strerror(errno));
		err = -EIO;
		goto fail;
	}
	*out = s;
	return 0;

fail:
	ponte_sctp_destroy(s);
	return err;
}

static int start_connect(struct ponte_sctp *s)
{
	struct sockaddr_conn sc;

	sconn_init(&sc, s, s->remote_port);
	s->state = ASSOC_CONNECTING;
	if (usrsctp_connect(s->sock, (struct sockaddr *)&sc, sizeof(sc)) != 0 &&
	    errno != EINPROGRESS) {
		log_warn("sctp", "%s usrsctp_connect: %s", s->log_name, g_strerror(errno));
		return -EIO;
	}
	log_debug("sctp", "%s connecting, port %u -> %u", s->log_name, s->local_port,
		  s->remote_port);
	return 0;
}

int ponte_sctp_connect(struct ponte_sctp *s)
{
	if (s->state == ASSOC_CLOSED)
		return -ENOTCONN;
	if (s->state != ASSOC_NEW)
		return -EALREADY;
	return start_connect(s);
}

void ponte_sctp_input(struct ponte_sctp *s, const uint8_t *pkt, size_t len)
{
	s->stats.nb_rx_packets++;
	if (pkt == NULL || len == 0 || len > MAX_INPUT_PACKET || s->state == ASSOC_CLOSED) {
		s->stats.nb_rx_packets_dropped++;
		return;
	}
	if (s->state == ASSOC_NEW && start_connect(s) != 0) {
		s->stats.nb_rx_packets_dropped++;
		return;
	}
	usrsctp_conninput((void *)s->id, pkt, len, 0);
}

int ponte_sctp_open_channel(struct ponte_sctp *s, const char *label, const char *protocol,
			    const struct ponte_sctp_channel_params *cp, uint16_t *stream)
{
	static const struct ponte_sctp_channel_params reliable = {0};
	size_t label_len, protocol_len, len;
	struct sctp_channel *ch;
	unsigned int id, limit;
	uint8_t *msg, type;
	uint16_t priority;
	int err;

	if (label == NULL)
		label = "";
	if (protocol == NULL)
		protocol = "";
	if (cp == NULL)
		cp = &reliable;
	label_len = strlen(label);
	protocol_len = strlen(protocol);
	if (stream == NULL || label_len > UINT16_MAX || protocol_len > UINT16_MAX ||
	    cp->reliability > PONTE_SCTP_MAX_LIFETIME)
		return -EINVAL;
	if (s->state != ASSOC_UP)
		return -ENOTCONN;
	len = DCEP_OPEN_HDR_LEN + label_len + protocol_len;
	if (len > s->remote_max_message)
		return -EMSGSIZE;

	/* RFC 8832 §6: our parity, and both directions of the stream unused. */
	limit = MIN(s->nb_out_streams, s->nb_in_streams);
	for (id = s->is_dtls_client ? 0 : 1; id < limit; id += 2) {
		if (channel_get(s, (uint16_t)id) == NULL)
			break;
	}
	if (id >= limit)
		return -ENOSPC;

	switch (cp->reliability) {
	case PONTE_SCTP_MAX_RETRANSMITS:
		type = DCEP_PARTIAL_REXMIT;
		break;
	case PONTE_SCTP_MAX_LIFETIME:
		type = DCEP_PARTIAL_TIMED;
		break;
	default:
		type = DCEP_RELIABLE;
		break;
	}
	if (cp->is_unordered)
		type |= DCEP_UNORDERED;
	priority = cp->priority != 0 ? cp->priority : DCEP_DEFAULT_PRIORITY;

	/* RFC 8832 §5.1. */
	msg = g_malloc(len);
	msg[0] = DCEP_OPEN;
	msg[1] = type;
	msg[2] = (uint8_t)(priority >> 8);
	msg[3] = (uint8_t)priority;
	msg[4] = (uint8_t)(cp->reliability_value >> 24);
	msg[5] = (uint8_t)(cp->reliability_value >> 16);
	msg[6] = (uint8_t)(cp->reliability_value >> 8);
	msg[7] = (uint8_t)cp->reliability_value;
	msg[8] = (uint8_t)(label_len >> 8);
	msg[9] = (uint8_t)label_len;
	msg[10] = (uint8_t)(protocol_len >> 8);
	msg[11] = (uint8_t)protocol_len;
	memcpy(msg + DCEP_OPEN_HDR_LEN, label, label_len);
	memcpy(msg + DCEP_OPEN_HDR_LEN + label_len, protocol, protocol_len);
	err = send_raw(s, (uint16_t)id, PPID_DCEP, msg, len, false, SCTP_PR_SCTP_NONE, 0);
	g_free(msg);
	if (err)
		return err;

	ch = channel_add(s, (uint16_t)id);
	ch->state = PONTE_SCTP_CHANNEL_OPENING;
	ch->is_ours = true;
	ch->is_unordered = cp->is_unordered;
	ch->pr_policy = cp->reliability == PONTE_SCTP_MAX_RETRANSMITS ? SCTP_PR_SCTP_RTX
			: cp->reliability == PONTE_SCTP_MAX_LIFETIME  ? SCTP_PR_SCTP_TTL
								      : SCTP_PR_SCTP_NONE;
	ch->pr_value = cp->reliability_value;
	*stream = (uint16_t)id;
	log_info("sctp", "%s stream=%u channel opened by us", s->log_name, id);
	return 0;
}

int ponte_sctp_send(struct ponte_sctp *s, uint16_t stream, bool is_binary, const uint8_t *data,
		    size_t len)
{
	static const uint8_t zero;
	struct sctp_channel *ch;
	uint32_t ppid;
	int err;

	if (data == NULL && len > 0)
		return -EINVAL;
	if (s->state != ASSOC_UP)
		return -ENOTCONN;
	ch = channel_get(s, stream);
	if (ch == NULL || ch->is_rejected || ch->state == PONTE_SCTP_CHANNEL_CLOSING)
		return -ENOTCONN;
	if (len > s->remote_max_message)
		return -EMSGSIZE;
	if (len == 0) {
		/* RFC 8831 §6.6: an empty message is one byte with its own PPID. */
		ppid = is_binary ? PPID_BINARY_EMPTY : PPID_STRING_EMPTY;
		data = &zero;
		len = 1;
	} else {
		ppid = is_binary ? PPID_BINARY : PPID_STRING;
	}
	/* RFC 8832 §6: ordered until the peer's ACK, whatever the channel asked for. */
	err = send_raw(s, stream, ppid, data, len,
		       ch->is_unordered && ch->state == PONTE_SCTP_CHANNEL_OPEN, ch->pr_policy,
		       ch->pr_value);
	if (err)
		return err;
	s->stats.nb_tx_messages++;
	s->stats.nb_tx_bytes += ppid == PPID_BINARY_EMPTY || ppid == PPID_STRING_EMPTY ? 0 : len;
	return 0;
}

int ponte_sctp_close_channel(struct ponte_sctp *s, uint16_t stream)
{
	struct sctp_channel *ch;

	if (s->state != ASSOC_UP)
		return -ENOTCONN;
	ch = channel_get(s, stream);
	if (ch == NULL || ch->is_rejected)
		return -ENOENT;
	if (ch->state == PONTE_SCTP_CHANNEL_CLOSING)
		return -EALREADY;
	log_debug("sctp", "%s stream=%u closing", s->log_name, stream);
	channel_begin_close(s, ch);
	return 0;
}

enum ponte_sctp_channel_state ponte_sctp_channel_state(const struct ponte_sctp *s, uint16_t stream)
{
	const struct sctp_channel *ch = channel_get(s, stream);

	if (ch == NULL || ch->is_rejected)
		return PONTE_SCTP_CHANNEL_NONE;
	return ch->state;
}

void ponte_sctp_get_stats(const struct ponte_sctp *s, struct ponte_sctp_stats *out)
{
	*out = s->stats;
}

void ponte_sctp_destroy(struct ponte_sctp *s)
{
	GQueue pkts = G_QUEUE_INIT;
	GBytes *pkt;

	if (s == NULL || s->is_destroyed)
		return;
	s->is_destroyed = true;

	/* From here on usrsctp's callbacks cannot find us: what the close below produces (the
	 * ABORT) and any timer still pending for the association are dropped. */
	g_mutex_lock(&registry_lock);
	g_hash_table_remove(registry, (gpointer)s->id);
	pkts = s->out_pkts;
	g_queue_init(&s->out_pkts);
	g_mutex_unlock(&registry_lock);
	while ((pkt = g_queue_pop_head(&pkts)) != NULL)
		g_bytes_unref(pkt);

	if (s->sock != NULL) {
		usrsctp_close(s->sock);
		s->sock = NULL;
	}
	usrsctp_deregister_address((void *)s->id);
	nb_associations--;
	sctp_unref(s);
}
