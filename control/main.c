/* SPDX-License-Identifier: MIT */
/* ponte: the gateway daemon's command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "ponte_build.h"

/* Exit statuses: 0 ok, 1 runtime failure, 2 configuration or usage error. */
enum { EXIT_CONFIG = 2 };

static void print_errors(GPtrArray *errors)
{
	for (guint i = 0; i < errors->len; i++)
		fprintf(stderr, "%s\n", (const char *)g_ptr_array_index(errors, i));
}

static struct ponte_config *load(const char *file)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct ponte_config *cfg = NULL;

	if (file != NULL) {
		ponte_config_load(file, errors, &cfg);
	} else {
		size_t len;
		const char *text = ponte_daemon_default_config(&len);

		ponte_config_parse("<embedded>", text, len, errors, &cfg);
	}
	print_errors(errors);
	g_ptr_array_free(errors, TRUE);
	return cfg;
}

/* Compare the generated configuration reference with FILE: docs must follow the schema. */
static int check_config_doc(const char *file)
{
	g_autofree char *want = NULL;
	g_autofree char *have = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&want, &len);

	ponte_config_write_doc(mem);
	fclose(mem);
	if (!g_file_get_contents(file, &have, NULL, NULL)) {
		fprintf(stderr, "%s: cannot read\n", file);
		return 1;
	}
	if (strcmp(want, have) != 0) {
		fprintf(stderr, "%s is not what the schema generates: run "
				"'build/ponte --config-doc > docs/config.md'\n",
			file);
		return 1;
	}
	printf("%s matches the schema\n", file);
	return 0;
}

int main(int argc, char **argv)
{
	g_autofree char *config_file = NULL;
	g_autofree char *check_file = NULL;
	g_autofree char *check_doc = NULL;
	gboolean show_version = FALSE;
	gboolean config_doc = FALSE;
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file,
		 "Run with configuration FILE (default: the embedded configs/ponte.yaml)", "FILE"},
		{"check-config", 0, 0, G_OPTION_ARG_FILENAME, &check_file,
		 "Check FILE and exit: 0 if valid, 2 with one line per problem", "FILE"},
		{"version", 'V', 0, G_OPTION_ARG_NONE, &show_version, "Print the version and exit",
		 NULL},
		{"config-doc", 0, 0, G_OPTION_ARG_NONE, &config_doc,
		 "Print the configuration reference (docs/config.md) and exit", NULL},
		{"check-config-doc", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &check_doc,
		 "Check that FILE is the current configuration reference", "FILE"},
		{NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	GOptionContext *ctx = g_option_context_new("- WebRTC to SIP media gateway");
	GError *err = NULL;
	struct ponte_config *cfg;
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1) {
		fprintf(stderr, "ponte: %s\n",
			err != NULL ? err->message : "unexpected argument; see --help");
		g_clear_error(&err);
		g_option_context_free(ctx);
		return EXIT_CONFIG;
	}
	g_option_context_free(ctx);

	if (show_version) {
		printf("ponte %s\n", PONTE_VERSION);
		return 0;
	}
	if (config_doc) {
		ponte_config_write_doc(stdout);
		return 0;
	}
	if (check_doc != NULL)
		return check_config_doc(check_doc);
	if (check_file != NULL) {
		cfg = load(check_file);
		if (cfg == NULL)
			return EXIT_CONFIG;
		printf("%s: ok\n", check_file);
		ponte_config_free(cfg);
		return 0;
	}

	cfg = load(config_file);
	if (cfg == NULL)
		return EXIT_CONFIG;
	rc = ponte_log_open(cfg->log.file, cfg->log.level);
	if (rc != 0) {
		fprintf(stderr, "%s: log.file: cannot open '%s': %s\n", cfg->source, cfg->log.file,
			strerror(-rc));
		ponte_config_free(cfg);
		return EXIT_CONFIG;
	}
	rc = ponte_daemon_run(cfg);
	ponte_log_close();
	ponte_config_free(cfg);
	return rc == 0 ? 0 : 1;
}
