/* SPDX-License-Identifier: MIT */
/*
 * Room signaling: the seed protocol (c:ROOM, m:ROOM:TEXT) and the JSON protocol of
 * docs/signaling.md, over any transport that carries text frames. The WebSocket glue (ws.c)
 * feeds frames in and gets frames out through ponte_signal_conn_ops; unit tests do the same
 * with in-memory connections.
 *
 * Threading: everything runs on the control plane's main loop thread.
 */
#ifndef PONTE_CONTROL_SIGNALING_H
#define PONTE_CONTROL_SIGNALING_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"

struct ponte_signal;
struct ponte_signal_conn;

/* Why a connection went away, as told to the rest of its rooms. */
enum ponte_signal_gone {
	PONTE_SIGNAL_CLOSED, /* the transport closed (either side) */
	PONTE_SIGNAL_DEAD, /* the transport found the peer unreachable */
};

/* What the signaling core needs from a transport. ctx is the transport's own. */
struct ponte_signal_conn_ops {
	/* Queue one text frame. text is borrowed for the duration of the call. */
	void (*send)(void *ctx, const char *text, size_t len);
	/* Start closing with a WebSocket close code. The transport reports the end later with
	 * ponte_signal_conn_gone(); until then frames may still arrive and are processed. */
	void (*close)(void *ctx, unsigned short code, const char *reason);
};

struct ponte_signal_stats {
	uint64_t nb_conns;
	uint64_t nb_rooms;
	uint64_t frames_in;
	uint64_t frames_out;
	uint64_t errors_out;
};

/* cfg is borrowed and must outlive the signaling core. */
int ponte_signal_create(const struct ponte_config *cfg, struct ponte_signal **out);
void ponte_signal_destroy(struct ponte_signal *sig);

/* Replace the monotonic clock (microseconds); for tests. */
void ponte_signal_set_clock(struct ponte_signal *sig, int64_t (*now_us)(void));

/*
 * Register a new transport connection. Returns 0, or -EMFILE when signaling.max_connections
 * is reached (the caller closes the transport with 1013 and never calls gone). ops and ctx
 * are borrowed until ponte_signal_conn_gone(). remote is a printable peer address for logs.
 */
int ponte_signal_conn_open(struct ponte_signal *sig, const struct ponte_signal_conn_ops *ops,
			   void *ctx, const char *remote, struct ponte_signal_conn **out);

/* One text frame from the client; data need not be NUL-terminated. */
void ponte_signal_conn_text(struct ponte_signal_conn *conn, const char *data, size_t len);

/* One binary frame from the client (refused: signaling is text). */
void ponte_signal_conn_binary(struct ponte_signal_conn *conn, size_t len);

/* The transport is gone: leave every room, tell the others, free conn. */
void ponte_signal_conn_gone(struct ponte_signal_conn *conn, enum ponte_signal_gone why);

/* Numeric id of the connection, for logs. */
uint64_t ponte_signal_conn_id(const struct ponte_signal_conn *conn);

/* Periodic housekeeping (join timeouts); call about once a second. */
void ponte_signal_tick(struct ponte_signal *sig);

/* Ask every connection to close (1001, shutting down). */
void ponte_signal_close_all(struct ponte_signal *sig);

void ponte_signal_get_stats(const struct ponte_signal *sig, struct ponte_signal_stats *st);

/*
 * Services beyond rooms (gateway sessions): JSON requests of types the rooms core does not
 * know go to request(), which returns false when it does not know them either (the client
 * then gets unknown_type). msg and tx are borrowed. conn_gone() runs before a connection is
 * freed. Both on the main loop.
 */
struct ponte_signal_services {
	bool (*request)(void *ctx, struct ponte_signal_conn *conn, const char *type, json_t *msg,
			json_t *tx);
	void (*conn_gone)(void *ctx, struct ponte_signal_conn *conn);
	/* Whether conn holds something of the service's (a session): then it is not idle even
	 * without a room, and signaling.join_timeout does not close it. May be NULL. */
	bool (*conn_busy)(void *ctx, struct ponte_signal_conn *conn);
};

void ponte_signal_set_services(struct ponte_signal *sig, const struct ponte_signal_services *svc,
			       void *ctx);

/* Send obj (stolen) to conn, with "tx" set when tx is not NULL. */
void ponte_signal_send(struct ponte_signal_conn *conn, json_t *obj, json_t *tx);
/* Send an error frame {"type":"error","code":code,"text":...}. */
void ponte_signal_error(struct ponte_signal_conn *conn, json_t *tx, const char *code,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Whether conn is a member of room, and the room's media mode (enum ponte_room_media
 * of config.h; -ENOENT if not a member). */
int ponte_signal_room_media(struct ponte_signal_conn *conn, const char *room);
/* The JSON-protocol members of room (at most max of them) into out; how many. */
unsigned ponte_signal_room_conns(struct ponte_signal *sig, const char *room,
				 struct ponte_signal_conn **out, unsigned max);
/* The peer id conn has in room, or NULL. */
const char *ponte_signal_peer_id(struct ponte_signal_conn *conn, const char *room);

#endif
