#!/usr/bin/env bash
# build/pki.sh OUTDIR -- generate the throwaway test PKI for mod_proxy_reencrypt.
#
# Everything (keys, certs, CRLs, pins) is created here at test time with the
# openssl CLI only; no private key is ever committed.  The output file names
# are a contract used by the test configs -- do not rename them.
#
# OpenSSL 3.0 has no -not_before for req/x509, so every certificate is issued
# through `openssl ca` with a throwaway per-CA config in a temp dir, which lets
# us choose -startdate/-enddate freely (past, future, short-lived).
#
# Idempotent: if OUTDIR/.done is newer than this script, exit at once.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then echo "usage: $0 OUTDIR" >&2; exit 2; fi
OUT=$1
SELF=${BASH_SOURCE[0]}
[ -e "$OUT/.done" ] && [ "$OUT/.done" -nt "$SELF" ] && exit 0

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ "$OUT" != / ] || { echo "refusing to use / as OUTDIR" >&2; exit 2; }

# Serialise concurrent runs (e.g. parallel test jobs), then re-check.
if command -v flock >/dev/null; then
    exec 9>"$OUT/.lock"
    flock 9
    [ -e "$OUT/.done" ] && [ "$OUT/.done" -nt "$SELF" ] && exit 0
fi

# Start from scratch (keep only the lock file).
find "$OUT" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +

W=$(mktemp -d "${TMPDIR:-/tmp}/mpr-pki.XXXXXX")
trap 'rm -rf "$W"' EXIT

# ---------------------------------------------------------------- helpers

# q CMD...: run quietly; show openssl's stderr only if it fails.
q() { "$@" 2>"$W/err" || { cat "$W/err" >&2; return 1; }; }

# d 'RELATIVE DATE': GNU date -> GeneralizedTime accepted by openssl ca.
d() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

NOW_1D=$(d '1 day ago')

# mkkey FILE [rsa]: EC P-256 key by default, RSA 2048 on request.
mkkey() {
    if [ "${2:-ec}" = rsa ]; then
        q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"
    else
        q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
    fi
}

# mkca NAME CERT KEY: create the openssl-ca state + config for signer NAME.
# If CERT does not exist yet when `sign` is called, it is self-signed.
mkca() {
    local dir="$W/ca-$1"
    mkdir -p "$dir/certs"
    : >"$dir/index.txt"
    echo 1000 >"$dir/crlnumber"
    cat >"$dir/ca.cnf" <<EOF
[ca]
default_ca = CA_default
[CA_default]
dir            = $dir
database       = \$dir/index.txt
new_certs_dir  = \$dir/certs
crlnumber      = \$dir/crlnumber
certificate    = $2
private_key    = $3
rand_serial    = yes
default_md     = sha256
policy         = pol_any
unique_subject = no
email_in_dn    = no
copy_extensions = none
[pol_any]
commonName       = optional
organizationName = optional
EOF
}

# Extension profiles (SAN / extra lines are appended per certificate).
EXT_CA='basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always'
EXT_LEAF='basicConstraints = critical,CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid'
EXT_SERVER="$EXT_LEAF
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth"
EXT_CLIENT="$EXT_LEAF
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth"
SAN_DEFAULT='subjectAltName = DNS:localhost, DNS:backend.test'

# sign CA SUBJ KEY OUTCRT START END EXTS: issue OUTCRT for KEY via signer CA.
sign() {
    local ca=$1 subj=$2 key=$3 out=$4 start=$5 end=$6 exts=$7
    local n cnf; n=$(basename "$out" .crt); cnf="$W/ca-$ca/ca.cnf"
    local -a self=()
    # the signer's certificate path is the 3rd word of the "certificate" line
    [ -e "$(awk '$1=="certificate"{print $3}' "$cnf")" ] ||
        self=(-selfsign -keyfile "$key")
    printf '[ext]\n%s\n' "$exts" >"$W/$n.ext"
    q openssl req -new -key "$key" -subj "$subj" -out "$W/$n.csr"
    q openssl ca -config "$cnf" "${self[@]}" -batch -notext -preserveDN \
        -startdate "$start" -enddate "$end" \
        -extfile "$W/$n.ext" -extensions ext -in "$W/$n.csr" -out "$out"
}

# ca_cert NAME CN [PARENT]: CA key+cert in OUTDIR, self-signed if no PARENT.
ca_cert() {
    local name=$1 cn=$2 parent=${3:-$1}
    mkkey "$OUT/$name.key"
    mkca "$name" "$OUT/$name.crt" "$OUT/$name.key"
    sign "$parent" "/CN=$cn" "$OUT/$name.key" "$OUT/$name.crt" \
        "$NOW_1D" "$(d '1 day ago + 10 years')" "$EXT_CA"
}

# server NAME CA START END SAN [SUBJ] [rsa]: backend/front server leaf.
server() {
    local name=$1 ca=$2 start=$3 end=$4 san=$5 subj=${6:-/CN=$1} kt=${7:-ec}
    local exts="$EXT_SERVER"
    [ "$kt" = rsa ] && exts="${exts/digitalSignature/digitalSignature,keyEncipherment}"
    mkkey "$OUT/$name.key" "$kt"
    sign "$ca" "$subj" "$OUT/$name.key" "$OUT/$name.crt" "$start" "$end" \
        "$exts
$san"
}

Y1=$(d '1 day ago + 365 days')

# ---------------------------------------------------------------- trust
ca_cert root         "mpr Test Root CA"
ca_cert inter        "mpr Test Intermediate CA" root
ca_cert foreign-root "mpr Foreign Root CA"
ca_cert client-ca    "mpr Client CA"
mkca ss /nonexistent/self-signed "$W/unused.key"   # signer for self-signed leaves

# ---------------------------------------------------------------- backend leaves
server good      inter "$NOW_1D" "$Y1" "$SAN_DEFAULT"
server good2     inter "$NOW_1D" "$Y1" "$SAN_DEFAULT"
server expired   inter "$(d '400 days ago')" "$(d '35 days ago')" "$SAN_DEFAULT"
server notyet    inter "$(d '30 days')" "$(d '400 days')" "$SAN_DEFAULT"
server expiring  inter "$(d '10 days ago')" "$(d '3 days + 4 hours')" "$SAN_DEFAULT"
server wrongname inter "$NOW_1D" "$Y1" 'subjectAltName = DNS:wrong.example' /CN=wrong.example
server iponly    inter "$NOW_1D" "$Y1" 'subjectAltName = IP:127.0.0.1' /CN=127.0.0.1
server ipv6only  inter "$NOW_1D" "$Y1" 'subjectAltName = IP:::1'
server foreign   foreign-root "$NOW_1D" "$Y1" "$SAN_DEFAULT"
server revoked   inter "$NOW_1D" "$Y1" "$SAN_DEFAULT"
server rsa       inter "$NOW_1D" "$Y1" "$SAN_DEFAULT" /CN=rsa rsa
server selfsigned  ss "$NOW_1D" "$Y1" "$SAN_DEFAULT"
server selfsigned2 ss "$NOW_1D" "$Y1" "$SAN_DEFAULT"
server front     inter "$NOW_1D" "$Y1" 'subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1'
# Stream passthrough backends (t/stream_*.t): one name each, so that a
# client that verifies the name end-to-end proves which backend it reached.
server st-a      inter "$NOW_1D" "$Y1" 'subjectAltName = DNS:a.test, DNS:*.w.test' /CN=a.test
server st-b      inter "$NOW_1D" "$Y1" 'subjectAltName = DNS:b.test' /CN=b.test

# Hostile big certificates (t/reliability_mem.t): DNS:localhost and then
# N-1 more DNS SANs of 19 bytes. many-sans-4000 (about 84 KB) stays under
# OpenSSL's default limit for the Certificate message (100 KB), so the
# module's name/SAN/status code sees all of them; many-sans-8000 (about
# 168 KB) does not.
many_sans() {
    local n=$1
    printf 'subjectAltName = DNS:localhost'
    printf ', DNS:h%04d.many-sans.test' $(seq 1 $((n - 1)))
}
server many-sans-4000 inter "$NOW_1D" "$Y1" "$(many_sans 4000)" /CN=many-sans-4000
server many-sans-8000 inter "$NOW_1D" "$Y1" "$(many_sans 8000)" /CN=many-sans-8000

# Long chains: root -> PREFIX-i1 -> ... -> PREFIX-iN -> leaf NAME.
# Intermediate certs go to OUTDIR (handy for debugging), their keys stay in $W.
long_chain() {
    local name=$1 prefix=$2 n=$3 parent=root i chain=""
    for i in $(seq 1 "$n"); do
        mkkey "$W/$prefix-i$i.key"
        mkca "$prefix-i$i" "$OUT/$prefix-i$i.crt" "$W/$prefix-i$i.key"
        sign "$parent" "/CN=mpr $prefix intermediate $i" "$W/$prefix-i$i.key" \
            "$OUT/$prefix-i$i.crt" "$NOW_1D" "$(d '1 day ago + 10 years')" "$EXT_CA"
        parent=$prefix-i$i
        chain="$OUT/$prefix-i$i.crt $chain"          # newest first
    done
    server "$name" "$parent" "$NOW_1D" "$Y1" "$SAN_DEFAULT"
    # shellcheck disable=SC2086
    cat "$OUT/$name.crt" $chain >"$OUT/$name-chain.crt"
}
long_chain deep  deep 5
long_chain deep4 d4   4
# More certificates than any policy depth allows (the chain bound, issue 12).
long_chain long12 l12 12

# A Certificate message over OpenSSL's 100 KB max_cert_list (the chain bound
# in bytes, issue 12): many-sans-8000 above.

# Chain files: leaf + intermediates (never the root).
for n in good good2 expired notyet expiring wrongname iponly ipv6only revoked rsa front st-a st-b \
         many-sans-4000 many-sans-8000; do
    cat "$OUT/$n.crt" "$OUT/inter.crt" >"$OUT/$n-chain.crt"
done
for n in foreign selfsigned selfsigned2; do
    cp "$OUT/$n.crt" "$OUT/$n-chain.crt"
done

# ---------------------------------------------------------------- CRLs
# The same CA's CRLs from before the revocation (t/revocation_reload.t:
# swapped for crl-chain.pem while the server runs).
for ca in inter root; do
    q openssl ca -config "$W/ca-$ca/ca.cnf" -gencrl -out "$W/$ca-before.crl" \
        -crl_lastupdate "$NOW_1D" -crl_nextupdate "$(d '30 days')"
done
cat "$W/inter-before.crl" "$W/root-before.crl" >"$OUT/crl-before-revocation.pem"
q openssl ca -config "$W/ca-inter/ca.cnf" -revoke "$OUT/revoked.crt" \
    -crl_reason keyCompromise
for ca in inter root; do
    q openssl ca -config "$W/ca-$ca/ca.cnf" -gencrl -out "$OUT/$ca.crl" \
        -crl_lastupdate "$NOW_1D" -crl_nextupdate "$(d '30 days')"
done
cat "$OUT/inter.crl" "$OUT/root.crl" >"$OUT/crl-chain.pem"

# CRLs past their nextUpdate (stale: counted as missing), and one inside
# its last day (a warning).
for ca in inter root; do
    q openssl ca -config "$W/ca-$ca/ca.cnf" -gencrl -out "$W/$ca-stale.crl" \
        -crl_lastupdate "$(d '3 days ago')" -crl_nextupdate "$(d '1 day ago')"
    q openssl ca -config "$W/ca-$ca/ca.cnf" -gencrl -out "$W/$ca-soon.crl" \
        -crl_lastupdate "$NOW_1D" -crl_nextupdate "$(d '12 hours')"
done
cat "$W/inter-stale.crl" "$OUT/root.crl" >"$OUT/crl-stale.pem"
cat "$W/inter-soon.crl" "$W/root-soon.crl" >"$OUT/crl-soon.pem"

# ---------------------------------------------------------------- OCSP
# Stapled responses served by nginx (ssl_stapling_file): a delegated
# responder issued by the intermediate (OCSPSigning), and one of the same
# shape issued by the foreign root (a response signed by the wrong key).
EXT_OCSP="$EXT_LEAF
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning"
mkkey "$OUT/ocsp-responder.key"
sign inter "/CN=mpr Test OCSP Responder" "$OUT/ocsp-responder.key" \
    "$OUT/ocsp-responder.crt" "$NOW_1D" "$Y1" "$EXT_OCSP"
mkkey "$OUT/ocsp-wrong.key"
sign foreign-root "/CN=mpr Wrong OCSP Responder" "$OUT/ocsp-wrong.key" \
    "$OUT/ocsp-wrong.crt" "$NOW_1D" "$Y1" "$EXT_OCSP"
# ocsp_resp LEAF SIGNER OUT: openssl ocsp answers from inter's index
ocsp_resp() {
    q openssl ocsp -issuer "$OUT/inter.crt" -cert "$OUT/$1.crt" -no_nonce \
        -reqout "$W/$3.req"
    q openssl ocsp -index "$W/ca-inter/index.txt" -CA "$OUT/inter.crt" \
        -rsigner "$OUT/$2.crt" -rkey "$OUT/$2.key" -reqin "$W/$3.req" \
        -respout "$OUT/$3.der" -ndays 7
}
ocsp_resp good    ocsp-responder ocsp-good
ocsp_resp revoked ocsp-responder ocsp-revoked
ocsp_resp good    ocsp-wrong     ocsp-wrongkey
# expired: thisUpdate 3 days ago, nextUpdate 2 days ago (openssl ocsp
# cannot date a response in the past: a small helper does it)
q cc -o "$W/ocsp-stale" "$(dirname "$SELF")/ocsp-stale.c" -lcrypto
q "$W/ocsp-stale" "$OUT/inter.crt" "$OUT/ocsp-responder.crt" "$OUT/ocsp-responder.key" \
    "$OUT/good.crt" 72 48 "$OUT/ocsp-expired.der"

# ---------------------------------------------------------------- client certs
# All share the subject so that only validity differs between them (client2:
# the same as client, another serial: t/pool_scope_h2.t).
CLIENT_SUBJ='/O=mpr tests/CN=mpr-front-client'
client() {
    mkkey "$OUT/$1.key"
    sign client-ca "$CLIENT_SUBJ" "$OUT/$1.key" "$OUT/$1.crt" "$2" "$3" "$EXT_CLIENT"
}
client client          "$NOW_1D"             "$Y1"
client client-expired  "$(d '100 days ago')" "$(d '10 days ago')"
client client-expiring "$NOW_1D"             "$(d '5 days')"
client client2         "$NOW_1D"             "$Y1"
cp "$OUT/client.crt" "$OUT/client-chain.crt"
mkkey "$OUT/client-otherkey.key"

# ---------------------------------------------------------------- bundles
cp "$OUT/root.crt" "$OUT/all-roots.crt"
mkdir "$OUT/capath"
cp "$OUT/root.crt" "$OUT/capath/root.crt"
ln -s root.crt "$OUT/capath/$(openssl x509 -hash -noout -in "$OUT/root.crt").0"
# a trust store that t/session_trust.t replaces (and puts back) at run time
cp "$OUT/root.crt" "$OUT/trust-swap.crt"
# t/status_scope_trust.t: a CA file and a CRL file of each of two vhosts,
# at paths no other vhost names
for v in a b; do
    cp "$OUT/root.crt" "$OUT/scope-$v-ca.pem"
    cp "$OUT/crl-before-revocation.pem" "$OUT/scope-$v-crl.pem"
done

# ---------------------------------------------------------------- pins
# sha256//base64(SHA-256(DER SubjectPublicKeyInfo)) for every single cert.
for crt in "$OUT"/*.crt; do
    case $crt in *-chain.crt|*/all-roots.crt|*/trust-swap.crt) continue ;; esac
    pin=$(openssl x509 -in "$crt" -pubkey -noout | openssl pkey -pubin -outform DER |
          openssl dgst -sha256 -binary | openssl base64 -A)
    echo "sha256//$pin" >"${crt%.crt}.pin"
done

chmod -R a+rX "$OUT"
# TLS session ticket keys shared by test backends (SSLSessionTicketKeyFile
# wants 48 bytes), so that a ticket offered to the wrong backend would be
# accepted: the session-isolation test relies on it.
openssl rand -out "$OUT/ticket.key" 48
chmod 644 "$OUT/ticket.key"
touch "$OUT/.done"
