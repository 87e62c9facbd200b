// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_config.c - libFuzzer target for config_load() (the config.json surface).
 *
 * A successful load must describe a valid configuration (and print as one); a failed one
 * must say which file. Build and run (tests/fuzz/README.md): `make fuzz`, or
 *   CC=clang meson setup build-fuzz -Dfuzz=true && meson compile -C build-fuzz
 *   build-fuzz/tests/fuzz/fuzz_config -max_total_time=60 -dict=tests/fuzz/fuzz_config.dict \
 *     NEW_CORPUS_DIR tests/fuzz/corpus/fuzz_config
 * The unit suite replays tests/fuzz/corpus/fuzz_config through it (fuzz_config_replay), and
 * test_config.c runs a deterministic, smaller fuzz of its own.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int memfd = -1, devnull = -1, real_stderr = -1;
static FILE *devnull_file;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* config_load takes a path; a memfd behind /proc keeps the disk out of the loop. */
	memfd = memfd_create("fuzz-config", 0);
	if (memfd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	/* Warnings would flood the output; libFuzzer itself still reports on real_stderr. */
	devnull = open("/dev/null", O_WRONLY);
	real_stderr = dup(STDERR_FILENO);
	devnull_file = fopen("/dev/null", "w");
	if (devnull < 0 || real_stderr < 0 || !devnull_file) {
		perror("/dev/null");
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];
	int rc;

	CHECK(ftruncate(memfd, 0) == 0 && pwrite(memfd, data, size, 0) == (ssize_t)size);
	err[0] = 'x';
	dup2(devnull, STDERR_FILENO);
	rc = config_load(path, &cfg, err, sizeof(err));
	dup2(real_stderr, STDERR_FILENO);
	if (rc == 0) {
		CHECK(err[0] == '\0');
		CHECK(cfg.lci_start >= 1 && cfg.lci_start <= cfg.lci_end && cfg.lci_end <= 4095);
		CHECK(cfg.nroutes >= 1 && cfg.nroutes <= CONFIG_MAX_ROUTES);
		for (size_t i = 0; i < cfg.nroutes; i++)
			CHECK(strlen(cfg.routes[i]) >= 1 && strspn(cfg.routes[i], "0123456789") == strlen(cfg.routes[i]));
		CHECK(memchr(cfg.device_prefix, '\0', sizeof(cfg.device_prefix)) &&
		      memchr(cfg.stats_bind, '\0', sizeof(cfg.stats_bind)) && memchr(cfg.pcap_path, '\0', sizeof(cfg.pcap_path)));
		CHECK(cfg.stats_port >= 0 && cfg.stats_port <= 65535);
		config_print(devnull_file, &cfg); /* what -check prints */
	} else {
		/* The message starts with the file's path. */
		CHECK(rc == -1 && strncmp(err, path, strlen(path)) == 0);
	}
	return 0;
}
