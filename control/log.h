/* SPDX-License-Identifier: MIT */
/* Logging: one line per event, naming the object it concerns (conn=, room=, call=). */
#ifndef PONTE_CONTROL_LOG_H
#define PONTE_CONTROL_LOG_H

#include "config.h"

/* Send logs to FILE (appended) or to stderr when file is NULL or empty. Returns 0 or -errno. */
int ponte_log_open(const char *file, int level);
void ponte_log_close(void);
void ponte_log_set_level(int level);
int ponte_log_level(void);

void ponte_log(int level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(mod, ...) ponte_log(PONTE_LOG_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) ponte_log(PONTE_LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) ponte_log(PONTE_LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...)                                                                        \
	do {                                                                                       \
		if (ponte_log_level() >= PONTE_LOG_DEBUG)                                          \
			ponte_log(PONTE_LOG_DEBUG, mod, __VA_ARGS__);                              \
	} while (0)

#endif
