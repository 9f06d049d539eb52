#!/usr/bin/env bash
# The CA speed comparison (issue 4 "Speed"): certdesk beside cfssl and openssl, in one run,
# on this machine. Prints one table: case, connections, certdesk/s, peer/s, ratio, latencies.
#
#   bench/ca/run.sh                      # 10 s per case after a 2 s warm-up, SQLite
#   bench/ca/run.sh --quick              # a short smoke run (2 s per case, smaller CRLs)
#   bench/ca/run.sh --backend postgres [--pg-url postgres://postgres@127.0.0.1:5432/postgres]
#   bench/ca/run.sh --only ocsp,crl      # some cases: issue, ocsp, crl
#
# Cases:
#   issue  POST /api/v1/applications/{id}/production with a CSR, as an operator (bearer token),
#          one approved 新办 order per request, stored durably; 16 and 64 connections.
#          Peers: `cfssl serve` signing (storing nothing), and `cfssl serve -db-config` storing
#          in a SQLite certdb.
#   ocsp   GET and POST /ocsp (good, revoked and unknown serials) vs `cfssl ocspserve` answering
#          from responses signed in advance by `cfssl ocspsign`; 16 and 64 connections.
#   crl    a CRL of 1,000,000 revoked certificates published through the app (rows seeded in
#          bulk) vs `openssl ca -gencrl` over an index of 100,000 revoked entries.
#
# Before the timed runs the answers are checked: issued certificates with `openssl verify`
# against the chain, OCSP answers with `openssl ocsp` (good, revoked, unknown), the CRL with
# `openssl crl -verify` and its entries counted. Everything runs in a temporary directory,
# removed at the end with every process the script started (--keep keeps the directory).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/bench/ca
SECS=10
WARMUP=2
CONNS=(16 64)
THREADS=2
CRL_N=1000000
OPENSSL_CRL_N=100000
BACKEND=sqlite
PG_URL=postgres://postgres@127.0.0.1:5432/postgres
ONLY=issue,ocsp,crl
KEEP=0
PROFILE=release

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) SECS=2; WARMUP=1; CRL_N=100000; OPENSSL_CRL_N=10000 ;;
        --seconds) SECS=$2; shift ;;
        --backend) BACKEND=$2; shift ;;
        --pg-url) PG_URL=$2; shift ;;
        --only) ONLY=$2; shift ;;
        --keep) KEEP=1 ;;
        --debug-build) PROFILE=debug ;; # checks the script itself; its figures mean nothing

        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$BACKEND" in sqlite|postgres) ;; *) echo "--backend sqlite|postgres" >&2; exit 2 ;; esac
want() { [[ ",$ONLY," == *",$1,"* ]]; }
log() { printf '[cabench %s] %s\n' "$(date +%T)" "$*" >&2; }

# --- tools -------------------------------------------------------------------------------
missing=()
for tool in cfssl:golang-cfssl cfssljson:golang-cfssl wrk:wrk openssl:openssl sqlite3:sqlite3 \
    curl:curl python3:python3; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ "$BACKEND" = postgres ]; then
    command -v psql >/dev/null || missing+=(postgresql-client)
fi
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- build -------------------------------------------------------------------------------
log "building certdesk and certdesk-cabench ($PROFILE)"
(cd "$ROOT" && cargo build --profile "${PROFILE/debug/dev}" -q -p certdesk -p certdesk-bench)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
CERTDESK=$TARGET/$PROFILE/certdesk
CABENCH=$TARGET/$PROFILE/certdesk-cabench

# --- workspace and cleanup ---------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certdesk-cabench.XXXXXX")
PIDS=()
PG_DBS=()
cleanup() {
    local pid db
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for db in "${PG_DBS[@]}"; do
        psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'log "failed (line $LINENO): $BASH_COMMAND"' ERR
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() { # url, what
    local i
    for i in $(seq 1 300); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    log "$2 did not answer at $1"; return 1
}

# A fresh certdesk database: a SQLite file, or a database of its own on the PostgreSQL server.
new_database() { # name -> prints the URL
    if [ "$BACKEND" = sqlite ]; then
        mkdir -p "$WORK/$1"
        echo "sqlite://$WORK/$1/certdesk.db?mode=rwc"
    else
        local db="certdesk_cabench_${1}_$$"
        psql -q "$PG_URL" -c "CREATE DATABASE $db" >/dev/null
        PG_DBS+=("$db")
        echo "${PG_URL%/*}/$db"
    fi
}

CERTDESK_CA__PASSPHRASE=$(openssl rand -hex 32)
export CERTDESK_CA__PASSPHRASE CERTDESK_DEMO=false
export RUST_LOG=warn
export CABENCH_LUA=$HERE

# wrk run: prints "requests bad seconds p50 p99 taken" (from report.lua's RESULT line).
run_wrk() { # connections seconds url script [args...]
    local c=$1 s=$2 url=$3 script=$4
    shift 4
    local out
    out=$(wrk -t"$THREADS" -c"$c" -d"${s}s" --timeout 10s -s "$HERE/$script" "$url" -- "$@")
    echo "$out" >>"$WORK/wrk.log"
    echo "$out" | sed -n 's/^RESULT requests=\([0-9]*\) bad=\([0-9]*\) status=[0-9]* seconds=\([0-9.]*\) p50_ms=\([0-9.]*\) p99_ms=\([0-9.]*\) taken=\([0-9]*\)$/\1 \2 \3 \4 \5 \6/p'
}
rate() { # requests bad seconds -> good answers per second
    python3 -c "import sys; r, b, s = map(float, sys.argv[1:]); print(f'{(r - b) / s:.0f}')" "$@"
}

ROWS=()
row() { # case conns ours ours_p50 ours_p99 peer_name peer peer_p50 peer_p99 [ours_bad peer_bad]
    ROWS+=("$(printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s' "$@")")
}

# --- certdesk ------------------------------------------------------------------------------
PUBLIC_PORT=$(free_port)
PUBLIC_URL=http://127.0.0.1:$PUBLIC_PORT
if want issue || want ocsp; then
    DB=$(new_database desk)
    mkdir -p "$WORK/desk"
    cd_args=(--data-dir "$WORK/desk" --database-url "$DB" --public-url "$PUBLIC_URL" --no-demo)
    log "certdesk: ca init ($BACKEND)"
    "$CERTDESK" "${cd_args[@]}" ca init >"$WORK/ca-init.log"

    SECS_PER_CASE=$((SECS + WARMUP))
    # Orders for both connection counts, at up to 14,000 a second (the crypto ceiling on two
    # cores is about 16,000 with nothing else running), plus a margin.
    ORDERS=$(( (SECS_PER_CASE * ${#CONNS[@]} * 14000) + 10000 ))
    want issue || ORDERS=0
    log "certdesk: seeding $ORDERS approved 新办 orders and one P-256 CSR each"
    OP=$("$CABENCH" --database-url "$DB" orders --count "$ORDERS" --bodies "$WORK/bodies.tsv")
    OPERATOR_MOBILE=$(echo "$OP" | awk '/^operator/ {print $2}')
    OPERATOR_PASSWORD=$(echo "$OP" | awk '/^operator/ {print $3}')
    log "certdesk: issuing and revoking the OCSP set through the app"
    "$CABENCH" --database-url "$DB" --public-url "$PUBLIC_URL" ocsp-set --good 50 --revoked 50 \
        --out "$WORK/desk-ocsp"

    "$CERTDESK" "${cd_args[@]}" --listen "127.0.0.1:$PUBLIC_PORT" serve >"$WORK/serve.log" 2>&1 &
    PIDS+=($!)
    wait_http "$PUBLIC_URL/healthz" "certdesk serve"
    curl -sf "$PUBLIC_URL/ca/chain.pem" -o "$WORK/desk-chain.pem"
    curl -sf "$PUBLIC_URL/ca/issuing.crt" | openssl x509 -inform DER -out "$WORK/desk-issuing.pem"
    curl -sf "$PUBLIC_URL/ca/root.crt" | openssl x509 -inform DER -out "$WORK/desk-root.pem"
fi

# --- cfssl ---------------------------------------------------------------------------------
if want issue || want ocsp; then
    mkdir -p "$WORK/cfssl"
    (cd "$WORK/cfssl"
        echo '{"CN":"cfssl bench CA","key":{"algo":"ecdsa","size":256}}' |
            cfssl gencert -initca - 2>/dev/null | cfssljson -bare ca
        echo '{"signing":{"default":{"expiry":"8760h","usages":["digital signature","content commitment"]}}}' >config.json
        sqlite3 certdb.sqlite <"$HERE/cfssl-certdb-sqlite.sql"
        echo "{\"driver\":\"sqlite3\",\"data_source\":\"$WORK/cfssl/certdb.sqlite\"}" >db.json)
    CFSSL_PORT=$(free_port)
    CFSSL_DB_PORT=$(free_port)
    cfssl serve -address 127.0.0.1 -port "$CFSSL_PORT" -loglevel 3 -ca "$WORK/cfssl/ca.pem" \
        -ca-key "$WORK/cfssl/ca-key.pem" -config "$WORK/cfssl/config.json" >"$WORK/cfssl/serve.log" 2>&1 &
    PIDS+=($!)
    cfssl serve -address 127.0.0.1 -port "$CFSSL_DB_PORT" -loglevel 3 -ca "$WORK/cfssl/ca.pem" \
        -ca-key "$WORK/cfssl/ca-key.pem" -config "$WORK/cfssl/config.json" \
        -db-config "$WORK/cfssl/db.json" >"$WORK/cfssl/serve-db.log" 2>&1 &
    PIDS+=($!)
    wait_http "http://127.0.0.1:$CFSSL_PORT/api/v1/cfssl/scan" "cfssl serve"
    wait_http "http://127.0.0.1:$CFSSL_DB_PORT/api/v1/cfssl/scan" "cfssl serve -db-config"
    # cfssl's bodies: the same kind of CSRs, in cfssl's request shape.
    if [ -s "$WORK/bodies.tsv" ]; then
        tail -n 4000 "$WORK/bodies.tsv" | cut -f2 | sed 's/^{"csr":/{"certificate_request":/' \
            >"$WORK/cfssl/bodies.jsonl"
    else
        for i in $(seq 1 150); do
            csr=$(openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
                -subj "/CN=cfssl bench $i" 2>/dev/null | awk '{ printf "%s\\n", $0 }')
            printf '{"certificate_request":"%s"}\n' "$csr"
        done >"$WORK/cfssl/bodies.jsonl"
    fi
fi

# Signs one body with a cfssl serve and writes the certificate (PEM) to a file.
cfssl_sign() { # port body_line out.pem
    echo "$2" | curl -sf -d @- "http://127.0.0.1:$1/api/v1/cfssl/sign" |
        sed -n 's/.*"certificate":"\([^"]*\)".*/\1/p' | sed 's/\\n/\n/g' >"$3"
    grep -q 'BEGIN CERTIFICATE' "$3"
}

# --- issuance ------------------------------------------------------------------------------
if want issue; then
    log "certdesk: signing in the operator"
    TOKEN=$(curl -sf -H 'Content-Type: application/json' \
        -d "{\"mobile\":\"$OPERATOR_MOBILE\",\"password\":\"$OPERATOR_PASSWORD\"}" \
        "$PUBLIC_URL/api/v1/sessions" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
    export CABENCH_TOKEN=$TOKEN CABENCH_BODIES=$WORK/bodies.tsv

    # Check: the first orders produced one by one; each certificate verifies against the chain,
    # and producing the same order again is refused.
    CHECKED=5
    mkdir -p "$WORK/issued"
    for i in $(seq 1 $CHECKED); do
        line=$(sed -n "${i}p" "$WORK/bodies.tsv")
        id=${line%%$'\t'*}
        code=$(echo "${line#*$'\t'}" | curl -s -o "$WORK/issued/$i.json" -w '%{http_code}' \
            -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d @- \
            "$PUBLIC_URL/api/v1/applications/$id/production")
        if [ "$code" != 201 ]; then
            log "production of order $id answered $code: $(cat "$WORK/issued/$i.json")"; exit 1
        fi
        python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["certificate"], end="")' \
            "$WORK/issued/$i.json" >"$WORK/issued/$i.pem"
        openssl verify -CAfile "$WORK/desk-root.pem" -untrusted "$WORK/desk-issuing.pem" \
            "$WORK/issued/$i.pem" >/dev/null
        again=$(echo "${line#*$'\t'}" | curl -s -o /dev/null -w '%{http_code}' \
            -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d @- \
            "$PUBLIC_URL/api/v1/applications/$id/production")
        case "$again" in 4*) ;; *) log "order $id produced twice (answer $again)"; exit 1 ;; esac
    done
    log "certdesk: $CHECKED certificates from the production API pass openssl verify; a second production is refused"
    cfssl_sign "$CFSSL_PORT" "$(head -n1 "$WORK/cfssl/bodies.jsonl")" "$WORK/cfssl/check.pem"
    openssl verify -CAfile "$WORK/cfssl/ca.pem" "$WORK/cfssl/check.pem" >/dev/null
    cfssl_sign "$CFSSL_DB_PORT" "$(head -n1 "$WORK/cfssl/bodies.jsonl")" "$WORK/cfssl/check-db.pem"
    [ "$(sqlite3 "$WORK/cfssl/certdb.sqlite" 'SELECT COUNT(*) FROM certificates')" -ge 1 ] ||
        { log "cfssl stored nothing in its certdb"; exit 1; }

    export CABENCH_CFSSL_BODIES=$WORK/cfssl/bodies.jsonl
    OFFSET=$CHECKED
    PRODUCED=0
    for c in "${CONNS[@]}"; do
        most=$(( (SECS_PER_CASE * 14000 + 2000) / THREADS ))
        for phase in warm timed; do
            s=$SECS; [ $phase = warm ] && s=$WARMUP
            log "issue, $c connections, certdesk ($phase ${s}s)"
            read -r req bad sec p50 p99 taken < <(run_wrk "$c" "$s" "$PUBLIC_URL" issue.lua "$OFFSET" "$THREADS" "$most")
            # Every line a thread took may have been sent; the next run starts after them all.
            OFFSET=$((OFFSET + taken * THREADS))
            PRODUCED=$((PRODUCED + req - bad))
        done
        ours=$(rate "$req" "$bad" "$sec"); ours_bad=$bad; o50=$p50; o99=$p99
        log "issue, $c connections, cfssl serve"
        run_wrk "$c" "$WARMUP" "http://127.0.0.1:$CFSSL_PORT" cfssl_sign.lua >/dev/null
        read -r req bad sec p50 p99 _ < <(run_wrk "$c" "$SECS" "http://127.0.0.1:$CFSSL_PORT" cfssl_sign.lua)
        row "issue" "$c" "$ours" "$o50" "$o99" "cfssl serve (stores nothing)" "$(rate "$req" "$bad" "$sec")" "$p50" "$p99" "$ours_bad" "$bad"
        log "issue, $c connections, cfssl serve -db-config (SQLite)"
        read -r req bad sec p50 p99 _ < <(run_wrk "$c" "$SECS" "http://127.0.0.1:$CFSSL_DB_PORT" cfssl_sign.lua)
        row "issue" "$c" "$ours" "$o50" "$o99" "cfssl serve + SQLite certdb" "$(rate "$req" "$bad" "$sec")" "$p50" "$p99" "$ours_bad" "$bad"
    done
    STORED=$("$CABENCH" --database-url "$DB" count)
    # The OCSP set (100) and the checked orders are recorded too.
    log "certdesk recorded $STORED certificates; 201 answers counted by wrk: $((PRODUCED)) (+ $CHECKED checked + 100 OCSP set)"
    if [ "$STORED" -lt $((PRODUCED + CHECKED + 100)) ]; then
        log "fewer certificates recorded than answered 201"; exit 1
    fi
fi

# --- OCSP ----------------------------------------------------------------------------------
# One line per request: "<GET path>\t<DER as hex>", for good, revoked and unknown serials.
ocsp_lines() { # issuer.pem get_prefix serials_file... ; appends to stdout
    local issuer=$1 prefix=$2
    shift 2
    local serial b64
    cat "$@" | while read -r serial; do
        openssl ocsp -issuer "$issuer" -serial "0x$serial" -no_nonce -reqout "$WORK/req.der" >/dev/null
        b64=$(base64 -w0 "$WORK/req.der")
        printf '%s%s\t%s\n' "$prefix" "$(echo "$b64" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')" \
            "$(od -An -v -tx1 "$WORK/req.der" | tr -d ' \n')"
    done
}

if want ocsp; then
    for _ in $(seq 1 50); do openssl rand -hex 16 | tr a-f A-F; done >"$WORK/unknown.txt"
    ocsp_lines "$WORK/desk-issuing.pem" /ocsp/ "$WORK/desk-ocsp/good.txt" "$WORK/desk-ocsp/revoked.txt" \
        "$WORK/unknown.txt" >"$WORK/desk-ocsp.tsv"

    # cfssl: 100 certificates signed by its serve, 50 of them revoked, responses signed ahead.
    mkdir -p "$WORK/cfssl/ocsp"
    : >"$WORK/cfssl/good.txt"; : >"$WORK/cfssl/revoked.txt"; : >"$WORK/cfssl/responses.b64"
    for i in $(seq 1 100); do
        pem=$WORK/cfssl/ocsp/$i.pem
        cfssl_sign "$CFSSL_PORT" "$(sed -n "${i}p" "$WORK/cfssl/bodies.jsonl")" "$pem"
        serial=$(openssl x509 -in "$pem" -noout -serial | cut -d= -f2)
        if [ "$i" -le 50 ]; then status=(-status good); list=good
        else status=(-status revoked -reason 1); list=revoked; fi
        echo "$serial" >>"$WORK/cfssl/$list.txt"
        cfssl ocspsign -ca "$WORK/cfssl/ca.pem" -responder "$WORK/cfssl/ca.pem" \
            -responder-key "$WORK/cfssl/ca-key.pem" -cert "$pem" "${status[@]}" 2>/dev/null |
            sed -n 's/.*"ocspResponse":"\([^"]*\)".*/\1/p' >>"$WORK/cfssl/responses.b64"
    done
    # cfssl 1.2.0's GET handler unescapes the path once more, so its base64 is escaped twice.
    ocsp_lines "$WORK/cfssl/ca.pem" / "$WORK/cfssl/good.txt" "$WORK/cfssl/revoked.txt" "$WORK/unknown.txt" |
        awk -F'\t' -v OFS='\t' '{ gsub(/%/, "%25", $1); print }' >"$WORK/cfssl-ocsp.tsv"
    OCSP_PORT=$(free_port)
    cfssl ocspserve -address 127.0.0.1 -port "$OCSP_PORT" -loglevel 3 \
        -responses "$WORK/cfssl/responses.b64" >"$WORK/cfssl/ocspserve.log" 2>&1 &
    PIDS+=($!)
    wait_http "http://127.0.0.1:$OCSP_PORT/" "cfssl ocspserve"

    # Check the answers with openssl (responses signed by the delegated responder / the CA).
    g=$(head -n1 "$WORK/desk-ocsp/good.txt"); r=$(head -n1 "$WORK/desk-ocsp/revoked.txt"); u=$(head -n1 "$WORK/unknown.txt")
    for pair in "good:$g" "revoked:$r" "unknown:$u"; do
        expected=${pair%%:*}; serial=${pair#*:}
        out=$(openssl ocsp -issuer "$WORK/desk-issuing.pem" -CAfile "$WORK/desk-root.pem" \
            -verify_other "$WORK/desk-issuing.pem" -serial "0x$serial" -url "$PUBLIC_URL/ocsp" -no_nonce 2>&1 || true)
        got=$(echo "$out" | sed -n "s/^0x$serial: \([a-z]*\).*/\1/p")
        [ "$got" = "$expected" ] || { log "certdesk OCSP for $serial: '$got', expected $expected: $out"; exit 1; }
    done
    # The GET form answers the same.
    line=$(head -n1 "$WORK/desk-ocsp.tsv")
    curl -sf -o "$WORK/get.der" "$PUBLIC_URL${line%%$'\t'*}"
    out=$(openssl ocsp -respin "$WORK/get.der" -issuer "$WORK/desk-issuing.pem" -CAfile "$WORK/desk-root.pem" \
        -verify_other "$WORK/desk-issuing.pem" -serial "0x$g" 2>&1 || true)
    [[ "$out" == *"Response verify OK"*"0x$g: good"* ]] ||
        { log "certdesk OCSP GET did not answer good: $out"; exit 1; }
    g=$(head -n1 "$WORK/cfssl/good.txt"); r=$(head -n1 "$WORK/cfssl/revoked.txt")
    for pair in "good:$g" "revoked:$r"; do
        expected=${pair%%:*}; serial=${pair#*:}
        out=$(openssl ocsp -issuer "$WORK/cfssl/ca.pem" -CAfile "$WORK/cfssl/ca.pem" -serial "0x$serial" \
            -url "http://127.0.0.1:$OCSP_PORT/" -no_nonce 2>&1 || true)
        got=$(echo "$out" | sed -n "s/^0x$serial: \([a-z]*\).*/\1/p")
        [ "$got" = "$expected" ] || { log "cfssl OCSP for $serial: '$got', expected $expected: $out"; exit 1; }
    done
    line=$(head -n1 "$WORK/cfssl-ocsp.tsv")
    CFSSL_GET_CODE=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OCSP_PORT${line%%$'\t'*}")
    log "OCSP answers check out with openssl (certdesk good/revoked/unknown, GET and POST; cfssl good/revoked; cfssl GET answers $CFSSL_GET_CODE)"

    declare -A CFSSL_POST
    for method in POST GET; do
        for c in "${CONNS[@]}"; do
            log "ocsp $method, $c connections, certdesk"
            export CABENCH_OCSP=$WORK/desk-ocsp.tsv
            run_wrk "$c" "$WARMUP" "$PUBLIC_URL" ocsp.lua "$method" /ocsp >/dev/null
            read -r req bad sec o50 o99 _ < <(run_wrk "$c" "$SECS" "$PUBLIC_URL" ocsp.lua "$method" /ocsp)
            ours=$(rate "$req" "$bad" "$sec"); ours_bad=$bad
            log "ocsp $method, $c connections, cfssl ocspserve"
            export CABENCH_OCSP=$WORK/cfssl-ocsp.tsv
            run_wrk "$c" "$WARMUP" "http://127.0.0.1:$OCSP_PORT" ocsp.lua "$method" / >/dev/null
            read -r req bad sec p50 p99 _ < <(run_wrk "$c" "$SECS" "http://127.0.0.1:$OCSP_PORT" ocsp.lua "$method" /)
            theirs=$(rate "$req" "$bad" "$sec")
            peer="cfssl ocspserve"
            if [ "$method" = POST ]; then
                CFSSL_POST[$c]="$theirs $p50 $p99"
            elif [ "$theirs" = 0 ]; then
                # cfssl 1.2.0 answers every GET with 400 (see the note under the table).
                peer="cfssl ocspserve, its POST (*)"
                read -r theirs p50 p99 <<<"${CFSSL_POST[$c]}"
                bad=0
            fi
            row "ocsp $method" "$c" "$ours" "$o50" "$o99" "$peer" "$theirs" "$p50" "$p99" "$ours_bad" "$bad"
        done
    done
fi

# The servers are not needed any more: stop them before the CRL runs.
for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
PIDS=()

# --- CRL -----------------------------------------------------------------------------------
if want crl; then
    CRL_DB=$(new_database crl)
    mkdir -p "$WORK/crl"
    "$CERTDESK" --data-dir "$WORK/crl" --database-url "$CRL_DB" --public-url "$PUBLIC_URL" --no-demo \
        ca init >"$WORK/crl/ca-init.log"
    log "certdesk: seeding $CRL_N revoked certificates, then publishing the CRL through the app (3 times)"
    "$CABENCH" --database-url "$CRL_DB" --public-url "$PUBLIC_URL" crl --revoked "$CRL_N" --repeat 3 \
        --out "$WORK/crl/crl.der" --chain "$WORK/crl/chain.pem" | tee "$WORK/crl/times.txt" >&2
    entries=$(sed -n 's/^crl entries=//p' "$WORK/crl/times.txt")
    [ "$entries" = "$CRL_N" ] || { log "the CRL lists $entries entries, not $CRL_N"; exit 1; }
    openssl crl -inform DER -in "$WORK/crl/crl.der" -CAfile "$WORK/crl/chain.pem" -noout 2>&1 |
        grep -q "verify OK" || { log "openssl crl -verify failed"; exit 1; }
    # The best of the runs after the first (which also reads the rows from disk), and the first.
    desk_first=$(sed -n 's/^crl number=[0-9]* seconds=\([0-9.]*\).*/\1/p' "$WORK/crl/times.txt" | head -n1)
    desk_best=$(sed -n 's/^crl number=[0-9]* seconds=\([0-9.]*\).*/\1/p' "$WORK/crl/times.txt" | sort -n | head -n1)

    log "openssl: ca -gencrl over an index of $OPENSSL_CRL_N revoked entries"
    O=$WORK/openssl
    mkdir -p "$O"
    openssl ecparam -name prime256v1 -genkey -noout -out "$O/ca.key" 2>/dev/null
    openssl req -new -x509 -key "$O/ca.key" -subj "/CN=openssl bench CA" -days 3650 -out "$O/ca.pem" 2>/dev/null
    awk -v n="$OPENSSL_CRL_N" 'BEGIN {
        srand(1);
        reasons[0] = "keyCompromise"; reasons[1] = "superseded"; reasons[2] = "cessationOfOperation"; reasons[3] = "affiliationChanged";
        for (i = 0; i < n; i++)
            printf "R\t301231000000Z\t260101000000Z,%s\t%08X%08X%08X\tunknown\t/CN=revoked %d\n",
                reasons[i % 4], int(rand() * 4294967295), int(rand() * 4294967295), i, i;
    }' >"$O/index.txt"
    echo 1000 >"$O/crlnumber"
    cat >"$O/ca.cnf" <<EOF
[ca]
default_ca = bench
[bench]
dir = $O
database = $O/index.txt
crlnumber = $O/crlnumber
certificate = $O/ca.pem
private_key = $O/ca.key
default_md = sha256
default_crl_days = 7
unique_subject = no
EOF
    o_times=()
    for i in 1 2 3; do
        t0=$(date +%s.%N)
        openssl ca -gencrl -config "$O/ca.cnf" -out "$O/crl.pem" -batch 2>"$O/gencrl.log"
        t1=$(date +%s.%N)
        o_times+=("$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$t0" "$t1")")
    done
    o_entries=$(openssl crl -in "$O/crl.pem" -noout -text | grep -c 'Serial Number:')
    [ "$o_entries" = "$OPENSSL_CRL_N" ] || { log "openssl's CRL lists $o_entries entries"; exit 1; }
    o_best=$(printf '%s\n' "${o_times[@]}" | sort -n | head -n1)
fi

# --- the table -----------------------------------------------------------------------------
echo
echo "certdesk vs peers on $(nproc) cores, backend $BACKEND, ${SECS}s per case after ${WARMUP}s warm-up, wrk -t$THREADS"
printf '%-10s %5s %12s %-30s %12s %7s   %-17s %-17s\n' case conns certdesk/s peer peer/s ratio "certdesk p50/p99" "peer p50/p99"
for r in "${ROWS[@]}"; do
    IFS='|' read -r name c ours o50 o99 peer theirs p50 p99 obad pbad <<<"$r"
    ratio=$(python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'{a / b:.2f}x' if b else 'n/a')" "$ours" "$theirs")
    note=""
    [ "${obad:-0}" != 0 ] && note+=" (certdesk: $obad bad answers)"
    [ "${pbad:-0}" != 0 ] && note+=" (peer: $pbad bad answers)"
    printf '%-10s %5s %12s %-30s %12s %7s   %-17s %-17s%s\n' "$name" "$c" "$ours" "$peer" "$theirs" "$ratio" \
        "$o50/$o99 ms" "$p50/$p99 ms" "$note"
done
if want ocsp && [ "${CFSSL_GET_CODE:-}" != 200 ]; then
    echo "(*) cfssl 1.2.0's ocspserve answers $CFSSL_GET_CODE to every GET: it base64-decodes the URL path with its leading '/'. Its POST figure stands in."
fi
if want crl; then
    python3 - "$CRL_N" "$desk_best" "$desk_first" "$OPENSSL_CRL_N" "$o_best" <<'EOF'
import sys
n, best, first, on, obest = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
print(f"{'crl':<10} certdesk: {n:,} entries in {best:.2f} s (first run {first:.2f} s), {n / best:,.0f} entries/s;"
      f" openssl ca -gencrl: {on:,} entries in {obest:.2f} s, {on / obest:,.0f} entries/s;"
      f" ratio (entries/s) {(n / best) / (on / obest):.2f}x")
EOF
fi
