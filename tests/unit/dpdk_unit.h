/* SPDX-License-Identifier: MIT */
/*
 * What the DPDK backend's unit tests share (test_dpdk.c, test_dpdk_nics.c): the dataplane
 * under test and its settings (one ring NIC, a ring exception port, one lcore, which each test
 * changes and cfg_reset() restores), the log it wrote, its counters, a creation expected to
 * fail with a message, and the test's own EAL (started before the dataplane, so that the test
 * can make ring ports first; the dataplane then uses the EAL it finds). Static helpers for one
 * test file each.
 */
#ifndef PONTE_TEST_DPDK_UNIT_H
#define PONTE_TEST_DPDK_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>

#include <ponte/dataplane.h>

#include "tap.h"

static char log_text[16384];

static void on_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= 1) {
		size_t n = strlen(log_text);

		snprintf(log_text + n, sizeof(log_text) - n, "%s\n", msg);
	}
	if (getenv("TEST_DPDK_VERBOSE") != NULL || level == 0)
		printf("# dp: %s\n", msg);
}

static struct ponte_dp *dp;

static struct ponte_dp_lcore_stats lstats(unsigned i)
{
	struct ponte_dp_lcore_stats st;

	ponte_dp_sync(dp);
	memset(&st, 0, sizeof(st));
	ponte_dp_lcore_stats(dp, i, &st);
	return st;
}

static struct ponte_flow_stats fstats(uint64_t id)
{
	struct ponte_flow_stats st;

	ponte_dp_sync(dp);
	memset(&st, 0, sizeof(st));
	ponte_dp_flow_stats(dp, id, &st);
	return st;
}

static struct ponte_dp_dpdk_port nic_cfg;
static struct ponte_dp_dpdk_config dcfg;
static struct ponte_dp_config cfg;

static void cfg_reset(void)
{
	nic_cfg =
	    (struct ponte_dp_dpdk_port){.device = "net_ring_nic0", .rx_desc = 256, .tx_desc = 256};
	dcfg = (struct ponte_dp_dpdk_config){
	    .lcores = "1",
	    .memory_mb = 256,
	    .is_no_huge = true,
	    .file_prefix = "ponte-test",
	    .ports = &nic_cfg,
	    .nb_ports = 1,
	    .mempool_size = 8191,
	    .exception_device = "net_ring_exc0",
	    .idle_sleep_us = 50,
	};
	cfg = (struct ponte_dp_config){.backend = "dpdk",
				       .max_flows = 64,
				       .max_ports = 32,
				       .input_queue = 256,
				       .dpdk = &dcfg,
				       .log = on_log};
	log_text[0] = '\0';
}

/* Create with the settings as they are: expect rc and a message holding want. */
static void expect_refused(const char *what, int want_rc, const char *want)
{
	struct ponte_dp *x = NULL;
	int rc = ponte_dp_create(&cfg, &x);

	/* want_rc 1: any error (DPDK's own codes are its business). */
	CHECK((want_rc == 1 ? rc < 0 : rc == want_rc) && x == NULL &&
		  strstr(log_text, want) != NULL,
	      "%s: refused (%d) with \"%s\"", what, rc, want);
	if (strstr(log_text, want) == NULL)
		printf("#   logged: %s", log_text);
	if (x != NULL)
		ponte_dp_destroy(x);
	cfg_reset();
}

/* The test's EAL, named name (its file prefix ponte-NAME-PID): three lcores, none pinned (the
 * CI machine is shared), no hugepages, no PCI. Negative: it did not start. */
static int eal_start(const char *name)
{
	char prefix[64], lcores[160];
	long last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	char *argv[] = {(char *)name, "--no-huge", "--no-pci", "--no-shconf", "-m", "256", lcores,
			prefix, "--no-telemetry", "--log-level=*:warning", NULL};

	snprintf(prefix, sizeof(prefix), "--file-prefix=ponte-%s-%d", name, getpid());
	snprintf(lcores, sizeof(lcores), "--lcores=0@(0-%ld),1@(0-%ld),2@(0-%ld)", last, last,
		 last);
	return rte_eal_init(10, argv);
}

static void eal_stop(const char *name)
{
	char dir[96];

	rte_eal_cleanup();
	/* --no-shconf leaves the runtime directory empty: it goes with us. */
	snprintf(dir, sizeof(dir), "/var/run/dpdk/ponte-%s-%d", name, getpid());
	rmdir(dir);
}

#endif
