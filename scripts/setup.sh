#!/usr/bin/env bash
# Set everything up: Python dependencies, the connectors and sandbox packages,
# PostgreSQL started with a role for this user, and a database "$OMNI_DB" with
# the addons installed. Safe to run again.
source "$(dirname "$0")/_common.sh"
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
