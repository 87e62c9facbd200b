// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * replay.c - runs a libFuzzer target once over given files and directories, without
 * libFuzzer: the main() of the *_replay programs that the normal and the ASan builds make
 * of each fuzz target, so that the unit suite replays the seed corpus (and any crash
 * file added to it) with gcc's ASan+UBSan, and the harnesses keep compiling.
 *
 *   fuzz_packet_replay tests/fuzz/corpus/fuzz_packet [FILE...]
 *
 * Each input is copied into a buffer of exactly its size, so reading past it is an ASan
 * error as under libFuzzer. Exit status: 0 when every input ran (at least one), 1 when
 * an input could not be read or there was none; a failed invariant aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *data;
	size_t size;

	if (!f || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	size = (size_t)st.st_size;
	data = malloc(size ? size : 1);
	if (!data || fread(data, 1, size, f) != size) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 0;
}

/* Runs every regular file of a directory (not recursive), in name order. */
static int run_dir(const char *dir, unsigned *count)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), status = 0;

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		if (names[i]->d_name[0] != '.' &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) < 0)
				status = -1;
			else
				(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return status;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count) < 0)
				status = 1;
		} else if (run_file(argv[i]) < 0) {
			status = 1;
		} else {
			count++;
		}
	}
	printf("replay: %u inputs ran\n", count);
	if (count == 0) {
		fprintf(stderr, "replay: no input found (an empty corpus?)\n");
		status = 1;
	}
	return status;
}
