from odoo import fields, models


class OmniChannel(models.Model):
    _inherit = "omni.channel"

    refusal_threshold = fields.Integer(
        "Refusal Warning From", default=2,
        help="A new order from a customer who refused or sent back at least this many "
        "parcels shows a warning (0: never).",
    )
    refusal_prepayment = fields.Boolean(
        "Prepayment for Risky Customers",
        help="An unpaid order from such a customer is not confirmed automatically: it waits "
        "as a quotation marked \"prepayment required\" until the channel reports it paid "
        "or a manager confirms it.",
    )
