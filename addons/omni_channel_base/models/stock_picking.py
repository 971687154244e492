from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    omni_channel_id = fields.Many2one(
        related="sale_id.omni_channel_id", store=True, index=True, string="Sales Channel"
    )
