/* SPDX-License-Identifier: MIT */
/*
 * The signaling core: frame admission (size, rate), the seed protocol, the JSON protocol's
 * request table, presence and delivery. Protocol reference: docs/signaling.md.
 */
#include "signaling.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "log.h"
#include "ratelimit.h"
#include "room.h"

#define TX_MAX 64
#define RATE_ERROR_GAP_US 1000000

struct ponte_signal {
	const struct ponte_config *cfg;
	struct room_hub *rooms;
	GHashTable *conns; /* struct ponte_signal_conn * set, owned */
	int64_t (*now_us)(void);
	uint64_t next_id;
	const struct ponte_signal_services *svc;
	void *svc_ctx;
	struct ponte_signal_stats st;
};

struct ponte_signal_conn {
	struct ponte_signal *sig;
	const struct ponte_signal_conn_ops *ops;
	void *ctx;
	uint64_t id;
	char remote[64];
	struct ratelimit rl;
	int64_t last_rate_error_us;
	int64_t roomless_since_us; /* when it last had no room; 0 while in one */
	GPtrArray *members; /* struct room_member *, owned by the room layer */
	bool is_closing;
};

/* The request being handled: what every handler needs to reply. */
struct req {
	struct ponte_signal_conn *conn;
	json_t *msg; /* JSON protocol only */
	json_t *tx; /* borrowed from msg, may be NULL */
};

static void conn_free(gpointer p)
{
	struct ponte_signal_conn *conn = p;

	g_ptr_array_free(conn->members, TRUE);
	g_free(conn);
}

int ponte_signal_create(const struct ponte_config *cfg, struct ponte_signal **out)
{
	struct ponte_signal *sig = g_new0(struct ponte_signal, 1);

	sig->cfg = cfg;
	sig->rooms = room_hub_new(cfg->signaling.max_rooms, cfg->signaling.max_members);
	sig->conns = g_hash_table_new_full(g_direct_hash, g_direct_equal, conn_free, NULL);
	sig->now_us = g_get_monotonic_time;
	sig->next_id = 1;
	*out = sig;
	return 0;
}

void ponte_signal_destroy(struct ponte_signal *sig)
{
	GHashTableIter it;
	gpointer key;

	if (sig == NULL)
		return;
	/* Memberships point into the room layer; drop them before the rooms go. */
	g_hash_table_iter_init(&it, sig->conns);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		struct ponte_signal_conn *conn = key;

		for (guint i = 0; i < conn->members->len; i++)
			room_leave(sig->rooms, g_ptr_array_index(conn->members, i));
		g_ptr_array_set_size(conn->members, 0);
	}
	g_hash_table_destroy(sig->conns);
	room_hub_free(sig->rooms);
	g_free(sig);
}

void ponte_signal_set_clock(struct ponte_signal *sig, int64_t (*now_us)(void))
{
	sig->now_us = now_us;
}

uint64_t ponte_signal_conn_id(const struct ponte_signal_conn *conn)
{
	return conn->id;
}

/* Room keys are capabilities: logs show only their start. */
static const char *log_room(const char *name, char buf[12])
{
	size_t len = strlen(name);

	if (len <= 8)
		return name;
	memcpy(buf, name, 6);
	memcpy(buf + 6, "...", 4);
	return buf;
}

/* ---- output ---- */

static void send_text(struct ponte_signal_conn *conn, const char *text, size_t len)
{
	conn->sig->st.frames_out++;
	conn->ops->send(conn->ctx, text, len);
}

/* Serialize and send obj; steals the reference. */
static void send_json(struct ponte_signal_conn *conn, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);

	if (text != NULL) {
		send_text(conn, text, strlen(text));
		free(text);
	}
	json_decref(obj);
}

static void reply(const struct req *r, json_t *obj)
{
	if (r->tx != NULL)
		json_object_set(obj, "tx", r->tx);
	send_json(r->conn, obj);
}

static void __attribute__((format(printf, 3, 4)))
reply_error(const struct req *r, const char *code, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->conn->sig->st.errors_out++;
	log_debug("signal", "conn=%" PRIu64 " error code=%s text=%s", r->conn->id, code, text);
	reply(r, json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "text", text));
}

/* Tell the JSON members of a room, other than skip, about a presence change. */
static void announce(struct room *room, const struct room_member *skip, const char *type,
		     const char *peer, const char *reason)
{
	for (unsigned i = 0; i < room_nb_members(room); i++) {
		struct room_member *m = room_member_at(room, i);
		json_t *ev;

		if (m == skip || m->is_seed)
			continue;
		ev = json_pack("{s:s, s:s, s:s}", "type", type, "room", room_name(room), "peer",
			       peer);
		if (reason != NULL)
			json_object_set_new(ev, "reason", json_string(reason));
		send_json(m->conn, ev);
	}
}

/* Deliver to one member in its protocol: raw text for seed members, a message object else. */
static void deliver(struct room_member *to, const struct room_member *from, const char *text,
		    size_t len, json_t *data)
{
	json_t *msg;

	if (to->is_seed) {
		char *s = NULL;

		if (data != NULL && json_is_string(data)) {
			text = json_string_value(data);
			len = json_string_length(data);
		} else if (data != NULL) {
			s = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
			text = s;
			len = s != NULL ? strlen(s) : 0;
		}
		if (text != NULL)
			send_text(to->conn, text, len);
		free(s);
		return;
	}
	msg = json_pack("{s:s, s:s, s:s}", "type", "message", "room", room_name(from->room),
			"from", from->peer);
	json_object_set_new(msg, "data",
			    data != NULL ? json_incref(data) : json_stringn(text, len));
	send_json(to->conn, msg);
}

/* ---- membership ---- */

static struct room_member *conn_membership(struct ponte_signal_conn *conn, const char *room)
{
	for (guint i = 0; i < conn->members->len; i++) {
		struct room_member *m = g_ptr_array_index(conn->members, i);

		if (strcmp(room_name(m->room), room) == 0)
			return m;
	}
	return NULL;
}

static void random_peer(char *buf, size_t size, const char *prefix)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = g_strlcpy(buf, prefix, size);

	for (int i = 0; i < 10 && n + 1 < size; i++)
		buf[n++] = alphabet[g_random_int_range(0, sizeof(alphabet) - 1)];
	buf[n] = '\0';
}

/* Join with the limits of docs/signaling.md; replies the error itself on failure. */
static struct room_member *join(const struct req *r, const char *room, const char *peer,
				bool is_seed)
{
	struct ponte_signal_conn *conn = r->conn;
	struct ponte_signal *sig = conn->sig;
	char chosen[ROOM_PEER_MAX + 1];
	struct room_member *m = NULL;
	char lr[12];
	int rc;

	if ((int)conn->members->len >= sig->cfg->signaling.max_rooms_per_connection) {
		reply_error(r, "too_many_rooms", "this connection is in %u rooms, the limit",
			    conn->members->len);
		return NULL;
	}
	for (int attempt = 0; attempt < 4; attempt++) {
		if (peer == NULL)
			random_peer(chosen, sizeof(chosen), is_seed ? "seed-" : "p-");
		rc = room_join(sig->rooms, room, conn, peer != NULL ? peer : chosen, is_seed, &m);
		if (rc != -EEXIST || peer != NULL)
			break;
	}
	switch (rc) {
	case 0:
		break;
	case -ENOSPC:
		reply_error(r, "too_many_rooms", "the gateway has %d rooms, the limit",
			    sig->cfg->signaling.max_rooms);
		return NULL;
	case -EBUSY:
		reply_error(r, "room_full", "room '%s' has %d members, the limit", room,
			    sig->cfg->signaling.max_members);
		return NULL;
	case -EEXIST:
		reply_error(r, "peer_taken", "peer id '%s' is taken in room '%s'", peer, room);
		return NULL;
	default:
		reply_error(r, "internal", "join failed: %s", g_strerror(-rc));
		return NULL;
	}
	g_ptr_array_add(conn->members, m);
	conn->roomless_since_us = 0;
	log_info("signal", "conn=%" PRIu64 " room=%s peer=%s joined (%s, %u members)", conn->id,
		 log_room(room, lr), m->peer, is_seed ? "seed" : "json", room_nb_members(m->room));
	return m;
}

static void leave(struct ponte_signal_conn *conn, struct room_member *m, const char *reason)
{
	struct room *room = m->room;
	char peer[ROOM_PEER_MAX + 1];
	char lr[12];

	g_strlcpy(peer, m->peer, sizeof(peer));
	log_info("signal", "conn=%" PRIu64 " room=%s peer=%s left (%s)", conn->id,
		 log_room(room_name(room), lr), peer, reason);
	g_ptr_array_remove(conn->members, m);
	if (room_nb_members(room) > 1)
		announce(room, m, "peer-left", peer, reason);
	room_leave(conn->sig->rooms, m);
	if (conn->members->len == 0)
		conn->roomless_since_us = conn->sig->now_us();
}

/* ---- seed protocol (c:ROOM, m:ROOM:TEXT) ---- */

static void seed_subscribe(const struct req *r, const char *body, size_t len)
{
	char room[ROOM_NAME_MAX + 1];
	struct room_member *m;

	if (!room_name_is_valid(body, len)) {
		reply_error(r, "bad_room", "room name must be 1-%d bytes without ':' or control "
			    "characters", ROOM_NAME_MAX);
		return;
	}
	memcpy(room, body, len);
	room[len] = '\0';
	/* The seed server subscribed again on a repeated c:; one membership is enough. */
	if (conn_membership(r->conn, room) != NULL)
		return;
	m = join(r, room, NULL, true);
	if (m != NULL)
		announce(m->room, m, "peer-joined", m->peer, NULL);
}

static void seed_message(const struct req *r, const char *body, size_t len)
{
	const char *sep = memchr(body, ':', len);
	char room[ROOM_NAME_MAX + 1];
	struct room_member *self;
	size_t room_len;

	if (sep == NULL) {
		reply_error(r, "bad_request", "m: needs ROOM:TEXT");
		return;
	}
	room_len = (size_t)(sep - body);
	if (!room_name_is_valid(body, room_len)) {
		reply_error(r, "bad_room", "room name must be 1-%d bytes without ':' or control "
			    "characters", ROOM_NAME_MAX);
		return;
	}
	memcpy(room, body, room_len);
	room[room_len] = '\0';
	self = conn_membership(r->conn, room);
	if (self == NULL) {
		reply_error(r, "not_joined", "not in room '%s': send c:%s first", room, room);
		return;
	}
	/* The seed server pushed to the whole channel, the sender included. */
	for (unsigned i = 0; i < room_nb_members(self->room); i++)
		deliver(room_member_at(self->room, i), self, sep + 1, len - room_len - 1, NULL);
}

static const struct {
	char cmd;
	void (*fn)(const struct req *r, const char *body, size_t len);
} seed_cmds[] = {
	{'c', seed_subscribe},
	{'m', seed_message},
};

static void handle_seed(const struct req *r, const char *data, size_t len)
{
	if (len >= 2 && data[1] == ':') {
		for (size_t i = 0; i < G_N_ELEMENTS(seed_cmds); i++) {
			if (seed_cmds[i].cmd == data[0]) {
				seed_cmds[i].fn(r, data + 2, len - 2);
				return;
			}
		}
	}
	reply_error(r, "unknown_command", "expected c:ROOM or m:ROOM:TEXT");
}

/* ---- JSON protocol ---- */

/* A request parameter: name, expected JSON type (-1: any), whether it must be present. */
struct param {
	const char *name;
	int type;
	bool is_required;
};

#define P_END {NULL, 0, false}

static const char *json_type_name(int type)
{
	switch (type) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "a value";
	}
}

static bool check_params(const struct req *r, const struct param *params)
{
	for (const struct param *p = params; p->name != NULL; p++) {
		json_t *v = json_object_get(r->msg, p->name);

		if (v == NULL || json_is_null(v)) {
			if (!p->is_required)
				continue;
			reply_error(r, "bad_request", "%s: missing", p->name);
			return false;
		}
		if (p->type >= 0 && (int)json_typeof(v) != p->type) {
			reply_error(r, "bad_request", "%s: expected %s", p->name,
				    json_type_name(p->type));
			return false;
		}
	}
	return true;
}

static const char *str_param(const struct req *r, const char *name)
{
	return json_string_value(json_object_get(r->msg, name));
}

/* Validates the "room" parameter; replies bad_room when it is not acceptable. */
static const char *room_param(const struct req *r)
{
	json_t *v = json_object_get(r->msg, "room");

	if (!room_name_is_valid(json_string_value(v), json_string_length(v)) ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		reply_error(r, "bad_room", "room name must be 1-%d bytes without ':' or control "
			    "characters", ROOM_NAME_MAX);
		return NULL;
	}
	return json_string_value(v);
}

static const struct param join_params[] = {
	{"room", JSON_STRING, true},
	{"peer", JSON_STRING, false},
	{"media", JSON_STRING, false},
	P_END,
};

static void req_join(const struct req *r)
{
	const char *room = room_param(r);
	const char *peer = str_param(r, "peer");
	const char *media = str_param(r, "media");
	struct room_member *m;
	json_t *peers;
	int mode = -1;

	if (room == NULL)
		return;
	if (media != NULL) {
		mode = strcmp(media, "relay") == 0 ? PONTE_ROOM_MEDIA_RELAY
		       : strcmp(media, "p2p") == 0 ? PONTE_ROOM_MEDIA_P2P
						     : -2;
		if (mode == -2) {
			reply_error(r, "bad_request", "media: expected \"p2p\" or \"relay\"");
			return;
		}
	}
	if (peer != NULL && !room_peer_is_valid(peer)) {
		reply_error(r, "bad_peer", "peer id must be 1-%d characters of A-Z a-z 0-9 _ -",
			    ROOM_PEER_MAX);
		return;
	}
	if (conn_membership(r->conn, room) != NULL) {
		reply_error(r, "already_joined", "already in room '%s'", room);
		return;
	}
	bool is_new = room_find(r->conn->sig->rooms, room) == NULL;

	m = join(r, room, peer, false);
	if (m == NULL)
		return;
	/* The first member decides the room's media mode; later ones follow it. */
	if (is_new)
		room_set_media(m->room, mode >= 0 ? mode : r->conn->sig->cfg->rooms.media);
	peers = json_array();
	for (unsigned i = 0; i < room_nb_members(m->room); i++) {
		struct room_member *o = room_member_at(m->room, i);

		if (o != m)
			json_array_append_new(peers, json_string(o->peer));
	}
	reply(r, json_pack("{s:s, s:s, s:s, s:o, s:s}", "type", "joined", "room", room, "peer",
			   m->peer, "peers", peers, "media",
			   room_media(m->room) == PONTE_ROOM_MEDIA_RELAY ? "relay" : "p2p"));
	announce(m->room, m, "peer-joined", m->peer, NULL);
}

static const struct param leave_params[] = {
	{"room", JSON_STRING, true},
	P_END,
};

static void req_leave(const struct req *r)
{
	const char *room = room_param(r);
	struct room_member *m;

	if (room == NULL)
		return;
	m = conn_membership(r->conn, room);
	if (m == NULL) {
		reply_error(r, "not_joined", "not in room '%s'", room);
		return;
	}
	/* Copy the name: leaving may free the room that owns it. */
	char name[ROOM_NAME_MAX + 1];

	g_strlcpy(name, room, sizeof(name));
	leave(r->conn, m, "left");
	reply(r, json_pack("{s:s, s:s}", "type", "left", "room", name));
}

static const struct param message_params[] = {
	{"room", JSON_STRING, true},
	{"to", JSON_STRING, false},
	{"data", -1, true},
	P_END,
};

static void req_message(const struct req *r)
{
	const char *room = room_param(r);
	const char *to = str_param(r, "to");
	json_t *data = json_object_get(r->msg, "data");
	struct room_member *self;

	if (room == NULL)
		return;
	self = conn_membership(r->conn, room);
	if (self == NULL) {
		reply_error(r, "not_joined", "not in room '%s'", room);
		return;
	}
	if (to != NULL) {
		struct room_member *dst = room_find_peer(self->room, to);

		if (dst == NULL) {
			reply_error(r, "no_such_peer", "no peer '%s' in room '%s'", to, room);
			return;
		}
		deliver(dst, self, NULL, 0, data);
		return;
	}
	for (unsigned i = 0; i < room_nb_members(self->room); i++) {
		struct room_member *m = room_member_at(self->room, i);

		if (m != self)
			deliver(m, self, NULL, 0, data);
	}
}

static const struct param ping_params[] = {
	P_END,
};

static void req_ping(const struct req *r)
{
	reply(r, json_pack("{s:s}", "type", "pong"));
}

static const struct {
	const char *type;
	const struct param *params;
	void (*fn)(const struct req *r);
} json_reqs[] = {
	{"join", join_params, req_join},
	{"leave", leave_params, req_leave},
	{"message", message_params, req_message},
	{"ping", ping_params, req_ping},
};

static void handle_json(struct req *r, const char *data, size_t len)
{
	json_error_t err;
	json_t *msg = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	const char *type;

	if (msg == NULL || !json_is_object(msg)) {
		if (msg == NULL)
			reply_error(r, "bad_json", "%s at column %d", err.text, err.column);
		else
			reply_error(r, "bad_json", "expected a JSON object");
		json_decref(msg);
		return;
	}
	r->msg = msg;
	/* Echo tx only when it is small and scalar, so a reply can never be used to amplify. */
	json_t *tx = json_object_get(msg, "tx");

	if (tx != NULL) {
		char buf[TX_MAX + 1];

		if ((!json_is_string(tx) && !json_is_number(tx)) ||
		    json_dumpb(tx, buf, sizeof(buf), JSON_ENCODE_ANY) > TX_MAX) {
			reply_error(r, "bad_request", "tx: expected a string or number of at "
				    "most %d bytes", TX_MAX);
			goto out;
		}
		r->tx = tx;
	}
	type = json_string_value(json_object_get(msg, "type"));
	if (type == NULL) {
		reply_error(r, "bad_request", "type: missing");
		goto out;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(json_reqs); i++) {
		if (strcmp(json_reqs[i].type, type) == 0) {
			if (check_params(r, json_reqs[i].params))
				json_reqs[i].fn(r);
			goto out;
		}
	}
	if (r->conn->sig->svc != NULL &&
	    r->conn->sig->svc->request(r->conn->sig->svc_ctx, r->conn, type, msg, r->tx))
		goto out;
	reply_error(r, "unknown_type", "unknown type '%.64s'", type);
out:
	json_decref(msg);
}

/* ---- connections ---- */

int ponte_signal_conn_open(struct ponte_signal *sig, const struct ponte_signal_conn_ops *ops,
			   void *ctx, const char *remote, struct ponte_signal_conn **out)
{
	struct ponte_signal_conn *conn;
	int64_t now = sig->now_us();

	if ((int)g_hash_table_size(sig->conns) >= sig->cfg->signaling.max_connections) {
		log_warn("signal", "remote=%s refused: %d connections, the limit", remote,
			 sig->cfg->signaling.max_connections);
		return -EMFILE;
	}
	conn = g_new0(struct ponte_signal_conn, 1);
	conn->sig = sig;
	conn->ops = ops;
	conn->ctx = ctx;
	conn->id = sig->next_id++;
	g_strlcpy(conn->remote, remote, sizeof(conn->remote));
	conn->members = g_ptr_array_new();
	conn->roomless_since_us = now;
	conn->last_rate_error_us = now - RATE_ERROR_GAP_US;
	ratelimit_init(&conn->rl, sig->cfg->signaling.rate, sig->cfg->signaling.burst, now);
	g_hash_table_add(sig->conns, conn);
	log_info("signal", "conn=%" PRIu64 " remote=%s open", conn->id, remote);
	*out = conn;
	return 0;
}

/* Rate and size checks common to every frame; false when the frame is dropped. */
static bool admit(struct ponte_signal_conn *conn, const struct req *r, size_t len)
{
	struct ponte_signal *sig = conn->sig;
	int64_t now = sig->now_us();

	sig->st.frames_in++;
	if (!ratelimit_take(&conn->rl, now)) {
		/* One error a second at most: the answer to a flood must not be a flood. */
		if (now - conn->last_rate_error_us >= RATE_ERROR_GAP_US) {
			conn->last_rate_error_us = now;
			log_warn("signal", "conn=%" PRIu64 " rate limited", conn->id);
			reply_error(r, "rate_limited", "more than %d frames per second (burst %d)",
				    sig->cfg->signaling.rate, sig->cfg->signaling.burst);
		}
		return false;
	}
	if (len > (size_t)sig->cfg->signaling.max_frame_bytes) {
		reply_error(r, "too_large", "frame of %zu bytes is over the limit of %d", len,
			    sig->cfg->signaling.max_frame_bytes);
		return false;
	}
	return true;
}

void ponte_signal_conn_text(struct ponte_signal_conn *conn, const char *data, size_t len)
{
	struct req r = {.conn = conn};

	if (!admit(conn, &r, len))
		return;
	if (len > 0 && data[0] == '{')
		handle_json(&r, data, len);
	else
		handle_seed(&r, data, len);
}

void ponte_signal_conn_binary(struct ponte_signal_conn *conn, size_t len)
{
	struct req r = {.conn = conn};

	if (!admit(conn, &r, len))
		return;
	reply_error(&r, "binary_unsupported", "binary frames are not accepted; send text");
}

void ponte_signal_conn_gone(struct ponte_signal_conn *conn, enum ponte_signal_gone why)
{
	const char *reason = why == PONTE_SIGNAL_DEAD ? "dead" : "closed";

	if (conn->sig->svc != NULL)
		conn->sig->svc->conn_gone(conn->sig->svc_ctx, conn);
	while (conn->members->len > 0)
		leave(conn, g_ptr_array_index(conn->members, conn->members->len - 1), reason);
	log_info("signal", "conn=%" PRIu64 " remote=%s gone (%s)", conn->id, conn->remote,
		 reason);
	g_hash_table_remove(conn->sig->conns, conn);
}

void ponte_signal_tick(struct ponte_signal *sig)
{
	int64_t now = sig->now_us();
	int64_t limit = (int64_t)sig->cfg->signaling.join_timeout * G_USEC_PER_SEC;
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, sig->conns);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		struct ponte_signal_conn *conn = key;

		if (conn->is_closing || conn->roomless_since_us == 0 ||
		    now - conn->roomless_since_us < limit)
			continue;
		if (sig->svc != NULL && sig->svc->conn_busy != NULL &&
		    sig->svc->conn_busy(sig->svc_ctx, conn)) {
			conn->roomless_since_us = now;
			continue;
		}
		conn->is_closing = true;
		log_info("signal", "conn=%" PRIu64 " closing: no room joined for %d s", conn->id,
			 sig->cfg->signaling.join_timeout);
		conn->ops->close(conn->ctx, 1008, "no room joined");
	}
}

void ponte_signal_close_all(struct ponte_signal *sig)
{
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, sig->conns);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		struct ponte_signal_conn *conn = key;

		if (!conn->is_closing) {
			conn->is_closing = true;
			conn->ops->close(conn->ctx, 1001, "gateway shutting down");
		}
	}
}

void ponte_signal_get_stats(const struct ponte_signal *sig, struct ponte_signal_stats *st)
{
	*st = sig->st;
	st->nb_conns = g_hash_table_size(sig->conns);
	st->nb_rooms = room_hub_nb_rooms(sig->rooms);
}

void ponte_signal_set_services(struct ponte_signal *sig, const struct ponte_signal_services *svc,
			       void *ctx)
{
	sig->svc = svc;
	sig->svc_ctx = ctx;
}

void ponte_signal_send(struct ponte_signal_conn *conn, json_t *obj, json_t *tx)
{
	struct req r = {.conn = conn, .tx = tx};

	reply(&r, obj);
}

void ponte_signal_error(struct ponte_signal_conn *conn, json_t *tx, const char *code,
			const char *fmt, ...)
{
	struct req r = {.conn = conn, .tx = tx};
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	reply_error(&r, code, "%s", text);
}

int ponte_signal_room_media(struct ponte_signal_conn *conn, const char *room)
{
	struct room_member *m = conn_membership(conn, room);

	return m != NULL ? room_media(m->room) : -ENOENT;
}

const char *ponte_signal_peer_id(struct ponte_signal_conn *conn, const char *room)
{
	struct room_member *m = conn_membership(conn, room);

	return m != NULL ? m->peer : NULL;
}

unsigned ponte_signal_room_conns(struct ponte_signal *sig, const char *room,
				 struct ponte_signal_conn **out, unsigned max)
{
	struct room *r = room_find(sig->rooms, room);
	unsigned n = 0;

	for (unsigned i = 0; r != NULL && i < room_nb_members(r) && n < max; i++) {
		struct room_member *m = room_member_at(r, i);

		/* Seed-protocol members speak no JSON: they cannot take a call. */
		if (!m->is_seed)
			out[n++] = m->conn;
	}
	return n;
}
