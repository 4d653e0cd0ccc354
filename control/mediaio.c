/* SPDX-License-Identifier: MIT */
#include "mediaio.h"

#include <errno.h>

static GMainContext *ctx;
static GMainLoop *loop;
static GThread *thread;

static gpointer run(gpointer data)
{
	g_main_context_push_thread_default(ctx);
	g_main_loop_run(loop);
	g_main_context_pop_thread_default(ctx);
	return NULL;
}

int ponte_mediaio_start(void)
{
	if (thread != NULL)
		return 0;
	ctx = g_main_context_new();
	loop = g_main_loop_new(ctx, FALSE);
	thread = g_thread_try_new("ponte-mediaio", run, NULL, NULL);
	if (thread == NULL) {
		g_main_loop_unref(loop);
		g_main_context_unref(ctx);
		ctx = NULL;
		return -EAGAIN;
	}
	return 0;
}

static gboolean quit(gpointer data)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

void ponte_mediaio_stop(void)
{
	if (thread == NULL)
		return;
	g_main_context_invoke(ctx, quit, NULL);
	g_thread_join(thread);
	thread = NULL;
	g_main_loop_unref(loop);
	g_main_context_unref(ctx);
	loop = NULL;
	ctx = NULL;
}

GMainContext *ponte_mediaio_context(void)
{
	return ctx;
}
