/* SPDX-License-Identifier: MIT */
/*
 * WebRTC data channels terminated at the gateway: SCTP (usrsctp, AF_CONN) carried over
 * whatever the caller carries it on (DTLS application data, RFC 8261), the Data Channel
 * Establishment Protocol (DCEP, RFC 8832) and the message rules of RFC 8831.
 *
 * No sockets and no DTLS here: the caller feeds received SCTP packets in (ponte_sctp_input)
 * and sends what the send op hands out. usrsctp keeps no kernel socket and no thread that
 * calls us: its timers are driven from the GLib default main context, and whatever usrsctp
 * produces (packets, readable or writable sockets) is queued and handled from an idle source
 * on that context. So every function here must be called from the thread that runs the
 * default main context, and every op runs there, never from inside usrsctp.
 *
 * Channel stream ids follow RFC 8832 §6: the DTLS client opens channels on even ids, the DTLS
 * server on odd ones; a channel is closed by resetting its streams (RFC 8831 §6.7).
 */
#ifndef PONTE_CONTROL_SCTP_H
#define PONTE_CONTROL_SCTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PONTE_SCTP_DEFAULT_PORT 5000 /* RFC 8841 §5: when a=sctp-port is absent */
/* What we accept and announce in a=max-message-size (RFC 8841 §6); browsers announce this. */
#define PONTE_SCTP_DEFAULT_MAX_MESSAGE 262144
/* The peer's limit when its SDP has no a=max-message-size (RFC 8841 §6.1). */
#define PONTE_SCTP_DEFAULT_REMOTE_MAX_MESSAGE 65536
/* Largest SCTP packet handed to the send op; DTLS adds its record overhead on top. */
#define PONTE_SCTP_DEFAULT_MTU 1200
/* Streams each way. RFC 8831 §6.2 suggests 65535, but usrsctp allocates per-stream state up
 * front (several megabytes per association at 65535); browsers number their channels from
 * 0 or 1 upwards, so this leaves room for 512 channels opened by each side. */
#define PONTE_SCTP_NB_STREAMS 1024

struct ponte_sctp_params {
	uint16_t local_port;  /* our a=sctp-port; 0: PONTE_SCTP_DEFAULT_PORT */
	uint16_t remote_port; /* the peer's a=sctp-port; 0: PONTE_SCTP_DEFAULT_PORT */
	/* We are the DTLS client (a=setup:active, RFC 8842 §5): channels we open get even stream
	 * ids, the peer's odd ones; the other way round when false (RFC 8832 §6). */
	bool is_dtls_client;
	/* Largest message we reassemble and deliver (our a=max-message-size); larger ones are
	 * dropped and counted. 0: PONTE_SCTP_DEFAULT_MAX_MESSAGE. */
	size_t max_message_size;
	/* The peer's a=max-message-size: ponte_sctp_send refuses larger messages. 0 when the
	 * attribute was absent (PONTE_SCTP_DEFAULT_REMOTE_MAX_MESSAGE), SIZE_MAX when the peer
	 * announced 0 ("no limit", RFC 8841 §6); our send buffer bounds it either way. */
	size_t remote_max_message_size;
	/* Largest SCTP packet to produce, i.e. what one DTLS record may carry
	 * (ponte_dtls_max_app); 512..16384, 0: PONTE_SCTP_DEFAULT_MTU. */
	unsigned int mtu;
	const char *log_name; /* names the association in logs, e.g. "session=12"; copied */
};

/* How a channel's messages are sent (RFC 8832 §5.1 channel types). */
enum ponte_sctp_reliability {
	PONTE_SCTP_RELIABLE,
	PONTE_SCTP_MAX_RETRANSMITS, /* value: retransmissions before a message is abandoned */
	PONTE_SCTP_MAX_LIFETIME,    /* value: milliseconds before a message is abandoned */
};

struct ponte_sctp_channel_params {
	bool is_unordered;
	enum ponte_sctp_reliability reliability;
	uint32_t reliability_value;
	uint16_t priority; /* RFC 8832 §5.1; 0: 256 ("normal") */
};

enum ponte_sctp_channel_state {
	PONTE_SCTP_CHANNEL_NONE,    /* no channel on this stream */
	PONTE_SCTP_CHANNEL_OPENING, /* we sent DATA_CHANNEL_OPEN, no DATA_CHANNEL_ACK yet */
	PONTE_SCTP_CHANNEL_OPEN,
	PONTE_SCTP_CHANNEL_CLOSING, /* streams being reset (RFC 8831 §6.7) */
};

/*
 * What an association reports. Every op runs on the main loop's thread from an idle source,
 * never from inside usrsctp or from inside a ponte_sctp_* call, and never after
 * ponte_sctp_destroy() returns; any op may call any ponte_sctp_* function, including
 * ponte_sctp_destroy(). Pointer arguments are borrowed for the duration of the call.
 */
struct ponte_sctp_ops {
	/* One SCTP packet (at most params.mtu bytes) to send to the peer, e.g. with
	 * ponte_dtls_send_app. Losing it is fine: SCTP retransmits. */
	void (*send)(void *ctx, const uint8_t *pkt, size_t len);
	/* The association is up (SCTP_COMM_UP): channels may be opened now. May be NULL. */
	void (*connected)(void *ctx);
	/* The peer opened a channel with DATA_CHANNEL_OPEN (RFC 8832 §5.1) and we acknowledged
	 * it. label and protocol are NUL-terminated UTF-8 without embedded NULs. To refuse the
	 * channel, call ponte_sctp_close_channel(). */
	void (*channel_open)(void *ctx, uint16_t stream, const char *label, const char *protocol);
	/* One complete message on an open channel (RFC 8831 §6.6, PPIDs of §8): is_binary for
	 * PPIDs 53 and 57, text for 51 and 56. Empty messages (PPIDs 56, 57) have len 0. */
	void (*message)(void *ctx, uint16_t stream, bool is_binary, const uint8_t *data,
			size_t len);
	/* A channel is closed: both its streams are reset (RFC 8831 §6.7), whichever side began.
	 * The stream id may be reused afterwards. */
	void (*channel_closed)(void *ctx, uint16_t stream);
	/* The association is gone (aborted, shut down, or never established); no op runs after
	 * this one. Channels are not reported closed one by one. */
	void (*closed)(void *ctx);
	/* ponte_sctp_send returned -EAGAIN earlier and there is room again. May be NULL. */
	void (*writable)(void *ctx);
};

struct ponte_sctp;

/*
 * A new association. ops must outlive it; ctx is passed to each op. Nothing is sent before
 * ponte_sctp_connect() or the first ponte_sctp_input(). The first one starts usrsctp.
 * Returns 0 and the association in *out, or -EINVAL (bad parameters), -ENOMEM, -EIO,
 * -ESHUTDOWN after ponte_sctp_shutdown().
 */
int ponte_sctp_create(const struct ponte_sctp_params *p, const struct ponte_sctp_ops *ops,
		      void *ctx, struct ponte_sctp **out);

/*
 * Start the association: send INIT. WebRTC has no SCTP client or server; both sides call
 * this once their DTLS is up, and the INITs crossing is resolved by SCTP (RFC 9260 §5.2.1).
 * Returns 0, -EALREADY (connect or input already started it), -ENOTCONN once closed, -EIO.
 */
int ponte_sctp_connect(struct ponte_sctp *s);

/*
 * One received SCTP packet (DTLS application data). Anything may be fed in: usrsctp checks
 * the CRC32c and the verification tag and drops what does not fit. A packet arriving before
 * ponte_sctp_connect() starts the association first, as an unconnected socket would answer
 * the peer's INIT with an ABORT. pkt is borrowed (copied).
 */
void ponte_sctp_input(struct ponte_sctp *s, const uint8_t *pkt, size_t len);

/*
 * Open a channel from our side: pick the lowest free stream id of our parity (RFC 8832 §6),
 * send DATA_CHANNEL_OPEN on it and store the id in *stream. Messages may be sent right away;
 * they go ordered until the peer's DATA_CHANNEL_ACK arrives (RFC 8832 §6). label and
 * protocol (NULL means "") are UTF-8, copied into the message. cp NULL means reliable and
 * ordered. Returns 0, -ENOTCONN (association not up), -ENOSPC (no free stream), -EINVAL,
 * -EMSGSIZE (label and protocol too long for the peer), -EAGAIN, -EIO.
 */
int ponte_sctp_open_channel(struct ponte_sctp *s, const char *label, const char *protocol,
			    const struct ponte_sctp_channel_params *cp, uint16_t *stream);

/*
 * Send one message on an open (or opening) channel: text (PPID 51, or 56 when empty) or
 * binary (53, or 57 when empty), RFC 8831 §8. data is copied; it may be NULL when len is 0.
 * Returns 0, -ENOTCONN (association not up, or no such channel, or closing), -EMSGSIZE
 * (larger than the peer accepts), -EAGAIN (usrsctp's send buffer is full: retry after the
 * writable op), -EIO.
 */
int ponte_sctp_send(struct ponte_sctp *s, uint16_t stream, bool is_binary, const uint8_t *data,
		    size_t len);

/*
 * Close a channel: reset our outgoing stream (RFC 8831 §6.7); the peer answers by resetting
 * its own, and the channel_closed op reports the end. Messages already queued are sent
 * first. Returns 0, -ENOENT (no channel), -EALREADY (already closing), -ENOTCONN.
 */
int ponte_sctp_close_channel(struct ponte_sctp *s, uint16_t stream);

enum ponte_sctp_channel_state ponte_sctp_channel_state(const struct ponte_sctp *s, uint16_t stream);

struct ponte_sctp_stats {
	uint64_t nb_rx_packets;		/* fed to ponte_sctp_input */
	uint64_t nb_rx_packets_dropped; /* of those, dropped before usrsctp: empty, > 64 KiB, or
					   after the association ended */
	uint64_t nb_tx_packets;		/* handed to the send op */
	uint64_t nb_rx_messages;	/* delivered through the message op */
	uint64_t nb_rx_bytes;
	uint64_t nb_tx_messages; /* accepted by ponte_sctp_send */
	uint64_t nb_tx_bytes;
	uint64_t nb_rx_too_big;	    /* messages over max_message_size, dropped */
	uint64_t nb_rx_dropped;	    /* messages on a stream without an open channel, unknown PPIDs,
				       partial deliveries the peer aborted */
	uint64_t nb_dcep_malformed; /* DCEP messages ignored: short, lengths overrunning the
				       message, unknown type or channel type, wrong stream parity,
				       OPEN on a used stream, ACK without an OPEN */
	uint64_t nb_tx_abandoned;   /* messages usrsctp gave up on (partial reliability) */
};

void ponte_sctp_get_stats(const struct ponte_sctp *s, struct ponte_sctp_stats *out);

/*
 * Free the association at once: its usrsctp socket is aborted without telling the peer (the
 * caller ends DTLS, which the peer notices). No op runs after this returns; safe from inside
 * any op (the memory goes when the op returns). NULL is ignored.
 */
void ponte_sctp_destroy(struct ponte_sctp *s);

/*
 * At process exit, once every association is destroyed: stop usrsctp (usrsctp_finish) so
 * that nothing of it is left, for leak checkers. Waits up to 2 s for usrsctp to free the
 * endpoints it still holds. usrsctp cannot be started again afterwards. Returns 0, or -EBUSY
 * while associations exist or when usrsctp would not stop.
 */
int ponte_sctp_shutdown(void);

#endif
