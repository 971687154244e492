#!/usr/bin/env bash
# Set everything up: Odoo made importable from its source tree when it is not
# yet, Python dependencies, the connectors and sandbox packages, PostgreSQL
# started with a role for this user, and a database "$OMNI_DB" with the addons
# installed. Safe to run again.
#
#   scripts/setup.sh                      # Odoo 18.0 already importable
#   ODOO_SRC=~/src/odoo scripts/setup.sh  # or: scripts/setup.sh ~/src/odoo
source "$(dirname "$0")/_common.sh"
ODOO_SRC="${1:-${ODOO_SRC:-}}"
if ! odoo_importable; then
    [ -n "$ODOO_SRC" ] || die "Odoo 18.0 is not importable by $PYTHON. Get its source (git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo) and run: ODOO_SRC=/path/to/odoo scripts/setup.sh"
    [ -f "$ODOO_SRC/odoo/release.py" ] && [ -f "$ODOO_SRC/requirements.txt" ] \
        || die "$ODOO_SRC is not an Odoo source tree (no odoo/release.py or requirements.txt)."
    grep -q "^version_info = (18, 0" "$ODOO_SRC/odoo/release.py" \
        || die "$ODOO_SRC is not Odoo 18.0 (see $ODOO_SRC/odoo/release.py)."
    echo "== Odoo's Python requirements, for $("$PYTHON" -V)"
    req="$(mktemp)"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check packaging
    "$PYTHON" "$ROOT/scripts/odoo_requirements.py" "$ODOO_SRC/requirements.txt" >"$req"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$req"
    rm -f "$req"
    echo "== Odoo registered from $ODOO_SRC (editable)"
    # "compat" mode: the OCA wheels' odoo/addons namespace folder must not hide it
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps \
        -e "$ODOO_SRC" --config-settings editable_mode=compat
fi
require_odoo
echo "== Python dependencies ($PYTHON)"
"$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt"
echo "== PostgreSQL"
start_postgres
ensure_role
echo "== Database $OMNI_DB"
dropdb --if-exists "$OMNI_DB"
ADDONS=$(ls -d "$ROOT"/addons/*/__manifest__.py | xargs -n1 dirname | xargs -n1 basename | paste -sd, -)
odoo_bin -d "$OMNI_DB" --addons-path="$(addons_path)" -i "$ADDONS" \
    --without-demo=all --stop-after-init --log-level=warn
echo "Ready: database $OMNI_DB. Run Odoo with: $PYTHON -m odoo -c odoo.conf (see odoo.conf.example)"
