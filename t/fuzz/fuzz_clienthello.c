/*
 * libFuzzer target for pr_clienthello.c.
 *
 * Fuzz:   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *             -Imod_proxy_reencrypt t/fuzz/fuzz_clienthello.c \
 *             mod_proxy_reencrypt/pr_clienthello.c mod_proxy_reencrypt/pr_core.c -lcrypto \
 *             -o /tmp/fuzz_clienthello
 *         /tmp/fuzz_clienthello /tmp/corpus t/fuzz/corpus/clienthello
 * Replay: gcc ... t/fuzz/replay.c t/fuzz/fuzz_clienthello.c ... (no libFuzzer)
 *
 * Invariants (any violation aborts):
 *  - the status is one of the enum; NEED_MORE asks for more than given,
 *    and never more than PR_CH_MAX;
 *  - OK: consumed <= len; the SNI, when present, is a terminated,
 *    lower-case DNS name of sni_len bytes;
 *  - the answer depends only on the bytes of the hello: the input with
 *    trailing bytes added after `consumed` gives the same result, and
 *    every prefix shorter than `consumed` asks for more (monotonic).
 */
#include "pr_clienthello.h"
#include "pr_core.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static unsigned char more[PR_CH_MAX + 64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pr_clienthello ch, ch2;
    pr_ch_status st, st2;
    size_t need = 0, need2 = 0, i;

    st = pr_clienthello_parse(data, size, &ch, &need);
    CHECK(st >= PR_CH_OK && st <= PR_CH_TOO_BIG);
    if (st == PR_CH_NEED_MORE) {
        CHECK(need > size && need <= PR_CH_MAX);
        return 0;
    }
    if (st != PR_CH_OK) {
        CHECK(!ch.has_sni);
        return 0;
    }
    CHECK(ch.consumed > 0 && ch.consumed <= size);
    if (ch.has_sni) {
        CHECK(ch.sni_len > 0 && ch.sni_len < PR_CH_NAME_MAX && ch.sni[ch.sni_len] == '\0');
        CHECK(strlen(ch.sni) == ch.sni_len);
        for (i = 0; i < ch.sni_len; ++i) {
            CHECK(!(ch.sni[i] >= 'A' && ch.sni[i] <= 'Z'));
        }
        CHECK(pr_classify_name(ch.sni, ch.sni_len, 0) == PR_NAME_DNS);
    }
    /* Trailing bytes after the hello do not change the answer. */
    if (ch.consumed + 16 <= sizeof(more)) {
        memcpy(more, data, ch.consumed);
        memset(more + ch.consumed, 0xa5, 16);
        st2 = pr_clienthello_parse(more, ch.consumed + 16, &ch2, &need2);
        CHECK(st2 == PR_CH_OK && ch2.has_sni == ch.has_sni && ch2.consumed == ch.consumed);
        CHECK(!ch.has_sni || strcmp(ch.sni, ch2.sni) == 0);
    }
    /* Every shorter prefix needs more. */
    for (i = 0; i < ch.consumed; i += 1 + ch.consumed / 64) {
        st2 = pr_clienthello_parse(data, i, &ch2, &need2);
        CHECK(st2 == PR_CH_NEED_MORE && need2 > i && need2 <= ch.consumed);
    }
    return 0;
}
