/*
 * replay.c: run a libFuzzer target over files without libFuzzer.
 *
 * Link with any fuzz target that defines LLVMFuzzerTestOneInput (and
 * optionally LLVMFuzzerInitialize), build with gcc or clang and the
 * sanitizers, and give it files and/or directories:
 *
 *   gcc -std=c11 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
 *       -Imod_proxy_reencrypt \
 *       t/fuzz/replay.c t/fuzz/fuzz_forwarded.c \
 *       mod_proxy_reencrypt/pr_forwarded.c -o /tmp/replay_forwarded
 *   /tmp/replay_forwarded t/fuzz/corpus/forwarded
 *
 * Output is TAP: one "ok N - replay <file>" per input, then "1..N".
 * Directories are read recursively in sorted order; names starting with
 * '.' are skipped. Every input is copied into a heap block of exactly its
 * size, so the sanitizers see any read past the end. A crash (sanitizer
 * report, abort(), fatal signal) prints "not ok N - replay <file> #
 * crashed" and ends the run without a plan line, which TAP harnesses
 * report as a failure; an unreadable file or an empty directory is
 * "not ok". UBSan findings are made fatal (see __ubsan_default_options
 * below); building with -fno-sanitize-recover=all is still advisable.
 * Exit status: 0 when every test passed, 1 otherwise, 2 on usage errors.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* Provided by the sanitizer runtimes when linked in. */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

/* Read by the UBSan runtime (UBSAN_OPTIONS still overrides): make every
 * finding fatal, through abort() so that on_signal names the input even
 * where UBSan does not share ASan's death callback (gcc's libubsan). */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:abort_on_error=1:print_stacktrace=1";
}

static int n_tests, n_failed;

/* The line to print should the current input crash, formatted before
 * the call so that printing it from a signal handler is just write(). */
static char crash_line[4096];
static size_t crash_len;

static void report_crash(void)
{
    if (crash_len > 0) {
        ssize_t w = write(STDOUT_FILENO, crash_line, crash_len);
        (void)w;
        crash_len = 0;
    }
}

static void on_signal(int sig)
{
    report_crash();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_crash_reporting(void)
{
    static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };
    size_t i;

    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(report_crash);
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa;
        struct sigaction old;

        /* leave alone handlers someone (a sanitizer) already installed */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_DFL)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

static void result(int ok, const char *path, const char *why)
{
    ++n_tests;
    if (!ok)
        ++n_failed;
    printf("%sok %d - replay %s", ok ? "" : "not ", n_tests, path);
    if (why)
        printf(" # %s", why);
    printf("\n");
    fflush(stdout);
}

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long sz;
    size_t got;

    if (f == NULL) {
        result(0, path, strerror(errno));
        return;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0) {
        result(0, path, "cannot size the file");
        fclose(f);
        return;
    }
    /* exactly sized (malloc(0) may return NULL: use 1 then, size stays 0) */
    buf = malloc(sz > 0 ? (size_t)sz : 1);
    if (buf == NULL) {
        result(0, path, "out of memory");
        fclose(f);
        return;
    }
    got = fread(buf, 1, (size_t)sz, f);
    fclose(f);
    if (got != (size_t)sz) {
        result(0, path, "short read");
        free(buf);
        return;
    }
    /* flush first so that the lines before a crash are kept */
    fflush(stdout);
    {
        int n = snprintf(crash_line, sizeof crash_line,
                         "not ok %d - replay %s # crashed\n", n_tests + 1, path);
        crash_len = n < 0 ? 0 : (size_t)n < sizeof crash_line
                                 ? (size_t)n : sizeof crash_line - 1;
    }
    LLVMFuzzerTestOneInput(buf, got);
    crash_len = 0;
    free(buf);
    result(1, path, NULL);
}

static int skip_dot(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

static void replay_path(const char *path, int top)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        result(0, path, strerror(errno));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        struct dirent **names;
        int i, n = scandir(path, &names, skip_dot, alphasort);
        int before = n_tests;

        if (n < 0) {
            result(0, path, strerror(errno));
            return;
        }
        for (i = 0; i < n; i++) {
            size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
            char *child = malloc(len);

            if (child == NULL) {
                result(0, path, "out of memory");
            }
            else {
                snprintf(child, len, "%s/%s", path, names[i]->d_name);
                replay_path(child, 0);
                free(child);
            }
            free(names[i]);
        }
        free(names);
        if (top && n_tests == before)
            result(0, path, "no input files");
        return;
    }
    replay_file(path);
}

int main(int argc, char **argv)
{
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE-OR-DIR...\n", argv[0]);
        return 2;
    }
    install_crash_reporting();
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (i = 1; i < argc; i++)
        replay_path(argv[i], 1);
    printf("1..%d\n", n_tests);
    return n_failed ? 1 : 0;
}
