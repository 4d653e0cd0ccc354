/* SPDX-License-Identifier: MIT */
/*
 * libsoup WebSocket glue. Each connection holds a reference on its SoupWebsocketConnection
 * until libsoup reports it closed; only then is the signaling core told, so the core never
 * sees a connection vanish in the middle of one of its own calls.
 */
#include "ws.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "log.h"

struct ws_ctx {
	const struct ponte_config *cfg;
	struct ponte_signal *sig;
};

struct ws_conn {
	SoupWebsocketConnection *ws; /* reference held until "closed" */
	struct ponte_signal_conn *sc; /* NULL when refused at open */
	bool is_dead; /* an I/O error said the peer is unreachable */
};

static void ws_send(void *ctx, const char *text, size_t len)
{
	struct ws_conn *c = ctx;
	GBytes *bytes;

	if (soup_websocket_connection_get_state(c->ws) != SOUP_WEBSOCKET_STATE_OPEN)
		return;
	bytes = g_bytes_new(text, len);
	soup_websocket_connection_send_message(c->ws, SOUP_WEBSOCKET_DATA_TEXT, bytes);
	g_bytes_unref(bytes);
}

static void ws_close(void *ctx, unsigned short code, const char *reason)
{
	struct ws_conn *c = ctx;

	if (soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(c->ws, code, reason);
}

static const struct ponte_signal_conn_ops ws_ops = {
	.send = ws_send,
	.close = ws_close,
};

static void on_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer user)
{
	struct ws_conn *c = user;
	gsize len;
	const char *data = g_bytes_get_data(message, &len);

	if (c->sc == NULL)
		return;
	if (type == SOUP_WEBSOCKET_DATA_TEXT)
		ponte_signal_conn_text(c->sc, data, len);
	else
		ponte_signal_conn_binary(c->sc, len);
}

static void on_error(SoupWebsocketConnection *ws, GError *error, gpointer user)
{
	struct ws_conn *c = user;

	/* TCP_USER_TIMEOUT expiring surfaces as ETIMEDOUT; a reset as ECONNRESET. */
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE))
		c->is_dead = true;
	/* At most once or twice per connection: worth a line at info. */
	log_info("ws", "conn=%" PRIu64 " error: %s", c->sc ? ponte_signal_conn_id(c->sc) : 0,
		 error->message);
}

static void on_closed(SoupWebsocketConnection *ws, gpointer user)
{
	struct ws_conn *c = user;

	if (c->sc != NULL) {
		log_debug("ws", "conn=%" PRIu64 " closed code=%u", ponte_signal_conn_id(c->sc),
			  soup_websocket_connection_get_close_code(ws));
		ponte_signal_conn_gone(c->sc, c->is_dead ? PONTE_SIGNAL_DEAD : PONTE_SIGNAL_CLOSED);
	}
	g_signal_handlers_disconnect_by_data(ws, c);
	g_object_unref(c->ws);
	g_free(c);
}

/* Make the kernel declare a vanished peer dead: see "Keepalive" in docs/signaling.md. */
static void set_dead_peer_timeout(SoupServerMessage *msg, int seconds)
{
	GSocket *sock = soup_server_message_get_socket(msg);
	unsigned int ms = (unsigned int)seconds * 1000u;
	int fd;

	if (sock == NULL)
		return;
	fd = g_socket_get_fd(sock);
	if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms)) != 0)
		log_warn("ws", "TCP_USER_TIMEOUT: %s", g_strerror(errno));
}

static void on_websocket(SoupServer *server, SoupServerMessage *msg, const char *path,
			 SoupWebsocketConnection *ws, gpointer user)
{
	struct ws_ctx *ctx = user;
	const struct ponte_config *cfg = ctx->cfg;
	struct ws_conn *c = g_new0(struct ws_conn, 1);
	const char *remote = soup_server_message_get_remote_host(msg);
	guint64 max_payload = MAX((guint64)1 << 20, 16 * (guint64)cfg->signaling.max_frame_bytes);

	c->ws = g_object_ref(ws);
	g_signal_connect(ws, "message", G_CALLBACK(on_message), c);
	g_signal_connect(ws, "error", G_CALLBACK(on_error), c);
	g_signal_connect(ws, "closed", G_CALLBACK(on_closed), c);
	/* Frames between max_frame_bytes and this are read and answered with too_large; only
	 * larger ones are too big to read at all. */
	soup_websocket_connection_set_max_incoming_payload_size(ws, max_payload);
	soup_websocket_connection_set_keepalive_interval(ws, cfg->signaling.ping_interval);
	set_dead_peer_timeout(msg, cfg->signaling.dead_peer_timeout);

	if (ponte_signal_conn_open(ctx->sig, &ws_ops, c, remote ? remote : "?", &c->sc) != 0) {
		c->sc = NULL;
		soup_websocket_connection_close(ws, 1013, "too many connections");
	}
}

void ponte_ws_attach(SoupServer *server, const struct ponte_config *cfg, struct ponte_signal *sig)
{
	struct ws_ctx *ctx = g_new0(struct ws_ctx, 1);

	ctx->cfg = cfg;
	ctx->sig = sig;
	/* Signaling frames are small; without compression the size limits mean what they say. */
	soup_server_remove_websocket_extension(server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
	soup_server_add_websocket_handler(server, cfg->signaling.path, NULL, NULL, on_websocket,
					  ctx, g_free);
}
