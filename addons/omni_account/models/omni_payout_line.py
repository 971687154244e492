from odoo import fields, models


class OmniPayoutLine(models.Model):
    """One order of a payout: what the payer (or its registry) says, what the clearing
    account holds, and whether they match."""

    _name = "omni.payout.line"
    _description = "Payout Order"
    _order = "statement_line_id, sequence, id"
    _check_company_auto = True

    statement_line_id = fields.Many2one(
        "account.bank.statement.line", "Payout", required=True, ondelete="cascade",
        index=True, check_company=True,
    )
    company_id = fields.Many2one(related="statement_line_id.company_id", store=True,
                                 index=True)
    currency_id = fields.Many2one(related="statement_line_id.currency_id")
    sequence = fields.Integer(default=10)
    origin = fields.Selection(
        [("registry", "Payout registry"), ("reference", "Bank line reference")],
        required=True, default="registry", readonly=True,
    )
    reference = fields.Char(
        "Order Reference", required=True, readonly=True,
        help="The order number as the payer wrote it (Odoo's or the channel's).",
    )
    reported_amount = fields.Monetary(
        "Reported", readonly=True, help="The net amount the payer reports for this order."
    )
    reported_date = fields.Date("Reported On", readonly=True)
    sale_order_id = fields.Many2one("sale.order", "Order", readonly=True, index=True)
    open_amount = fields.Monetary(
        "Open on Clearing", readonly=True,
        help="What the clearing account held for this order when the payout was matched.",
    )
    state = fields.Selection(
        [("matched", "Matched"), ("unmatched", "Not matched"), ("reconciled", "Reconciled")],
        default="unmatched", required=True, readonly=True, index=True,
    )
    reason = fields.Char(readonly=True)
