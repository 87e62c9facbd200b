/*
 * fuzz_config.c - libFuzzer harness for config_load() (the config.json surface).
 *
 * Not part of the Meson build: it needs clang's -fsanitize=fuzzer. Build and run from the
 * source root:
 *   clang -g -O1 -D_GNU_SOURCE -std=c17 -fsanitize=fuzzer,address,undefined -Isrc \
 *     tests/fuzz/fuzz_config.c src/config.c src/log.c -ljansson -o /tmp/fuzz_config
 *   /tmp/fuzz_config -max_total_time=60 -max_len=4096
 * The unit test test_config.c runs a deterministic, smaller version of this on every check.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int memfd = -1, devnull = -1, real_stderr = -1;
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
	if (devnull < 0 || real_stderr < 0) {
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

	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	err[0] = 'x';
	dup2(devnull, STDERR_FILENO);
	rc = config_load(path, &cfg, err, sizeof(err));
	dup2(real_stderr, STDERR_FILENO);
	if (rc == 0) {
		if (err[0] || cfg.lci_start < 1 || cfg.lci_start > cfg.lci_end || cfg.lci_end > 4095 ||
		    cfg.nroutes < 1 || cfg.nroutes > CONFIG_MAX_ROUTES)
			abort();
		for (size_t i = 0; i < cfg.nroutes; i++)
			if (strlen(cfg.routes[i]) < 1 || strspn(cfg.routes[i], "0123456789") != strlen(cfg.routes[i]))
				abort();
	} else if (rc != -1 || strncmp(err, path, strlen(path)) != 0) {
		abort();
	}
	return 0;
}
