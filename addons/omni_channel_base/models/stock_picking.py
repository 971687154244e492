from odoo import fields, models

from omni_connectors.core.models import OrderState


class StockPicking(models.Model):
    _inherit = "stock.picking"

    omni_channel_id = fields.Many2one(
        related="sale_id.omni_channel_id", store=True, index=True, string="Sales Channel"
    )

    def _omni_shipped_pickings(self):
        return self.filtered(
            lambda p: p.state == "done"
            and p.picking_type_code == "outgoing"
            and p.carrier_tracking_ref
            and p.sale_id.omni_channel_id
        )

    def _omni_queue_shipped(self):
        """Tell the order's channel it shipped, with the waybill (a job, after commit)."""
        for picking in self._omni_shipped_pickings():
            picking.sale_id._omni_channel_order()._omni_queue_status(
                OrderState.SHIPPED,
                ttn=picking.carrier_tracking_ref,
                carrier=picking.carrier_id._omni_carrier_code() if picking.carrier_id else "",
                picking=picking,
            )

    def _action_done(self):
        res = super()._action_done()
        self._omni_queue_shipped()
        return res

    def write(self, vals):
        res = super().write(vals)
        if vals.get("carrier_tracking_ref"):
            # a waybill made after the delivery was validated
            self._omni_queue_shipped()
        return res
