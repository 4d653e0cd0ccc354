/* SPDX-License-Identifier: MIT */
/* Running a GLib main loop in a unit test until a condition holds, with a watchdog so that no
 * test can hang. Include once per test program. */
#ifndef PONTE_TESTS_LOOP_H
#define PONTE_TESTS_LOOP_H

#include <stdbool.h>

#include <glib.h>

static GMainLoop *test_loop;
static bool (*test_loop_pred)(void);

static gboolean test_loop_poll(gpointer unused)
{
	if (test_loop_pred != NULL && test_loop_pred())
		g_main_loop_quit(test_loop);
	return G_SOURCE_CONTINUE;
}

static gboolean test_loop_watchdog(gpointer unused)
{
	g_main_loop_quit(test_loop);
	return G_SOURCE_REMOVE;
}

/* Run test_loop until pred holds (NULL: for the whole time) or max_ms pass; pred is polled
 * every poll_ms. */
static inline void test_loop_run(bool (*pred)(void), unsigned int max_ms, unsigned int poll_ms)
{
	guint poll = g_timeout_add(poll_ms, test_loop_poll, NULL);
	guint dog = g_timeout_add(max_ms, test_loop_watchdog, NULL);

	test_loop_pred = pred;
	if (pred == NULL || !pred())
		g_main_loop_run(test_loop);
	test_loop_pred = NULL;
	g_source_remove(poll);
	if (g_main_context_find_source_by_id(NULL, dog) != NULL)
		g_source_remove(dog);
}

#endif
