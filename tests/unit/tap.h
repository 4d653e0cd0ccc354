/* SPDX-License-Identifier: MIT */
/* Minimal TAP-style checks for the unit tests: "ok N - what" lines and a closing count. */
#ifndef PONTE_TESTS_TAP_H
#define PONTE_TESTS_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_nb_pass, tap_nb_fail;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			tap_nb_pass++;                                                             \
			printf("ok %d - ", tap_nb_pass + tap_nb_fail);                             \
		} else {                                                                           \
			tap_nb_fail++;                                                             \
			printf("not ok %d - %s:%d: ", tap_nb_pass + tap_nb_fail, __FILE__,         \
			       __LINE__);                                                          \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
	} while (0)

#define CHECK_STR(have, want, what)                                                                \
	do {                                                                                       \
		const char *h_ = (have), *w_ = (want);                                             \
		CHECK(h_ != NULL && strcmp(h_, w_) == 0, "%s", what);                              \
		if (h_ == NULL || strcmp(h_, w_) != 0)                                             \
			printf("#   have: %s\n#   want: %s\n", h_ ? h_ : "(null)", w_);            \
	} while (0)

static inline int tap_done(void)
{
	printf("%d passed, %d failed\n", tap_nb_pass, tap_nb_fail);
	return tap_nb_fail == 0 ? 0 : 1;
}

#endif
