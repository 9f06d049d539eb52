#!/usr/bin/env bash
# Installs what certdesk's tests need, then runs the whole suite twice:
# on SQLite and on PostgreSQL (the server at 127.0.0.1:5432, or a throwaway one).
#   CERTDESK_TEST_POSTGRES_URL  PostgreSQL admin URL (default postgres://postgres@127.0.0.1:5432/postgres)
#   CERTDESK_SKIP_BROWSER=1     skip the headless-Chromium tests (not in CI)
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    echo "==> installing Debian packages: $*"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. Debian packages for the browser tests: Chromium, its driver, and CJK fonts.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ -d /usr/share/fonts/opentype/noto ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk fontconfig)
# SoftHSM2, the PKCS#11 token the pki tests keep CA keys in and the token crate and `certdesk token` tests use as a USB key.
[ -f /usr/lib/softhsm/libsofthsm2.so ] && command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi

# 1b. moto, the S3 server the blob store's tests start (as `python3 -m moto.server`, so the
# pip script folder need not be on PATH). A Debian python3 refuses plain pip installs: --user then.
if ! python3 -c 'import moto.server' >/dev/null 2>&1; then
    echo "==> installing moto (S3 server for the blob store tests)"
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    python3 -m pip install --quiet 'moto[server]' 2>/dev/null \
        || python3 -m pip install --quiet --user --break-system-packages 'moto[server]'
    python3 -c 'import moto.server'
fi

# 1c. pkilint, the RFC 5280 linter the pki crate's tests run on certificates, CRLs and OCSP responses.
if ! command -v lint_pkix_cert >/dev/null 2>&1; then
    echo "==> installing pkilint (certificate linter for the pki tests)"
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    python3 -m pip install --quiet pkilint 2>/dev/null \
        || python3 -m pip install --quiet --user --break-system-packages pkilint
    export PATH="$HOME/.local/bin:$PATH"
    command -v lint_pkix_cert >/dev/null
fi

# 2. PostgreSQL: the one at 127.0.0.1:5432 if it answers, else a throwaway cluster.
pg_reachable() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
throwaway=""
cleanup() {
    if [ -n "$throwaway" ]; then
        as_root runuser -u postgres -- "$pg_bin/pg_ctl" -D "$throwaway" -m immediate stop >/dev/null 2>&1 || true
        as_root rm -rf "$throwaway"
    fi
}
trap cleanup EXIT
if [ -z "${CERTDESK_TEST_POSTGRES_URL:-}" ]; then
    if pg_reachable 127.0.0.1 5432; then
        export CERTDESK_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
    else
        echo "==> no PostgreSQL at 127.0.0.1:5432: starting a throwaway one on port 55432"
        ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
        pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
        throwaway=$(mktemp -d /tmp/certdesk-pg.XXXXXX)
        as_root chown postgres "$throwaway"
        as_root runuser -u postgres -- "$pg_bin/initdb" -D "$throwaway" -U postgres --auth=trust >/dev/null
        as_root runuser -u postgres -- "$pg_bin/pg_ctl" -D "$throwaway" -w -l "$throwaway/log" \
            -o "-p 55432 -k $throwaway -c listen_addresses=127.0.0.1" start >/dev/null
        export CERTDESK_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:55432/postgres"
    fi
fi

# 3. The suite, once per backend. Each test makes (and drops) its own database.
echo "==> tests on SQLite"
CERTDESK_TEST_DATABASE=sqlite cargo test --workspace --all-targets --locked
echo "==> tests on PostgreSQL ($CERTDESK_TEST_POSTGRES_URL)"
CERTDESK_TEST_DATABASE=postgres cargo test --workspace --all-targets --locked
echo "==> all tests passed on SQLite and PostgreSQL"
