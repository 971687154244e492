from odoo import fields, models


class OmniExternalOrder(models.Model):
    _inherit = "omni.external.order"

    prom_payment_status = fields.Char(
        readonly=True,
        help="paid: the buyer's money is held by Prom (Prom Payment); refunded; paid_out.",
    )

    def _omni_is_prom(self):
        return self.channel_id.channel_type == "prom"

    def _omni_order_raw_vals(self, order):
        # the base cleans and bounds these values before they are stored; the
        # commission (cpa_commission), KATOTTG and service type are the base's
        vals = super()._omni_order_raw_vals(order)
        if self._omni_is_prom():
            vals["prom_payment_status"] = order.payment.status
        return vals
