/* SPDX-License-Identifier: MIT */
/* WebSocket transport for room signaling: libsoup connections fed to the signaling core. */
#ifndef PONTE_CONTROL_WS_H
#define PONTE_CONTROL_WS_H

#include <libsoup/soup.h>

#include "signaling.h"

/* Serve signaling at cfg->signaling.path on server. sig and cfg are borrowed. */
void ponte_ws_attach(SoupServer *server, const struct ponte_config *cfg, struct ponte_signal *sig);

#endif
