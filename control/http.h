/* SPDX-License-Identifier: MIT */
/* The HTTP(S) server: the web client, /status, and the signaling WebSocket. */
#ifndef PONTE_CONTROL_HTTP_H
#define PONTE_CONTROL_HTTP_H

#include <jansson.h>

#include "config.h"
#include "signaling.h"

struct ponte_http;

/*
 * Listen on http.listen:http.port (HTTPS when tls.enabled). cfg and sig are borrowed. Returns 0,
 * or a negative errno with a message in *why (g_free it).
 */
int ponte_http_create(const struct ponte_config *cfg, struct ponte_signal *sig,
		      struct ponte_http **out, char **why);
void ponte_http_destroy(struct ponte_http *http);

/* Something that adds its counters to GET /status: obj is the reply object (borrowed). */
typedef void (*ponte_http_status_fn)(void *ctx, json_t *obj);
void ponte_http_add_status(struct ponte_http *http, ponte_http_status_fn fn, void *ctx);

/* The URL a browser should open, e.g. "http://127.0.0.1:8080/"; owned by http. */
const char *ponte_http_url(const struct ponte_http *http);

#endif
