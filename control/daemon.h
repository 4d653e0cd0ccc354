/* SPDX-License-Identifier: MIT */
/* The gateway process: assembles the control plane on one GLib main loop and runs it. */
#ifndef PONTE_CONTROL_DAEMON_H
#define PONTE_CONTROL_DAEMON_H

#include "config.h"

/* Run until SIGINT or SIGTERM. Returns 0 on a clean shutdown, a negative errno if start-up
 * failed (the reason is logged). cfg is borrowed. */
int ponte_daemon_run(const struct ponte_config *cfg);

/* The embedded default configuration text (configs/ponte.yaml); owned by the binary. */
const char *ponte_daemon_default_config(size_t *len);

#endif
