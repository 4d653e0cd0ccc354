/* SPDX-License-Identifier: MIT */
/*
 * The media I/O thread: one GMainContext, on its own thread, where ICE sockets are read. Media
 * packets go from there straight to the dataplane, so they never wait behind signaling or a
 * DTLS handshake on the main loop; DTLS packets are passed to the main loop.
 */
#ifndef PONTE_CONTROL_MEDIAIO_H
#define PONTE_CONTROL_MEDIAIO_H

#include <glib.h>

/* Start the thread (once). Returns 0 or a negative errno. */
int ponte_mediaio_start(void);
/* Stop and join it; sources still attached to its context are destroyed with it. */
void ponte_mediaio_stop(void);
/* Its context, for nice_agent_attach_recv(); NULL when not started. */
GMainContext *ponte_mediaio_context(void);

#endif
