/* Minimal TAP producer for the C unit tests of the pure core.
 * Written by hand: a few lines, and every runner we use (prove, our
 * build/run-tests.sh) already reads TAP. */
#ifndef PR_TAP_H
#define PR_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do {                                            \
        int ok_c_ = (cond) ? 1 : 0;                                   \
        ++tap_n;                                                      \
        if (!ok_c_) ++tap_failed;                                     \
        printf("%sok %d - ", ok_c_ ? "" : "not ", tap_n);             \
        printf(__VA_ARGS__);                                          \
        printf("\n");                                                 \
        if (!ok_c_) printf("#   at %s line %d\n", __FILE__, __LINE__);\
    } while (0)

#define is_int(got, want, ...) do {                                   \
        long is_g_ = (long)(got), is_w_ = (long)(want);               \
        ok(is_g_ == is_w_, __VA_ARGS__);                              \
        if (is_g_ != is_w_) printf("#   got %ld, want %ld\n", is_g_, is_w_); \
    } while (0)

#define is_str(got, want, ...) do {                                   \
        const char *is_g_ = (got), *is_w_ = (want);                   \
        int is_e_ = (is_g_ && is_w_) ? strcmp(is_g_, is_w_) == 0      \
                                     : is_g_ == is_w_;                \
        ok(is_e_, __VA_ARGS__);                                       \
        if (!is_e_) printf("#   got '%s', want '%s'\n",               \
                           is_g_ ? is_g_ : "(null)", is_w_ ? is_w_ : "(null)"); \
    } while (0)

static inline int done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
#endif
