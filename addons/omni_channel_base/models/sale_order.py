from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    omni_channel_id = fields.Many2one(
        "omni.channel", string="Sales Channel", index=True, copy=False, readonly=True,
        tracking=True,
    )
    omni_external_id = fields.Char("Channel Order Number", index=True, copy=False,
                                   readonly=True)
    omni_external_order_ids = fields.One2many(
        "omni.external.order", "sale_order_id", string="Channel Orders"
    )
