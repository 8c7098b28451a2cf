# Shared by scripts/run, scripts/test and the benchmarks: caches that live outside the
# clone, idempotent installation of Debian packages and Python virtualenvs.
# shellcheck shell=bash

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export REPO_ROOT
# Caches survive fresh clones on the same machine; a new machine rebuilds them.
export SAHARA_CACHE_DIR=${SAHARA_CACHE_DIR:-/var/cache/sahara-rs}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$SAHARA_CACHE_DIR/target}
export PIP_CACHE_DIR=${PIP_CACHE_DIR:-$SAHARA_CACHE_DIR/pip}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
mkdir -p "$SAHARA_CACHE_DIR"

log() { printf '==> %s\n' "$*" >&2; }

# Installs the Debian packages the build and the tests need, when missing.
ensure_packages() {
    # The second line is the test cloud's: instances are namespaces running sshd, with
    # sudo for the login user; routers NAT with iptables; Swift needs memcached and xattrs.
    # wrk is the HTTP load generator of bench/api.
    local wanted=(pkg-config libssl-dev libsqlite3-dev libmariadb-dev libmariadb-dev-compat mold
                  python3 python3-venv iproute2 procps curl mariadb-client
                  openssh-server openssh-client sudo netcat-openbsd memcached iptables attr util-linux e2fsprogs
                  wrk)
    local missing=()
    for p in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    # python3 may come from elsewhere (pyenv); only ask apt for it when none works.
    if command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; then
        local filtered=()
        for p in "${missing[@]}"; do [[ $p == python3 || $p == python3-venv ]] || filtered+=("$p"); done
        missing=("${filtered[@]}")
    fi
    if ((${#missing[@]})); then
        log "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # Packages must not start system services (sshd, memcached): the test cloud runs
        # its own. A policy-rc.d of ours says no while apt runs, unless one exists already.
        local policy=/usr/sbin/policy-rc.d ours=""
        if [[ ! -e $policy ]]; then
            printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; ours=1
        fi
        apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
            apt-get update -q >/dev/null
            apt-get install -y -q "${missing[@]}" >/dev/null
        } || { if [[ -n $ours ]]; then rm -f "$policy"; fi; return 1; }
        if [[ -n $ours ]]; then rm -f "$policy"; fi
    fi
}

# ensure_venv NAME REQUIREMENTS_FILE -> prints the virtualenv's path. The venv is keyed
# on the requirements' content, so a changed pin builds a new one next to the old.
ensure_venv() {
    local name=$1 req=$2
    local key
    key=$(sha256sum "$req" | cut -c1-12)
    local dir="$SAHARA_CACHE_DIR/venv-$name-$key"
    if [[ ! -x $dir/bin/python || ! -f $dir/.complete ]]; then
        log "creating virtualenv $dir from $req"
        rm -rf "$dir"
        python3 -m venv "$dir" >&2
        "$dir/bin/pip" install -q --upgrade pip >&2
        "$dir/bin/pip" install -q -r "$req" >&2
        touch "$dir/.complete"
    fi
    printf '%s\n' "$dir"
}

# Fails with a clear message when a service the tests rely on is down.
require_service() {
    local name=$1 port=$2 hint=$3
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "error: $name is not listening on 127.0.0.1:$port (start it with: $hint)" >&2
        return 1
    fi
}
