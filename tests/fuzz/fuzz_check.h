// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_check.h - CHECK(cond) for the fuzz targets: a broken invariant names itself, then aborts
 * (libFuzzer and the replay both report an abort as a crash, with the input that caused it). */
#ifndef X25LO_FUZZ_CHECK_H
#define X25LO_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
