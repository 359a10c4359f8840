/* fuzz.h: what every libFuzzer target of t/fuzz shares: the entry point
 * (also driven by replay.c over the seed corpus in `make test`) and the
 * invariant check that aborts, so libFuzzer and the replay both see it. */
#ifndef PR_FUZZ_H
#define PR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(c) do {                                                  \
        if (!(c)) {                                                    \
            fprintf(stderr, "%s:%d: invariant violated: %s\n",         \
                    __FILE__, __LINE__, #c);                           \
            abort();                                                   \
        }                                                              \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
