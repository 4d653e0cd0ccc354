/* SPDX-License-Identifier: MIT */
#include "http.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>
#include <libsoup/soup.h>

#include "log.h"
#include "ponte-web.h"
#include "tls.h"
#include "ws.h"
#include "ponte_build.h"

#define WEB_RESOURCE_PREFIX "/ponte/web"

struct ponte_http {
	const struct ponte_config *cfg;
	struct ponte_signal *sig;
	SoupServer *server;
	char *url;
	int64_t started_us;
	struct {
		ponte_http_status_fn fn;
		void *ctx;
	} status[4];
	unsigned nb_status;
};

static const struct {
	const char *ext;
	const char *type;
} mime_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".wav", "audio/wav"},
	{".txt", "text/plain; charset=utf-8"},
};

static const char *mime_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot != NULL && i < G_N_ELEMENTS(mime_types); i++)
		if (strcmp(dot, mime_types[i].ext) == 0)
			return mime_types[i].type;
	return "application/octet-stream";
}

/* The page needs camera and microphone and talks only to its own origin. */
static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
			  "connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
			  "media-src 'self' blob: mediastream:; object-src 'none'; "
			  "base-uri 'none'; frame-ancestors 'none'";

static GBytes *load_file(const struct ponte_http *http, const char *path)
{
	if (http->cfg->http.web_root[0] == '\0') {
		g_autofree char *res = g_strconcat(WEB_RESOURCE_PREFIX, path, NULL);

		return g_resource_lookup_data(ponte_web_get_resource(), res,
					      G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
	}
	g_autofree char *file = g_build_filename(http->cfg->http.web_root, path, NULL);
	g_autofree char *real = realpath(file, NULL);
	g_autofree char *root = realpath(http->cfg->http.web_root, NULL);
	char *data;
	gsize len;

	/* Serve only regular files inside web_root, whatever links or dots the path holds. */
	if (real == NULL || root == NULL || !g_str_has_prefix(real, root) ||
	    real[strlen(root)] != '/' || !g_file_test(real, G_FILE_TEST_IS_REGULAR))
		return NULL;
	if (!g_file_get_contents(real, &data, &len, NULL))
		return NULL;
	return g_bytes_new_take(data, len);
}

static void send_status(struct ponte_http *http, SoupServerMessage *msg)
{
	struct ponte_signal_stats st;
	json_t *obj;
	char *text;

	ponte_signal_get_stats(http->sig, &st);
	obj = json_pack("{s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I}}", "version", PONTE_VERSION,
			"uptime_s", (json_int_t)((g_get_monotonic_time() - http->started_us) / 1000000),
			"signaling", "connections", (json_int_t)st.nb_conns, "rooms",
			(json_int_t)st.nb_rooms, "frames_in", (json_int_t)st.frames_in, "frames_out",
			(json_int_t)st.frames_out, "errors_out", (json_int_t)st.errors_out);
	for (unsigned i = 0; i < http->nb_status; i++)
		http->status[i].fn(http->status[i].ctx, obj);
	text = json_dumps(obj, JSON_INDENT(2));
	json_decref(obj);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, text,
					 strlen(text));
}

static void on_request(SoupServer *server, SoupServerMessage *msg, const char *path,
		       GHashTable *query, gpointer user)
{
	struct ponte_http *http = user;
	const char *method = soup_server_message_get_method(msg);
	SoupMessageHeaders *hdrs = soup_server_message_get_response_headers(msg);
	GBytes *body;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		soup_message_headers_replace(hdrs, "Allow", "GET, HEAD");
		return;
	}
	soup_message_headers_replace(hdrs, "Cache-Control", "no-cache");
	soup_message_headers_replace(hdrs, "X-Content-Type-Options", "nosniff");
	if (strcmp(path, "/status") == 0) {
		send_status(http, msg);
		return;
	}
	if (strcmp(path, "/") == 0 || g_str_has_suffix(path, "/")) {
		g_autofree char *index = g_strconcat(path, "index.html", NULL);

		body = load_file(http, index);
		path = "index.html";
	} else {
		body = load_file(http, path);
	}
	if (body == NULL && strrchr(path, '.') <= strrchr(path, '/')) {
		/* "/seed" names a directory of the client: send the browser to "/seed/" so its
		 * relative links resolve. */
		g_autofree char *index = g_strconcat(path, "/index.html", NULL);
		GBytes *dir = load_file(http, index);

		if (dir != NULL) {
			g_autofree char *to = g_strconcat(path, "/", NULL);

			g_bytes_unref(dir);
			soup_server_message_set_redirect(msg, SOUP_STATUS_MOVED_PERMANENTLY, to);
			return;
		}
	}
	if (body == NULL) {
		soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
		soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC,
						 "not found\n", 10);
		return;
	}
	soup_message_headers_replace(hdrs, "Content-Security-Policy", csp);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, mime_type(path), SOUP_MEMORY_COPY,
					 g_bytes_get_data(body, NULL), g_bytes_get_size(body));
	g_bytes_unref(body);
}

int ponte_http_create(const struct ponte_config *cfg, struct ponte_signal *sig,
		      struct ponte_http **out, char **why)
{
	struct ponte_http *http = g_new0(struct ponte_http, 1);
	GTlsCertificate *cert = NULL;
	GSocketAddress *addr = NULL;
	GError *err = NULL;
	bool is_v6 = strchr(cfg->http.listen, ':') != NULL;
	int rc;

	*why = NULL;
	http->cfg = cfg;
	http->sig = sig;
	http->started_us = g_get_monotonic_time();
	if (cfg->tls.enabled) {
		rc = ponte_tls_certificate(cfg, &cert, why);
		if (rc != 0)
			goto fail;
	}
	http->server = soup_server_new("server-header", "ponte/" PONTE_VERSION, "tls-certificate",
				       cert, NULL);
	g_clear_object(&cert);
	soup_server_add_handler(http->server, NULL, on_request, http, NULL);
	ponte_ws_attach(http->server, cfg, sig);

	addr = g_inet_socket_address_new_from_string(cfg->http.listen, cfg->http.port);
	if (addr == NULL) {
		*why = g_strdup_printf("http.listen: '%s' is not an address", cfg->http.listen);
		rc = -EINVAL;
		goto fail;
	}
	if (!soup_server_listen(http->server, addr,
				cfg->tls.enabled ? SOUP_SERVER_LISTEN_HTTPS : 0, &err)) {
		*why = g_strdup_printf("cannot listen on %s port %d: %s", cfg->http.listen,
				       cfg->http.port, err->message);
		rc = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE) ? -EADDRINUSE
										   : -EIO;
		g_error_free(err);
		goto fail;
	}
	g_object_unref(addr);
	http->url = g_strdup_printf("%s://%s%s%s:%d/", cfg->tls.enabled ? "https" : "http",
				    is_v6 ? "[" : "", cfg->http.listen, is_v6 ? "]" : "",
				    cfg->http.port);
	*out = http;
	return 0;
fail:
	g_clear_object(&addr);
	ponte_http_destroy(http);
	return rc;
}

void ponte_http_destroy(struct ponte_http *http)
{
	if (http == NULL)
		return;
	if (http->server != NULL) {
		soup_server_disconnect(http->server);
		g_object_unref(http->server);
	}
	g_free(http->url);
	g_free(http);
}

void ponte_http_add_status(struct ponte_http *http, ponte_http_status_fn fn, void *ctx)
{
	g_assert(http->nb_status < G_N_ELEMENTS(http->status));
	http->status[http->nb_status].fn = fn;
	http->status[http->nb_status++].ctx = ctx;
}

const char *ponte_http_url(const struct ponte_http *http)
{
	return http->url;
}
