/* SPDX-License-Identifier: MIT */
/*
 * The signaling core (seed and JSON protocols, rooms, limits) driven through in-memory
 * connections: every frame a client would receive is recorded and checked.
 */
#include <errno.h>
#include <stdlib.h>

#include <glib.h>
#include <jansson.h>

#include "config.h"
#include "log.h"
#include "signaling.h"
#include "tap.h"

struct client {
	struct ponte_signal_conn *conn;
	GPtrArray *frames; /* received text frames, g_malloc'd */
	int close_code; /* 0 while not asked to close */
};

static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

static void fake_send(void *ctx, const char *text, size_t len)
{
	struct client *c = ctx;

	g_ptr_array_add(c->frames, g_strndup(text, len));
}

static void fake_close(void *ctx, unsigned short code, const char *reason)
{
	struct client *c = ctx;

	c->close_code = code;
}

static const struct ponte_signal_conn_ops fake_ops = {.send = fake_send, .close = fake_close};

static struct client *client_new(struct ponte_signal *sig)
{
	struct client *c = g_new0(struct client, 1);

	c->frames = g_ptr_array_new_with_free_func(g_free);
	if (ponte_signal_conn_open(sig, &fake_ops, c, "test", &c->conn) != 0) {
		g_ptr_array_free(c->frames, TRUE);
		g_free(c);
		return NULL;
	}
	return c;
}

static void client_free(struct client *c, enum ponte_signal_gone why)
{
	if (c == NULL)
		return;
	ponte_signal_conn_gone(c->conn, why);
	g_ptr_array_free(c->frames, TRUE);
	g_free(c);
}

static void say(struct client *c, const char *text)
{
	ponte_signal_conn_text(c->conn, text, strlen(text));
}

/* Take the oldest received frame (caller frees), or NULL. */
static char *take(struct client *c)
{
	if (c->frames->len == 0)
		return NULL;
	return g_ptr_array_steal_index(c->frames, 0);
}

static void expect(struct client *c, const char *want, const char *what)
{
	char *have = take(c);

	CHECK_STR(have, want, what);
	g_free(have);
}

static void expect_none(struct client *c, const char *what)
{
	CHECK(c->frames->len == 0, "%s (got %u frames, first: %s)", what, c->frames->len,
	      c->frames->len ? (char *)g_ptr_array_index(c->frames, 0) : "");
	g_ptr_array_set_size(c->frames, 0);
}

/* Check the next frame is a JSON error with this code. */
static void expect_error(struct client *c, const char *code, const char *what)
{
	char *have = take(c);
	json_t *obj = have ? json_loads(have, 0, NULL) : NULL;
	const char *type = json_string_value(json_object_get(obj, "type"));
	const char *got = json_string_value(json_object_get(obj, "code"));
	const char *text = json_string_value(json_object_get(obj, "text"));

	CHECK(type && strcmp(type, "error") == 0 && got && strcmp(got, code) == 0 && text &&
		      text[0],
	      "%s: error %s (got %s)", what, code, have ? have : "nothing");
	json_decref(obj);
	g_free(have);
}

/* Check the next frame is a JSON object whose fields include all of want's. */
static void expect_json(struct client *c, const char *want, const char *what)
{
	char *have = take(c);
	json_t *h = have ? json_loads(have, 0, NULL) : NULL;
	json_t *w = json_loads(want, 0, NULL);
	const char *key;
	json_t *val;
	bool ok = h != NULL;

	json_object_foreach(w, key, val)
	{
		if (!ok || !json_equal(json_object_get(h, key), val))
			ok = false;
	}
	CHECK(ok, "%s (got %s)", what, have ? have : "nothing");
	json_decref(h);
	json_decref(w);
	g_free(have);
}

static struct ponte_config *test_config(void)
{
	struct ponte_config *cfg = ponte_config_defaults();

	cfg->signaling.max_rooms = 3;
	cfg->signaling.max_members = 3;
	cfg->signaling.max_rooms_per_connection = 2;
	cfg->signaling.max_connections = 8;
	cfg->signaling.max_frame_bytes = 256;
	cfg->signaling.rate = 2;
	cfg->signaling.burst = 5;
	cfg->signaling.join_timeout = 10;
	return cfg;
}

static uint64_t nb_rooms(struct ponte_signal *sig)
{
	struct ponte_signal_stats st;

	ponte_signal_get_stats(sig, &st);
	return st.nb_rooms;
}

static void test_seed_protocol(struct ponte_signal *sig)
{
	struct client *a = client_new(sig), *b = client_new(sig), *c = client_new(sig);

	say(a, "c:403");
	say(b, "c:403");
	say(c, "c:999");
	expect_none(a, "seed: c: has no reply");
	say(b, "m:403:1:{\"sdp\":\"v=0\"}");
	expect(a, "1:{\"sdp\":\"v=0\"}", "seed: m: reaches the other member as TEXT");
	expect(b, "1:{\"sdp\":\"v=0\"}", "seed: m: reaches the sender too, as the seed server");
	expect_none(c, "seed: another room hears nothing");
	say(a, "m:403:a:b:c");
	expect(b, "a:b:c", "seed: TEXT may contain ':'");
	expect(a, "a:b:c", "seed: sender gets TEXT with ':' too");
	say(a, "m:403:");
	expect(b, "", "seed: empty TEXT is delivered");
	expect(a, "", "seed: empty TEXT to the sender too");

	say(a, "c:403");
	say(b, "m:403:once");
	expect(a, "once", "seed: repeated c: gives one delivery");
	expect_none(a, "seed: ... and not two");
	expect(b, "once", "seed: sender copy");

	say(c, "m:403:intrude");
	expect_error(c, "not_joined", "seed: m: for a room not joined");
	expect_none(a, "seed: refused m: reaches nobody");
	say(c, "x:403");
	expect_error(c, "unknown_command", "seed: unknown command");
	say(c, "hello");
	expect_error(c, "unknown_command", "seed: no command at all");
	say(c, "");
	expect_error(c, "unknown_command", "seed: empty frame");
	say(c, "c:");
	expect_error(c, "bad_room", "seed: empty room");
	say(c, "c:a:b");
	expect_error(c, "bad_room", "seed: ':' in room");
	say(c, "c:a\tb");
	expect_error(c, "bad_room", "seed: control character in room");
	say(c, "m:999");
	expect_error(c, "bad_request", "seed: m: without TEXT");
	CHECK(nb_rooms(sig) == 2, "seed: two rooms exist");

	client_free(a, PONTE_SIGNAL_CLOSED);
	client_free(b, PONTE_SIGNAL_CLOSED);
	CHECK(nb_rooms(sig) == 1, "seed: a room disappears with its last member");
	client_free(c, PONTE_SIGNAL_CLOSED);
	CHECK(nb_rooms(sig) == 0, "seed: no room left");
}

static void test_json_protocol(struct ponte_signal *sig)
{
	struct client *a = client_new(sig), *b = client_new(sig), *c = client_new(sig);

	say(a, "{\"type\":\"join\",\"room\":\"R1\",\"peer\":\"alice\",\"tx\":1}");
	expect_json(a, "{\"type\":\"joined\",\"room\":\"R1\",\"peer\":\"alice\",\"peers\":[],\"tx\":1}",
		    "json: joined with tx echoed and no peers");
	say(b, "{\"type\":\"join\",\"room\":\"R1\",\"peer\":\"bob\",\"tx\":\"x\"}");
	expect_json(b, "{\"type\":\"joined\",\"peer\":\"bob\",\"peers\":[\"alice\"],\"tx\":\"x\"}",
		    "json: second joiner sees the first");
	expect_json(a, "{\"type\":\"peer-joined\",\"room\":\"R1\",\"peer\":\"bob\"}",
		    "json: presence: peer-joined");
	say(c, "{\"type\":\"join\",\"room\":\"R1\"}");
	char *joined = take(c);
	json_t *j = json_loads(joined, 0, NULL);
	const char *cpeer = json_string_value(json_object_get(j, "peer"));

	CHECK(cpeer && strncmp(cpeer, "p-", 2) == 0 && strlen(cpeer) == 12,
	      "json: server picks a peer id when none is given (%s)", joined);
	g_free(joined);
	expect_json(a, "{\"type\":\"peer-joined\"}", "json: alice told of the third");
	expect_json(b, "{\"type\":\"peer-joined\"}", "json: bob told of the third");

	say(a, "{\"type\":\"message\",\"room\":\"R1\",\"to\":\"bob\",\"data\":{\"sdp\":\"v=0\"}}");
	expect_json(b, "{\"type\":\"message\",\"room\":\"R1\",\"from\":\"alice\",\"data\":{\"sdp\":\"v=0\"}}",
		    "json: addressed message reaches its peer");
	expect_none(a, "json: no reply for a delivered message");
	expect_none(c, "json: addressed message reaches no one else");
	say(a, "{\"type\":\"message\",\"room\":\"R1\",\"data\":[1,2]}");
	expect_json(b, "{\"from\":\"alice\",\"data\":[1,2]}", "json: broadcast reaches bob");
	expect_json(c, "{\"from\":\"alice\",\"data\":[1,2]}", "json: broadcast reaches c");
	expect_none(a, "json: broadcast is not echoed to the sender");

	say(a, "{\"type\":\"message\",\"room\":\"R1\",\"to\":\"nobody\",\"data\":1}");
	expect_error(a, "no_such_peer", "json: message to an absent peer");
	say(a, "{\"type\":\"message\",\"room\":\"R2\",\"data\":1}");
	expect_error(a, "not_joined", "json: message to a room not joined");
	say(a, "{\"type\":\"message\",\"room\":\"R1\"}");
	expect_error(a, "bad_request", "json: message without data");
	say(a, "{\"type\":\"join\",\"room\":\"R1\"}");
	expect_error(a, "already_joined", "json: join twice");
	say(a, "{\"type\":\"join\",\"room\":\"R2\",\"peer\":\"bad id!\"}");
	expect_error(a, "bad_peer", "json: invalid peer id");
	struct client *d = client_new(sig);

	say(d, "{\"type\":\"join\",\"room\":\"R3\",\"peer\":\"bob\"}");
	expect_json(d, "{\"type\":\"joined\"}", "json: same peer id in another room is fine");
	say(d, "{\"type\":\"leave\",\"room\":\"R3\"}");
	expect_json(d, "{\"type\":\"left\",\"room\":\"R3\"}", "json: left");
	say(d, "{\"type\":\"join\",\"room\":\"R1\",\"peer\":\"bob\"}");
	expect_error(d, "peer_taken", "json: peer id taken in the room");
	say(d, "{\"type\":\"join\",\"room\":5}");
	expect_error(d, "bad_request", "json: room of the wrong type");
	say(d, "{\"type\":\"join\"}");
	expect_error(d, "bad_request", "json: room missing");
	say(d, "{\"type\":\"join\",\"room\":\"a:b\"}");
	expect_error(d, "bad_room", "json: room with ':'");
	say(d, "{\"type\":\"dance\"}");
	expect_error(d, "unknown_type", "json: unknown type");
	say(d, "{\"room\":\"R1\"}");
	expect_error(d, "bad_request", "json: no type");
	say(d, "{\"type\":\"join\",");
	expect_error(d, "bad_json", "json: truncated JSON");
	say(d, "{\"type\":\"ping\",\"type\":\"ping\"}");
	expect_error(d, "bad_json", "json: duplicate key");
	say(d, "{\"type\":\"ping\",\"tx\":{\"a\":1}}");
	expect_error(d, "bad_request", "json: tx must be a scalar");
	say(d, "{\"type\":\"ping\",\"tx\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}");
	expect_error(d, "bad_request", "json: tx too long");
	say(d, "{\"type\":\"ping\",\"tx\":42}");
	expect_json(d, "{\"type\":\"pong\",\"tx\":42}", "json: ping answered with pong");
	say(d, "{\"type\":\"leave\",\"room\":\"R1\"}");
	expect_error(d, "not_joined", "json: leave a room not joined");
	client_free(d, PONTE_SIGNAL_CLOSED);
	expect_none(a, "json: failed requests disturb no one");

	say(c, "{\"type\":\"leave\",\"room\":\"R1\",\"tx\":9}");
	expect_json(c, "{\"type\":\"left\",\"room\":\"R1\",\"tx\":9}", "json: leave answered");
	expect_json(a, "{\"type\":\"peer-left\",\"room\":\"R1\",\"reason\":\"left\"}",
		    "json: peer-left reason left");
	expect_json(b, "{\"type\":\"peer-left\",\"reason\":\"left\"}", "json: bob told too");
	client_free(b, PONTE_SIGNAL_DEAD);
	expect_json(a, "{\"type\":\"peer-left\",\"peer\":\"bob\",\"reason\":\"dead\"}",
		    "json: a dead connection is announced as dead");
	client_free(c, PONTE_SIGNAL_CLOSED);
	client_free(a, PONTE_SIGNAL_CLOSED);
	CHECK(nb_rooms(sig) == 0, "json: rooms gone with their members");
}

static void test_mixed(struct ponte_signal *sig)
{
	struct client *s = client_new(sig), *j = client_new(sig);

	say(j, "{\"type\":\"join\",\"room\":\"mix\",\"peer\":\"jay\"}");
	expect_json(j, "{\"type\":\"joined\",\"peers\":[]}", "mixed: JSON member joined");
	say(s, "c:mix");
	expect_none(s, "mixed: seed member gets no presence events");
	char *ev = take(j);

	CHECK(ev && strstr(ev, "\"peer-joined\"") && strstr(ev, "seed-"),
	      "mixed: JSON member told of the seed member (%s)", ev ? ev : "nothing");
	g_free(ev);
	say(s, "m:mix:0:hello");
	expect(s, "0:hello", "mixed: seed sender gets its TEXT");
	expect_json(j, "{\"type\":\"message\",\"room\":\"mix\",\"data\":\"0:hello\"}",
		    "mixed: JSON member gets seed TEXT as data");
	say(j, "{\"type\":\"message\",\"room\":\"mix\",\"data\":\"1:hi\"}");
	expect(s, "1:hi", "mixed: a string data reaches a seed member raw");
	say(j, "{\"type\":\"message\",\"room\":\"mix\",\"data\":{\"a\":1}}");
	expect(s, "{\"a\":1}", "mixed: other data reaches a seed member as JSON text");
	client_free(s, PONTE_SIGNAL_CLOSED);
	expect_json(j, "{\"type\":\"peer-left\",\"reason\":\"closed\"}",
		    "mixed: closed seed member announced");
	client_free(j, PONTE_SIGNAL_CLOSED);
}

static void test_limits(struct ponte_signal *sig)
{
	struct client *c[8];
	struct client *extra;

	for (int i = 0; i < 8; i++)
		c[i] = client_new(sig);
	extra = client_new(sig);
	CHECK(extra == NULL, "limits: max_connections refuses the ninth connection");

	say(c[0], "c:full");
	say(c[1], "c:full");
	say(c[2], "c:full");
	say(c[3], "c:full");
	expect_error(c[3], "room_full", "limits: room_full at max_members");
	say(c[3], "c:r2");
	say(c[3], "c:r3");
	say(c[4], "c:r4");
	expect_error(c[4], "too_many_rooms", "limits: too_many_rooms at max_rooms");
	say(c[3], "c:full2");
	expect_error(c[3], "too_many_rooms", "limits: max_rooms_per_connection");
	say(c[0], "m:full:ok");
	expect(c[1], "ok", "limits: the full room still works");
	expect(c[0], "ok", "limits: ... and echoes to its sender");

	char big[300];

	memset(big, 'x', sizeof(big));
	memcpy(big, "m:full:", 7);
	ponte_signal_conn_text(c[0]->conn, big, sizeof(big));
	expect_error(c[0], "too_large", "limits: frame over max_frame_bytes");
	expect_none(c[1], "limits: too large frame is dropped");
	ponte_signal_conn_binary(c[0]->conn, 10);
	expect_error(c[0], "binary_unsupported", "limits: binary frame");
	for (int i = 0; i < 8; i++)
		client_free(c[i], PONTE_SIGNAL_CLOSED);
}

static void test_rate(struct ponte_signal *sig)
{
	struct client *a;
	int nb_pong = 0, nb_limited = 0;

	fake_now = 100 * G_USEC_PER_SEC;
	a = client_new(sig); /* the bucket starts full at the current time */
	for (int i = 0; i < 8; i++)
		say(a, "{\"type\":\"ping\"}");
	for (char *f; (f = take(a)) != NULL; g_free(f)) {
		nb_pong += strstr(f, "\"pong\"") != NULL;
		nb_limited += strstr(f, "\"rate_limited\"") != NULL;
	}
	CHECK(nb_pong == 5, "rate: burst of 5 answered (%d)", nb_pong);
	CHECK(nb_limited == 1, "rate: the 3 dropped frames give one error (%d)", nb_limited);
	fake_now += G_USEC_PER_SEC / 4;
	say(a, "{\"type\":\"ping\"}");
	expect_none(a, "rate: still limited, and no second error within a second");
	fake_now += G_USEC_PER_SEC;
	say(a, "{\"type\":\"ping\"}");
	expect_json(a, "{\"type\":\"pong\"}", "rate: refilled at the sustained rate");
	say(a, "{\"type\":\"ping\"}");
	say(a, "{\"type\":\"ping\"}");
	say(a, "{\"type\":\"ping\"}");
	expect_json(a, "{\"type\":\"pong\"}", "rate: second token");
	expect_error(a, "rate_limited", "rate: error once the second has passed");
	expect_none(a, "rate: only one error");
	client_free(a, PONTE_SIGNAL_CLOSED);
}

static bool svc_request(void *ctx, struct ponte_signal_conn *conn, const char *type,
			json_t *msg, json_t *tx)
{
	/* A service that knows "attach": it answers through the core's helpers. */
	if (strcmp(type, "attach") != 0)
		return false;
	ponte_signal_send(conn, json_pack("{s:s}", "type", "attached"), tx);
	*(struct ponte_signal_conn **)ctx = conn;
	return true;
}

static void svc_gone(void *ctx, struct ponte_signal_conn *conn)
{
}

static bool svc_busy(void *ctx, struct ponte_signal_conn *conn)
{
	return *(struct ponte_signal_conn **)ctx == conn;
}

static const struct ponte_signal_services svc = {svc_request, svc_gone, svc_busy};

static void test_join_timeout(struct ponte_signal *sig)
{
	struct client *idle, *busy, *attached;
	struct ponte_signal_conn *holder = NULL;

	fake_now = 1000 * G_USEC_PER_SEC;
	idle = client_new(sig);
	busy = client_new(sig);
	attached = client_new(sig);
	ponte_signal_set_services(sig, &svc, &holder);
	say(attached, "{\"type\":\"attach\",\"tx\":5}");
	expect_json(attached, "{\"type\":\"attached\",\"tx\":5}",
		    "services: an unknown type goes to the service, which replies with tx");
	say(attached, "{\"type\":\"dance\"}");
	expect_error(attached, "unknown_type", "services: what no one knows is unknown_type");
	say(busy, "c:work");
	fake_now += 9 * G_USEC_PER_SEC;
	ponte_signal_tick(sig);
	CHECK(idle->close_code == 0, "timeout: not yet");
	fake_now += 2 * G_USEC_PER_SEC;
	ponte_signal_tick(sig);
	CHECK(idle->close_code == 1008, "timeout: roomless connection closed with 1008");
	CHECK(busy->close_code == 0, "timeout: a connection in a room stays");
	CHECK(attached->close_code == 0, "timeout: a connection holding a service session stays");
	ponte_signal_close_all(sig);
	CHECK(busy->close_code == 1001, "shutdown: close_all closes with 1001");
	client_free(idle, PONTE_SIGNAL_CLOSED);
	client_free(busy, PONTE_SIGNAL_CLOSED);
	client_free(attached, PONTE_SIGNAL_CLOSED);
	ponte_signal_set_services(sig, NULL, NULL);
}

int main(void)
{
	struct ponte_config *cfg = test_config();
	struct ponte_signal *sig;

	ponte_log_set_level(PONTE_LOG_ERROR);
	fake_now = G_USEC_PER_SEC;
	ponte_signal_create(cfg, &sig);
	ponte_signal_set_clock(sig, fake_clock);
	/* Generous rate for the protocol tests; test_rate sets its own. */
	cfg->signaling.rate = 100000;
	cfg->signaling.burst = 100000;
	test_seed_protocol(sig);
	test_json_protocol(sig);
	test_mixed(sig);
	test_limits(sig);
	test_join_timeout(sig);
	cfg->signaling.rate = 2;
	cfg->signaling.burst = 5;
	test_rate(sig);
	ponte_signal_destroy(sig);
	ponte_config_free(cfg);
	return tap_done();
}
