/* SPDX-License-Identifier: MIT */
/* The HTTP(S) server: the web client, /status, and the signaling WebSocket. */
#ifndef PONTE_CONTROL_HTTP_H
#define PONTE_CONTROL_HTTP_H

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

/* The URL a browser should open, e.g. "http://127.0.0.1:8080/"; owned by http. */
const char *ponte_http_url(const struct ponte_http *http);

#endif
