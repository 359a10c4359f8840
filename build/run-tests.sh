#!/usr/bin/env bash
# build/run-tests.sh -- build mod_proxy_reencrypt and run every test.
#
# Called by `make test` (after build/deps.sh); runs as root on a fresh
# Debian 12 clone, from any checkout location.  Steps:
#   1. make                       (module: mod_proxy_reencrypt/.libs/*.so)
#   2. build/pki.sh t/pki         (throwaway test PKI, gitignored)
#   3. t/unit/test_*.c            (gcc + ASan/UBSan, TAP; argv[1] = PKI dir)
#   4. t/fuzz/fuzz_*.c            (replayed over t/fuzz/corpus/NAME/ with
#                                  t/fuzz/replay.c under ASan/UBSan, TAP)
#   5. build/nginx.sh start       (second TLS stack of refusal backends)
#   6. Apache::Test (t/TEST)      as an unprivileged user, in a scratch copy
#                                 of the tree owned by that user
#   7. build/nginx.sh stop, per-suite summaries, last line "N passed, N failed"
# Exit status: non-zero if anything failed or if no test ran.
# Logs: the Apache::Test logs are copied back to t/logs/ (error_log tail
# printed on failure); TAP of every suite is kept in build/out/.
#
# Environment: MPR_TEST_USER (default nobody), MPR_KEEP=1 keeps the scratch dir,
# MPR_AT_ARGS extra arguments for t/TEST (e.g. "t/balancer.t"),
# MPR_NO_AT=1 stops after the unit tests and the fuzz replay (make check),
# MPR_DEB=1 / MPR_DEB=0 runs / skips build/test-deb.sh (the Debian package
# built, linted, installed, enabled and purged; by default only in a full
# run, as root: it installs into this machine).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=$ROOT/build/out
mkdir -p "$OUT"
# One run at a time per checkout: runs share build/out and the build.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$OUT/.lock"
    flock 9
fi
rm -f "$OUT"/*.tap
TEST_USER=${MPR_TEST_USER:-nobody}
# The pure core: every source that includes no httpd header.
CORE=$(grep -L "pr_glue.h\|pr_tls.h\|httpd.h" mod_proxy_reencrypt/*.c | tr "\n" " ")
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

declare -a SUITES=()
declare -A PASS=() FAIL=()
TOTAL_PASS=0
TOTAL_FAIL=0

# count SUITE TAPFILE [EXTRA_FAILS]: tally "ok" / "not ok" lines of a TAP file
count() {
    local suite=$1 tap=$2 extra=${3:-0} p f
    p=$(grep -cE '^[[:space:]]*ok [0-9]+' "$tap" 2>/dev/null) || p=0
    f=$(grep -cE '^[[:space:]]*not ok [0-9]+' "$tap" 2>/dev/null) || f=0
    f=$((f + extra))
    [ -n "${PASS[$suite]+x}" ] || SUITES+=("$suite")
    PASS[$suite]=$(( ${PASS[$suite]:-0} + p ))
    FAIL[$suite]=$(( ${FAIL[$suite]:-0} + f ))
    TOTAL_PASS=$((TOTAL_PASS + p))
    TOTAL_FAIL=$((TOTAL_FAIL + f))
}

# has_plan TAPFILE: a complete TAP stream ends with (or starts with) 1..N
plan_ok() {
    local tap=$1 plan n
    plan=$(grep -E '^1\.\.[0-9]+' "$tap" | head -1) || return 1
    n=${plan#1..}
    [ "$(grep -cE '^(not )?ok [0-9]+' "$tap")" -eq "$n" ]
}

# MPR_ASAN=1: the module built with AddressSanitizer and loaded into httpd
# with libasan preloaded; any ASan report in the error log fails the run.
MAKE_FLAGS=()
if [ "${MPR_ASAN:-0}" = 1 ]; then
    MAKE_FLAGS=(EXTRA_CFLAGS="-fsanitize=address -fno-omit-frame-pointer" EXTRA_LDFLAGS="-fsanitize=address")
fi
echo "== build${MPR_ASAN:+ (ASan: ${MPR_ASAN})}"
if ! make "${MAKE_FLAGS[@]}" >"$OUT/make.log" 2>&1; then
    tail -40 "$OUT/make.log"
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi
SO=$ROOT/mod_proxy_reencrypt/.libs/mod_proxy_reencrypt.so
[ -e "$SO" ] || { echo "no $SO"; echo "0 passed, 1 failed"; exit 1; }

echo "== pki"
if ! bash build/pki.sh "$ROOT/t/pki"; then
    echo "PKI generation failed"
    echo "0 passed, 1 failed"
    exit 1
fi

# ------------------------------------------------------------------ unit
echo "== unit tests"
# The pure core compiled once (ASan/UBSan objects), linked into every unit
# test and fuzz replayer.
CORE_SRC=$CORE
CORE=""
rm -rf "$OUT/core" && mkdir -p "$OUT/core"
for c in $CORE_SRC; do
    o=$OUT/core/$(basename "$c" .c).o
    if gcc -std=c11 -Wall -Wextra -Werror -g $SAN -Imod_proxy_reencrypt -c "$c" -o "$o" \
            >"$OUT/core.cc.log" 2>&1; then
        CORE="$CORE $o"
    else
        cat "$OUT/core.cc.log"
        echo "not ok 1 - $c compiles" >"$OUT/unit_core.tap"
        count unit "$OUT/unit_core.tap"
        CORE="$CORE $c"         # each test then reports the error itself
    fi
done
for src in t/unit/test_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    tap=$OUT/unit_$name.tap
    if ! gcc -std=c11 -Wall -Wextra -Werror -g $SAN -Imod_proxy_reencrypt \
            "$src" $CORE -lssl -lcrypto -o "$OUT/$name" >"$OUT/$name.cc.log" 2>&1; then
        cat "$OUT/$name.cc.log"
        echo "not ok 1 - $name compiles" >"$tap"
        count unit "$tap"
        echo "  $name: COMPILE FAILED"
        continue
    fi
    "$OUT/$name" "$ROOT/t/pki" >"$tap" 2>"$OUT/$name.err"
    rc=$?
    extra=0
    if [ $rc -ne 0 ] || ! plan_ok "$tap"; then
        # a crash or exit != 0 without a "not ok" line still fails the suite
        grep -qE '^not ok' "$tap" || extra=1
        cat "$OUT/$name.err"
        grep -E '^not ok' "$tap"
    fi
    count unit "$tap" $extra
    echo "  $name: $(grep -cE '^ok ' "$tap") ok, $(( $(grep -cE '^not ok ' "$tap") + extra )) not ok (exit $rc)"
done

# ------------------------------------------------------------------ fuzz
if [ -e t/fuzz/replay.c ] && ls t/fuzz/fuzz_*.c >/dev/null 2>&1; then
    echo "== fuzz corpus replay"
    for src in t/fuzz/fuzz_*.c; do
        name=$(basename "$src" .c); name=${name#fuzz_}
        tap=$OUT/fuzz_$name.tap
        corpus=t/fuzz/corpus/$name
        if [ ! -d "$corpus" ]; then
            echo "  fuzz_$name: no corpus in $corpus, skipped"
            continue
        fi
        if ! gcc -std=c11 -Wall -Wextra -g $SAN -Imod_proxy_reencrypt \
                t/fuzz/replay.c "$src" $CORE -lssl -lcrypto \
                -o "$OUT/replay_$name" >"$OUT/replay_$name.cc.log" 2>&1; then
            cat "$OUT/replay_$name.cc.log"
            echo "not ok 1 - fuzz_$name compiles" >"$tap"
            count fuzz "$tap"
            continue
        fi
        "$OUT/replay_$name" "$corpus" >"$tap" 2>"$OUT/replay_$name.err"
        rc=$?
        extra=0
        if [ $rc -ne 0 ] || ! plan_ok "$tap"; then
            grep -qE '^not ok' "$tap" || extra=1
            tail -30 "$OUT/replay_$name.err"
        fi
        count fuzz "$tap" $extra
        echo "  fuzz_$name: $(grep -cE '^ok ' "$tap") ok, $(( $(grep -cE '^not ok ' "$tap") + extra )) not ok (exit $rc)"
    done
fi

# ------------------------------------------------------------------ deb
deb_default=1
case " ${MPR_AT_ARGS:-} " in *.t\ *) deb_default=0 ;; esac
[ "${MPR_NO_AT:-0}" = 1 ] && deb_default=0
if [ "${MPR_DEB:-$deb_default}" = 1 ]; then
    echo "== Debian package (build/test-deb.sh)"
    tap=$OUT/deb.tap
    bash build/test-deb.sh >"$tap" 2>"$OUT/deb.err"
    rc=$?
    extra=0
    if [ $rc -ne 0 ] || ! plan_ok "$tap"; then
        grep -qE '^not ok' "$tap" || extra=1
        tail -20 "$OUT/deb.err"
    fi
    cat "$tap"
    count deb "$tap" $extra
fi

# ------------------------------------------------------------------ Apache::Test
if [ "${MPR_NO_AT:-0}" = 1 ]; then
    echo "== summary (no Apache::Test: MPR_NO_AT=1)"
    for s in "${SUITES[@]}"; do
        printf '  %-12s %4d passed, %d failed\n' "$s" "${PASS[$s]}" "${FAIL[$s]}"
    done
    echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
    [ "$TOTAL_FAIL" -eq 0 ] && [ "$TOTAL_PASS" -gt 0 ]
    exit
fi
echo "== Apache::Test"
WORK=$(mktemp -d /tmp/mpr-at.XXXXXX)
chmod 755 "$WORK"
NGX=$WORK/nginx
cleanup() {
    bash "$ROOT/build/nginx.sh" stop "$NGX" >/dev/null 2>&1 || true
    [ "${MPR_KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

# scratch copy of the tree, owned by the test user (the checkout may be
# root-owned and Apache::Test refuses to run as root)
mkdir -p "$WORK/src" "$WORK/home"
tar -C "$ROOT" --exclude=./.git --exclude=./build/out --exclude=./t/logs \
    --exclude=./t/conf/apache_test_config.pm -cf - . | tar -C "$WORK/src" -xf -
# other people may rebuild the checkout at the same time: make sure the copy
# holds a complete module, else build it again inside the copy
if ! nm -D "$WORK/src/mod_proxy_reencrypt/.libs/mod_proxy_reencrypt.so" 2>/dev/null \
        | grep -q ' D proxy_reencrypt_module'; then
    echo "(module in the checkout changed while copying: rebuilding in the scratch copy)"
    make -C "$WORK/src" clean >/dev/null 2>&1
    make -C "$WORK/src" >"$OUT/make-scratch.log" 2>&1 || tail -20 "$OUT/make-scratch.log"
fi
# generated configs of an earlier run in this checkout are stale here
find "$WORK/src/t/conf" -name '*.conf' -delete
rm -rf "$WORK/src/t/htdocs" "$WORK/src/t/TEST"
if [ "$(id -u)" = 0 ]; then
    chown -R "$TEST_USER:" "$WORK/src" "$WORK/home"
    AS=(runuser -u "$TEST_USER" --)
else
    AS=()
fi

AT_TAP=$OUT/apache-test.tap
at_rc=1
# 9>&-: servers started below must not hold the run lock if a test leaves
# one behind.
if bash build/nginx.sh start "$NGX" "$WORK/src/t/pki" 9>&-; then
    ASAN_ENV=()
    if [ "${MPR_ASAN:-0}" = 1 ]; then
        ASAN_ENV=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
                  ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=0"
                  MPR_ASAN=1)      # memory-figure tests skip themselves
    fi
    "${AS[@]}" env "${ASAN_ENV[@]}" HOME="$WORK/home" MPR_NGINX_PORTS="$NGX/ports" \
        MPR_PKI="$WORK/src/t/pki" PATH="$PATH" \
        bash -c 'cd "$1/src" && shift &&
                 perl -MApache::TestMM -e "Apache::TestMM::generate_script(q{t/TEST})" >/dev/null &&
                 perl t/TEST -clean >/dev/null 2>&1;
                 perl t/TEST -verbose "$@"' _ "$WORK" ${MPR_AT_ARGS:-} >"$AT_TAP" 2>&1 9>&-
    at_rc=$?
else
    echo "not ok 1 - nginx backends start" >"$AT_TAP"
fi
bash build/nginx.sh stop "$NGX" >/dev/null 2>&1
cat "$AT_TAP"
# A file that died or broke its plan with no "not ok" of its own counts as
# one failure each (Test::Harness's summary: "Failed: 0" with a Wstat or a
# parse error), so a run where other files failed cannot hide it.
extra=$(awk '/^Test Summary Report/ { s = 1 }
             s && /^t\/[^ ]+\.t +\(Wstat: [0-9]+.*Failed: 0\)/ { n++ }
             END { print n + 0 }' "$AT_TAP")
if [ "$extra" -eq 0 ] && [ $at_rc -ne 0 ] && ! grep -qE '^[[:space:]]*not ok [0-9]+' "$AT_TAP"; then
    extra=1      # harness failure (server did not start, bad plan, died)
fi
count apache-test "$AT_TAP" $extra
if [ "${MPR_ASAN:-0}" = 1 ]; then
    asan_tap=$OUT/asan.tap
    if grep -q "AddressSanitizer" "$WORK/src/t/logs/error_log" 2>/dev/null; then
        echo "not ok 1 - no AddressSanitizer report in the error log" >"$asan_tap"
        grep -A30 "AddressSanitizer" "$WORK/src/t/logs/error_log" | head -60
    else
        echo "ok 1 - no AddressSanitizer report in the error log" >"$asan_tap"
    fi
    cat "$asan_tap"
    count asan "$asan_tap"
fi

# keep the logs visible in the checkout
rm -rf "$ROOT/t/logs"
cp -r "$WORK/src/t/logs" "$ROOT/t/logs" 2>/dev/null
[ -d "$NGX/logs" ] && cp -r "$NGX/logs" "$ROOT/t/logs/nginx" 2>/dev/null
if [ $at_rc -ne 0 ]; then
    echo "---- tail of t/logs/error_log"
    tail -40 "$ROOT/t/logs/error_log" 2>/dev/null
    echo "---- (full logs in $ROOT/t/logs)"
fi

[ "${MPR_KEEP:-0}" = 1 ] && echo "(scratch dir kept: $WORK)"

# ------------------------------------------------------------------ summary
echo "== summary"
for s in "${SUITES[@]}"; do
    printf '  %-12s %4d passed, %d failed\n' "$s" "${PASS[$s]}" "${FAIL[$s]}"
done
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_FAIL" -eq 0 ] && [ "$TOTAL_PASS" -gt 0 ]
