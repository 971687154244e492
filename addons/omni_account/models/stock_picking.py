from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        res = super()._action_done()
        for picking in self.filtered(
                lambda p: p.state == "done" and p.picking_type_code == "outgoing"
                and p.sale_id.omni_money_route_id):
            picking.sale_id._omni_on_delivered(picking)
        return res
