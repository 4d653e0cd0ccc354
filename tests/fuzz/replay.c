/* SPDX-License-Identifier: MIT */
/*
 * Replays saved inputs through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so
 * CI checks every corpus with any compiler:  replay DIR_OR_FILE...
 * Files of a directory go in name order; a target aborts on a broken invariant, which fails
 * the run. Prints "ok N - file" per input and "N passed, 0 failed" last.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned nb_inputs;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	do {
		if (cap - len < 4096) {
			uint8_t *p = realloc(buf, cap + 65536);

			if (p == NULL) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = p;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* An exact-size copy, so that a read past the end is caught by ASan when built with it. */
	uint8_t *exact = malloc(len ? len : 1);

	if (exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	printf("ok %u - %s\n", ++nb_inputs, path);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name), rc = 0;

	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_file(path) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			rc = -1;
		} else if (S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i])) {
			rc = -1;
		}
	}
	if (nb_inputs == 0) {
		fprintf(stderr, "%s: no input replayed\n", argv[0]);
		rc = -1;
	}
	printf("%u passed, %d failed\n", nb_inputs, rc != 0);
	return rc == 0 ? 0 : 1;
}
