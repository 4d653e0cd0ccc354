/* SPDX-License-Identifier: MIT */
#include "punts.h"

#include <glib-unix.h>
#include <glib.h>

struct watcher {
	ponte_punt_fn fn;
	void *ctx;
};

static struct {
	struct ponte_dp *dp;
	guint source;
	GHashTable *by_port; /* port id -> struct watcher *, owned */
	uint64_t unwatched; /* packets nobody watched (STUN on a SIP port, ...) */
} punts;

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
	static struct ponte_dp_punt pkt; /* main loop only: one at a time */
	unsigned n = 0;

	(void)fd;
	(void)cond;
	(void)data;
	/* A bounded batch per wakeup: the loop's other sources get their turn. */
	while (n++ < 256 && ponte_dp_punt_read(punts.dp, &pkt) == 1) {
		struct watcher *w = g_hash_table_lookup(punts.by_port, GUINT_TO_POINTER(pkt.port_id));

		if (w != NULL)
			w->fn(w->ctx, &pkt);
		else
			punts.unwatched++;
	}
	return G_SOURCE_CONTINUE;
}

int ponte_punts_start(struct ponte_dp *dp)
{
	punts.dp = dp;
	punts.by_port = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	punts.source = g_unix_fd_add(ponte_dp_punt_fd(dp), G_IO_IN, on_readable, NULL);
	return 0;
}

void ponte_punts_stop(void)
{
	if (punts.source != 0)
		g_source_remove(punts.source);
	if (punts.by_port != NULL)
		g_hash_table_destroy(punts.by_port);
	punts.source = 0;
	punts.by_port = NULL;
	punts.dp = NULL;
}

void ponte_punts_watch(uint32_t port_id, ponte_punt_fn fn, void *ctx)
{
	struct watcher *w = g_new0(struct watcher, 1);

	if (punts.by_port == NULL) {
		g_free(w);
		return;
	}
	w->fn = fn;
	w->ctx = ctx;
	g_hash_table_replace(punts.by_port, GUINT_TO_POINTER(port_id), w);
}

void ponte_punts_unwatch(uint32_t port_id)
{
	if (punts.by_port != NULL)
		g_hash_table_remove(punts.by_port, GUINT_TO_POINTER(port_id));
}
