from odoo import api, fields, models
from odoo.tools import SQL

KINDS = [
    ("stock", "Stock"),
    ("price", "Prices"),
    ("orders", "Orders"),
    ("reconcile", "Stock check"),
]


class OmniChannelStatus(models.Model):
    """How the last sync of one kind went on one channel.

    One row per channel and kind, written only by that kind's jobs (which a
    lock serializes), so an order import and a stock push of one channel
    never update the same row, and the channel record itself stays free for
    people to edit.
    """

    _name = "omni.channel.status"
    _description = "Channel Sync Status"
    _log_access = False

    channel_id = fields.Many2one("omni.channel", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    kind = fields.Selection(KINDS, required=True)
    last_success = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)
    last_error_date = fields.Datetime(readonly=True)
    cursor = fields.Char(readonly=True)
    last_start = fields.Datetime(
        "Last Push Started",
        readonly=True,
        help="When the last push of this kind started (to the microsecond): the next "
        "one waits for the least interval between two pushes.",
    )
    last_arrival = fields.Datetime(
        "Last New Order",
        readonly=True,
        help="When the order import last found an order it did not have; the channel "
        "checks more often for a while after it.",
    )
    empty_count = fields.Integer(
        "Checks Finding Nothing",
        readonly=True,
        help="Polls in a row that found nothing new; such polls are counted here "
        "instead of filling the sync log.",
    )

    _sql_constraints = [
        ("channel_kind_uniq", "unique(channel_id, kind)", "One status per channel and kind."),
    ]

    @api.model
    def _omni_count_empty(self, channel, kind, empty):
        """Count a poll that found nothing, or start counting again after one that found."""
        self.env.cr.execute(
            "UPDATE omni_channel_status SET empty_count = CASE WHEN %s"
            " THEN COALESCE(empty_count, 0) + 1 ELSE 0 END"
            " WHERE channel_id = %s AND kind = %s",
            [bool(empty), channel.id, kind],
        )
        self.invalidate_model(["empty_count"])
        channel.invalidate_recordset(["empty_poll_count"])

    @api.model
    def _omni_set(self, channel, kind, **values):
        """Upsert the status row; values: last_success, last_error, cursor, last_arrival."""
        columns = sorted(values)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO omni_channel_status (channel_id, company_id, kind, %s)
                VALUES (%s, %s, %s, %s)
                ON CONFLICT (channel_id, kind) DO UPDATE SET %s
                """,
                SQL(", ").join(SQL.identifier(c) for c in columns),
                channel.id,
                channel.company_id.id,
                kind,
                SQL(", ").join(SQL("%s", values[c]) for c in columns),
                SQL(", ").join(
                    SQL("%s = EXCLUDED.%s", SQL.identifier(c), SQL.identifier(c))
                    for c in columns
                ),
            )
        )
        self.invalidate_model()
        channel.invalidate_recordset(
            ["last_stock_push", "last_price_push", "last_order_import", "last_reconcile",
             "last_error", "order_cursor", "empty_poll_count", "last_order_arrival"]
        )
