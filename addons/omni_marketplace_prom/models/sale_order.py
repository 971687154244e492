from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    omni_commission = fields.Monetary(
        "Marketplace Commission", readonly=True, copy=False,
        help="The marketplace's fee for this order as it reported it (0 once refunded).",
    )


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    omni_commission = fields.Monetary(
        "Marketplace Commission", readonly=True, copy=False,
        help="The marketplace's fee for this line as it reported it.",
    )
