#!/usr/bin/env bash
# Run every test: the pure tier (connectors, sandbox, planner; no Odoo) and the
# Odoo tier (each addon's tests/ with pytest-odoo on a fresh database).
source "$(dirname "$0")/_common.sh"
require_odoo
start_postgres
ensure_role
cd "$ROOT"
echo "== Pure tier"
"$PYTHON" -m pytest -q tests
echo "== Odoo tier"
TEST_DB="${OMNI_TEST_DB:-omni_test}"
dropdb --if-exists "$TEST_DB"
ADDONS=$(ls -d addons/*/__manifest__.py | xargs -n1 dirname | xargs -n1 basename | paste -sd, -)
odoo_bin -d "$TEST_DB" --addons-path="$(addons_path)" -i "$ADDONS" \
    --without-demo=all --stop-after-init --log-level=warn
TEST_DIRS=$(ls -d addons/*/tests)
# pytest-odoo imports Odoo's test framework before Odoo knows it is testing, which
# Odoo reports with an error and a stack trace; that one message is silenced.
# The tests run their jobs themselves; queue_job's runner, which starts with the
# test HTTP server, must not take the jobs the real-transaction tests commit.
# shellcheck disable=SC2086
ODOO_QUEUE_JOB_CHANNELS=root:0 \
"$PYTHON" -m pytest -q -p no:cacheprovider --odoo-database="$TEST_DB" \
    --odoo-addons-path="$(addons_path)" --odoo-log-level=warn \
    --odoo-extra=log-handler=odoo.tests.common:CRITICAL --odoo-http $TEST_DIRS
# the browser test's count of the manager's clicks, and where its screenshots are
SHOTS="${OMNI_SCREENSHOTS:-$("$PYTHON" -c "import tempfile; print(tempfile.gettempdir())")/omni-screenshots}"
if [ -f "$SHOTS/summary.txt" ]; then cat "$SHOTS/summary.txt"; fi
dropdb --if-exists "$TEST_DB"
