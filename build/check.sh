#!/usr/bin/env bash
# build/check.sh [TREE] -- consistency checks of the sources against the
# README, run by `make check` (no build, no network, any user).
#
#   1. every directive registered in pr_cmds (AP_INIT_*("Name", ...)) has a
#      "### Name" heading in the README's directive reference, and every
#      heading there names a registered directive;
#   2. every log tag (PRE(nnnn) in the sources, and the start-up finding
#      codes of pr_decide.c's findings, logged as PRE%04d) is used at one call
#      site only (exceptions listed below, with why) and has a row
#      "| `PREnnnn` | ..." in the README's tag table; every row there is a
#      tag of the code;
#   3. every field of pr_dir_conf (pr_glue.h) is merged in
#      pr_merge_dir_conf, and every int/long field starts as PR_UNSET in
#      pr_create_dir_conf;
#   4. the version of pr_version.h is the top entry of debian/changelog.
#
# Prints one line per problem and "check: N problems"; exits 1 on any.
# `build/check.sh --self-test` runs the checks on broken copies of the tree
# and fails unless each breakage is caught.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Tags logged from more than one call site on purpose.
#   PRE1010: the same refusal line from a request and from a requestless
#            (health check) connection.
MULTI_OK="PRE1010"

check_tree() {
    local T=$1 problems=0 src=$1/mod_proxy_reencrypt readme=$1/README.md
    local d t f n

    say() { echo "check: $*"; problems=$((problems + 1)); }

    # 1. directives
    local code_dirs readme_dirs
    code_dirs=$(grep -ho 'AP_INIT_[A-Z0-9_]*("ProxyReencrypt[A-Za-z]*"' "$src"/*.c \
                | sed 's/.*("\(.*\)"/\1/' | sort -u)
    readme_dirs=$(grep -o '^### ProxyReencrypt[A-Za-z]*$' "$readme" | sed 's/^### //' | sort -u)
    [ -n "$code_dirs" ] || say "no directive found in $src"
    for d in $code_dirs; do
        grep -qx "$d" <<<"$readme_dirs" || say "directive $d is not in the README directive reference"
    done
    for d in $readme_dirs; do
        grep -qx "$d" <<<"$code_dirs" || say "README documents $d, which no command_rec registers"
    done

    # 2. log tags
    local uses tags table
    uses=$(grep -ho 'PRE([0-9]\{4\})' "$src"/*.c | sed 's/PRE(\([0-9]*\))/PRE\1/')
    # start-up findings: "f.code = N;" in pr_decide.c, logged as PRE%04d
    uses+=$'\n'$( { grep -ho 'f\.code = [0-9]*;' "$src"/pr_decide.c | sed 's/f\.code = \([0-9]*\);/\1/';
                   grep -ho 'finding(pol, [0-9]*,' "$src"/pr_decide.c | sed 's/finding(pol, \([0-9]*\),/\1/'; } \
                 | while read -r n; do printf 'PRE%04d\n' "$n"; done)
    tags=$(grep -v '^$' <<<"$uses" | sort -u)
    for t in $(grep -v '^$' <<<"$uses" | sort | uniq -d); do
        grep -qw "$t" <<<"$MULTI_OK" || say "log tag $t is used at more than one call site"
    done
    table=$(grep -o '^| `PRE[0-9]\{4\}`' "$readme" | grep -o 'PRE[0-9]*' | sort)
    for t in $(uniq -d <<<"$table"); do
        say "log tag $t has two rows in the README tag table"
    done
    for t in $tags; do
        grep -qx "$t" <<<"$table" || say "log tag $t is not in the README tag table"
    done
    for t in $(uniq <<<"$table"); do
        grep -qx "$t" <<<"$tags" || say "README tag table lists $t, which the code never logs"
    done

    # 3. config fields: create and merge
    local fields ints create merge
    local body
    body=$(awk '/^typedef struct \{/ { buf = ""; inside = 1; next }
                inside && /^\} pr_dir_conf;/ { print buf; exit }
                inside { buf = buf $0 "\n" }' "$src/pr_glue.h")
    fields=$(grep -E '^\s+((const|struct|unsigned) )*[A-Za-z_0-9]+[ *]+[a-z_0-9]+(\[[^]]*\])?;' <<<"$body" \
             | sed -E 's/\[.*//; s/;.*//; s/.*[ *]([a-z_0-9]+)\s*$/\1/')
    ints=$(grep -E '^\s+(int|long) [a-z_0-9]+;' <<<"$body" | sed -E 's/^\s+(int|long) ([a-z_0-9]+);.*/\2/')
    create=$(sed -n '/^void \*pr_create_dir_conf/,/^}/p' "$src/pr_config_merge.c")
    merge=$(sed -n '/^void \*pr_merge_dir_conf/,/^}/p' "$src/pr_config_merge.c")
    [ -n "$fields" ] || say "no pr_dir_conf fields found in pr_glue.h"
    for f in $fields; do
        grep -qE "MERGE_[A-Z]+\($f\)|m->$f\b" <<<"$merge" \
            || say "config field $f is not merged in pr_merge_dir_conf"
    done
    for f in $ints; do
        grep -qE "c->$f = PR_UNSET;" <<<"$create" \
            || say "config field $f does not start as PR_UNSET in pr_create_dir_conf"
    done

    # 4. one version
    local v dv
    v=$(sed -n 's/^#define PR_VERSION "\(.*\)"/\1/p' "$src/pr_version.h")
    [ -n "$v" ] || say "no PR_VERSION in pr_version.h"
    if [ -e "$T/debian/changelog" ]; then
        dv=$(head -1 "$T/debian/changelog" | sed -n 's/^[^ ]* (\([^)-]*\)\(-[^)]*\)\?).*/\1/p')
        [ "$dv" = "$v" ] || say "debian/changelog is at version '$dv', pr_version.h at '$v'"
    fi

    echo "check: $problems problems"
    [ "$problems" -eq 0 ]
}

self_test() {
    local tmp fails=0 name
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    breakage() {   # NAME SED-FILE SED-EXPR: the check must fail on it
        name=$1
        rm -rf "$tmp/t" && mkdir -p "$tmp/t"
        cp -r "$HERE/README.md" "$HERE/mod_proxy_reencrypt" "$tmp/t/"
        [ -d "$HERE/debian" ] && cp -r "$HERE/debian" "$tmp/t/"
        sed -i "$3" "$tmp/t/$2"
        if cmp -s "$HERE/$2" "$tmp/t/$2"; then
            echo "not ok - check catches: $name (the breakage no longer applies: update it)"
            fails=$((fails + 1))
            return
        fi
        if check_tree "$tmp/t" >"$tmp/out" 2>&1; then
            echo "not ok - check catches: $name"
            fails=$((fails + 1))
        else
            echo "ok - check catches: $name ($(grep -v 'problems$' "$tmp/out" | head -1))"
        fi
    }
    breakage "a directive missing from the README" README.md '/^### ProxyReencryptSNI$/d'
    breakage "a log tag used twice" mod_proxy_reencrypt/pr_status_handler.c 's/PRE(0104)/PRE(0106)/'
    breakage "a log tag missing from the tag table" README.md '/^| `PRE0106`/d'
    breakage "a field never merged" mod_proxy_reencrypt/pr_config_merge.c 's/^    MERGE_INT(min_proto);$//'
    breakage "a field not unset in create" mod_proxy_reencrypt/pr_config_merge.c 's/^    c->sni = PR_UNSET;$//'
    [ -d "$HERE/debian" ] && breakage "a changelog at another version" debian/changelog '1s/(\([0-9]\)/(9\1/'
    [ "$fails" -eq 0 ]
}

if [ "${1:-}" = --self-test ]; then
    self_test
else
    check_tree "${1:-$HERE}"
fi
