"""18.0.2.0.0: the sync log and session tokens point at any backend, not only channels.

Rows of ``omni.sync.event`` and ``omni.channel.token`` keep their channel as
``(backend_model, backend_id) = ('omni.channel', channel_id)``, before the
new required fields and the new unique key of tokens are set up. Nothing is
dropped: the sync log keeps its ``channel_id`` as well.
"""

import logging

from psycopg2 import sql

_logger = logging.getLogger(__name__)


def _column_exists(cr, table, column):
    cr.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
        [table, column],
    )
    return bool(cr.fetchone())


def migrate(cr, version):
    if not version:
        return
    for table in ("omni_sync_event", "omni_channel_token"):
        cr.execute(
            sql.SQL(
                "ALTER TABLE {} ADD COLUMN IF NOT EXISTS backend_model varchar,"
                " ADD COLUMN IF NOT EXISTS backend_id integer"
            ).format(sql.Identifier(table))
        )
        if _column_exists(cr, table, "channel_id"):
            cr.execute(
                sql.SQL(
                    "UPDATE {} SET backend_model = 'omni.channel', backend_id = channel_id"
                    " WHERE channel_id IS NOT NULL AND backend_id IS NULL"
                ).format(sql.Identifier(table))
            )
            _logger.info("%s: %s rows now point at their channel as backend", table, cr.rowcount)
    if _column_exists(cr, "omni_channel_token", "channel_id"):
        # the column goes with its field; until then it must not refuse new rows
        cr.execute("ALTER TABLE omni_channel_token ALTER COLUMN channel_id DROP NOT NULL")
        cr.execute(
            "ALTER TABLE omni_channel_token DROP CONSTRAINT IF EXISTS "
            "omni_channel_token_channel_name_uniq"
        )
    # the sync log's company was related to the channel: keep the stored value
