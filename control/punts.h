/* SPDX-License-Identifier: MIT */
/*
 * What the dataplane hands back to the control plane (punted packets: non-media on ports it
 * owns, copies of mirrored payload types), delivered on the main loop to whoever watches the
 * packet's port. One dataplane per process. Main loop only.
 */
#ifndef PONTE_CONTROL_PUNTS_H
#define PONTE_CONTROL_PUNTS_H

#include <ponte/dataplane.h>

typedef void (*ponte_punt_fn)(void *ctx, const struct ponte_dp_punt *pkt);

/* Start reading dp's punt queue on the main loop. */
int ponte_punts_start(struct ponte_dp *dp);
void ponte_punts_stop(void);
/* Packets punted on port_id go to fn (one watcher per port; a new one replaces it). */
void ponte_punts_watch(uint32_t port_id, ponte_punt_fn fn, void *ctx);
void ponte_punts_unwatch(uint32_t port_id);

#endif
