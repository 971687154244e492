#!/usr/bin/env bash
# The demo: omni on the simulators, with buyers ordering now and then.
#   scripts/demo.sh [--reset] [--port 8069] [--no-buyers] [--rozetka-port N ...]
# Builds (or reuses) the database $OMNI_DEMO_DB (default omni_demo), starts the
# simulators and Odoo with the job runner, prints where to log in. Ctrl-C stops
# everything it started. scripts/demo.sh --help lists every option.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_odoo
start_postgres
ensure_role
# the Python driver owns the children (each in its own process group) and
# stops them on Ctrl-C or SIGTERM; exec so that the signal reaches it directly
exec "$PYTHON" "$ROOT/scripts/demo.py" "$@"
