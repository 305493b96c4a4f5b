#!/usr/bin/env bash
# Reproduce "Exception-Less System Calls for Event-Driven Servers" (USENIX ATC 2011).
#
#   ./reproduce.sh [OPTIONS]      every notebook (calibration first), then results/REPORT.md,
#                                 results/appendix.md and results/report.html
#       --quick                   small grids, fewer seeds
#       --seeds N                 replicates per point (default: each experiment's)
#       --executor serial|process|dask   where sweep points run (default: process)
#       --scheduler ADDR          a dask scheduler (tcp://host:8786); only with --executor dask
#       --out DIR                 results directory (default: results/)
#       --only NB [NB ...]        only these notebooks (e.g. --only fig05 scorecard)
#       --force                   re-run notebooks even if unchanged (sweep points still cached)
#       --jobs N                  notebooks executed at a time (default 2); every sweep point
#                                 is computed first, in one pool across all cores
#       --no-report               skip the report
#   ./reproduce.sh test [ARGS]    the test suite (pytest ARGS)
#   ./reproduce.sh lab            JupyterLab on notebooks/
#   ./reproduce.sh variant NOTEBOOK -p NAME VALUE [-p NAME VALUE ...]
#                                 one notebook with other parameters, into results/variants/
#   ./reproduce.sh env            only set up the environment
#   ./reproduce.sh live           real nginx and memcached on 127.0.0.1 under strace, beside
#                                 the model's syscall mix -> results/live/ (Debian packages)
#
# The environment is made on first use: with conda/micromamba from environment.yml when
# one is on PATH, else `python3 -m venv .venv` + pip with the pins of pyproject.toml; it is
# reused afterwards and reinstalled only when pyproject.toml or environment.yml change.
# FLEXREPRO_PYTHON=/path/to/python skips the set-up and uses that interpreter.
# Sweep points are cached as they finish (.cache/flexrepro/), so an interrupted run
# resumes where it stopped. The work itself lives in flexrepro/pipeline/ (command line: flexrepro/cli.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
ENV_DIR=$ROOT/.venv
STAMP=$ENV_DIR/.flexrepro-stamp

log() { printf 'reproduce.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

wanted_stamp() { cat pyproject.toml environment.yml | sha256sum | cut -d' ' -f1; }

conda_tool() {
    local t
    for t in micromamba mamba conda; do
        if command -v "$t" >/dev/null 2>&1; then echo "$t"; return 0; fi
    done
    return 1
}

bootstrap_python() {  # python3 if it is >= 3.11, else the first such python3.X on PATH
    local p
    for p in python3 python3.13 python3.12 python3.11; do
        if "$p" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
            echo "$p"; return 0
        fi
    done
    return 1
}

setup_env() {
    if [[ -n "${FLEXREPRO_PYTHON:-}" ]]; then PY=$FLEXREPRO_PYTHON; return 0; fi
    PY=$ENV_DIR/bin/python
    local want tool
    want=$(wanted_stamp)
    if [[ -x $PY && -f $STAMP && "$(cat "$STAMP")" == "$want" &&
          -f $ENV_DIR/share/jupyter/kernels/python3/kernel.json ]]; then return 0; fi
    if [[ ! -x $PY ]]; then
        if tool=$(conda_tool); then
            log "creating the conda environment in .venv with $tool (first run: a few minutes)"
            if [[ $tool == micromamba ]]; then
                micromamba create -y -q -p "$ENV_DIR" -f environment.yml
            else
                "$tool" env create -q -p "$ENV_DIR" -f environment.yml
            fi
        else
            local py
            py=$(bootstrap_python) || die "python >= 3.11 is needed (or conda/micromamba on PATH)"
            log "creating .venv with $py (first run: a few minutes)"
            "$py" -m venv "$ENV_DIR"
        fi
    else
        log "pyproject.toml or environment.yml changed: updating .venv"
    fi
    if [[ -d $ENV_DIR/conda-meta ]]; then
        # conda installed the pinned set from environment.yml; pip adds only the package.
        "$PY" -m pip install -q -e . --no-deps
    else
        "$PY" -m pip install -q -e '.[test,dask]'
    fi
    # papermill looks the kernel up by name; register the env's own python as "python3".
    "$PY" -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (flexrepro)" >/dev/null
    echo "$want" > "$STAMP"
    log "environment ready: $PY"
}

ensure_chromium() {  # the report's headless-browser test needs Debian's chromium
    command -v chromium >/dev/null 2>&1 && return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing chromium with apt-get (for the report's browser test)"
        local aptlog
        aptlog=$(mktemp)
        if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$aptlog" 2>&1; then
            rm -f "$aptlog"; return 0
        fi
        log "warning: could not install chromium (see $aptlog); the browser test will be skipped"
    else
        log "warning: chromium not found and not root; the browser test will be skipped"
    fi
}

LIVE_PACKAGES=(nginx-light apache2-utils memcached libmemcached-tools strace)
LIVE_EXES=(nginx ab memcached memcaslap strace)

ensure_live_packages() {  # the live check's servers, clients and strace (Debian packages)
    local i missing=()
    for i in "${!LIVE_EXES[@]}"; do
        command -v "${LIVE_EXES[$i]}" >/dev/null 2>&1 || missing+=("${LIVE_PACKAGES[$i]}")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing ${missing[*]} with apt-get (for the live check)"
        local aptlog
        aptlog=$(mktemp)
        # policy-rc.d 101: install the servers without starting their system services
        local rc=/usr/sbin/policy-rc.d had_rc=0
        [[ -e $rc ]] && had_rc=1
        [[ $had_rc -eq 0 ]] && printf '#!/bin/sh\nexit 101\n' > "$rc" && chmod +x "$rc"
        if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >"$aptlog" 2>&1; then
            rm -f "$aptlog"; [[ $had_rc -eq 0 ]] && rm -f "$rc"; return 0
        fi
        [[ $had_rc -eq 0 ]] && rm -f "$rc"
        log "warning: could not install ${missing[*]} (see $aptlog); the live tests will be skipped"
    else
        log "warning: live check needs Debian packages: ${missing[*]} (as root: apt-get install ${missing[*]}); the live tests will be skipped"
    fi
}

run_live() {
    local w rc=0
    for w in "nginx ab" "nginx ab-keepalive" "memcached memaslap"; do   # = flexrepro.live.CHECKS
        set -- $w
        "$PY" -m flexrepro live "$1" --workload "$2" || rc=$?
    done
    return $rc
}

run_tests() {
    local par=()
    if "$PY" -c 'import xdist' 2>/dev/null; then par=(-n 2); fi
    local rc=0
    "$PY" -m pytest "${par[@]}" "$@" || rc=$?
    if [[ $rc -eq 5 ]]; then log "error: pytest collected no tests"; fi
    return $rc
}

case "${1:-}" in
    test)  shift; setup_env; ensure_chromium; ensure_live_packages; run_tests "$@" ;;
    live)  shift; setup_env; ensure_live_packages; run_live ;;
    lab)   shift; setup_env
           root=(); [[ $(id -u) -eq 0 ]] && root=(--allow-root)
           exec "$PY" -m jupyter lab --notebook-dir="$ROOT/notebooks" "${root[@]}" "$@" ;;
    variant) shift; setup_env; exec "$PY" -m flexrepro variant "$@" ;;
    env)   setup_env ;;
    -h|--help|help) usage ;;
    ""|-*) setup_env; exec "$PY" -m flexrepro.pipeline "$@" ;;
    *)     usage >&2; die "unknown command '$1'" ;;
esac
