# Shared by scripts/setup.sh and scripts/test.sh: find the Python that runs
# Odoo, the addons path and PostgreSQL. Sourced, not executed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
    for candidate in "$ROOT/.venv/bin/python" python3; do
        if command -v "$candidate" >/dev/null 2>&1; then PYTHON="$candidate"; break; fi
    done
fi
OMNI_DB="${OMNI_DB:-omni}"

die() { echo "ERROR: $*" >&2; exit 1; }

odoo_importable() {
    "$PYTHON" -c "import odoo.release as r, sys; sys.exit(0 if r.version_info[0] == 18 else 1)" \
        >/dev/null 2>&1
}

require_odoo() {
    if ! odoo_importable; then
        die "Odoo 18.0 is not importable by $PYTHON. Install an Odoo 18.0 Community tree for this Python first (README, Prerequisites), or set PYTHON=/path/to/python."
    fi
}

addons_path() {
    # the project's addons, then Odoo's own ("addons/" beside the odoo package in a
    # source tree); queue_job installs into the odoo.addons namespace by itself
    local odoo_root
    odoo_root="$("$PYTHON" -c "import os, odoo; print(os.path.dirname(os.path.dirname(odoo.__file__)))")"
    local path="$ROOT/addons"
    [ -d "$odoo_root/addons" ] && path="$path,$odoo_root/addons"
    [ -d "$odoo_root/odoo/addons" ] && path="$path,$odoo_root/odoo/addons"
    echo "${ODOO_ADDONS_PATH:-$path}"
}

start_postgres() {
    if pg_isready -q 2>/dev/null; then return 0; fi
    command -v pg_ctlcluster >/dev/null 2>&1 || die "PostgreSQL 13+ is not installed (apt-get install postgresql)."
    local cluster
    cluster="$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1" "$2}')"
    [ -n "$cluster" ] || die "No PostgreSQL cluster found (pg_lsclusters is empty)."
    # shellcheck disable=SC2086
    pg_ctlcluster $cluster start
    for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
    pg_isready -q || die "PostgreSQL did not start."
}

ensure_role() {
    local user
    user="$(id -un)"
    if ! psql -d postgres -Atc "select 1" >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ]; then
            su postgres -c "createuser --superuser $user" 2>/dev/null || true
        else
            sudo -u postgres createuser --superuser "$user" 2>/dev/null || true
        fi
    fi
    psql -d postgres -Atc "select 1" >/dev/null 2>&1 || die "Cannot connect to PostgreSQL as $user."
}

odoo_bin() {
    "$PYTHON" -m odoo "$@"
}
