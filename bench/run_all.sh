#!/usr/bin/env bash
# Run every benchmark in sequence, each on a database of its own created here
# and dropped at the end; print each JSON result and keep it in
# bench/results/<name>.json (git-ignored).
#
#   bench/run_all.sh                      # all three
#   bench/run_all.sh stock_propagation    # some of them
#   BENCH_ARGS_stock_propagation="--events 50" bench/run_all.sh stock_propagation
#   BENCH_QUICK=1 bench/run_all.sh        # smoke variant: oversell_storm compressed 10x,
#                                         # one period (about 2 minutes, not the measurement)
#
# By default oversell_storm is the real measurement: compression 2, two 15-minute
# baseline periods, i.e. about 16 minutes of its own.
#
# Environment: PYTHON (default python3), ODOO_ADDONS_PATH (default: derived from
# odoo.__file__), OMNI_BENCH_TEMPLATE (template database, default omni_tpl when it
# exists), the usual libpq variables (PGHOST, PGUSER, ...).
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
PYTHON="${PYTHON:-python3}"
TEMPLATE="${OMNI_BENCH_TEMPLATE:-omni_tpl}"
RESULTS="$BENCH/results"
mkdir -p "$RESULTS"
export PYTHON

addons_path() {
    if [ -n "${ODOO_ADDONS_PATH:-}" ]; then echo "$ODOO_ADDONS_PATH"; return; fi
    local odoo_root path="$ROOT/addons"
    odoo_root="$("$PYTHON" -c "import os, odoo; print(os.path.dirname(os.path.dirname(odoo.__file__)))")"
    [ -d "$odoo_root/addons" ] && path="$path,$odoo_root/addons"
    [ -d "$odoo_root/odoo/addons" ] && path="$path,$odoo_root/odoo/addons"
    echo "$path"
}

DATA_DIR="${ODOO_DATA_DIR:-$HOME/.local/share/Odoo}"
CREATED=()
drop_db() {
    dropdb --if-exists --force "$1" >/dev/null 2>&1 || true
    rm -rf "${DATA_DIR:?}/filestore/$1"
}
cleanup() {
    for db in "${CREATED[@]}"; do drop_db "$db"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

new_db() {
    local db="$1"
    drop_db "$db"
    if psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$TEMPLATE'" | grep -q 1; then
        createdb -T "$TEMPLATE" "$db"
    else
        createdb "$db"
    fi
    CREATED+=("$db")
    "$PYTHON" -m odoo -d "$db" --addons-path="$(addons_path)" -i omni_channel_base \
        --stop-after-init --without-demo=all --log-level=warn >&2
}

NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(stock_propagation stock_burst planning_cost oversell_storm)
status=0
for name in "${NAMES[@]}"; do
    [ -f "$BENCH/$name.py" ] || { echo "no benchmark $name" >&2; exit 2; }
    db="omni_bench_${name}_$$"
    echo "== $name (database $db)" >&2
    new_db "$db"
    extra_var="BENCH_ARGS_$name"
    quick=""
    if [ -n "${BENCH_QUICK:-}" ] && [ "$name" = oversell_storm ]; then
        quick="--compression 10 --periods 1"
        echo "BENCH_QUICK: smoke variant ($quick), not the reference measurement" >&2
    fi
    start=$(date +%s)
    # shellcheck disable=SC2086
    if "$PYTHON" "$BENCH/$name.py" --db "$db" $quick ${!extra_var:-} >"$RESULTS/$name.json.tmp"; then
        mv "$RESULTS/$name.json.tmp" "$RESULTS/$name.json"
        cat "$RESULTS/$name.json"
    else
        echo "$name failed (see above); no result written" >&2
        rm -f "$RESULTS/$name.json.tmp"
        status=1
    fi
    echo "== $name took $(( $(date +%s) - start ))s" >&2
    drop_db "$db"
done
exit $status
