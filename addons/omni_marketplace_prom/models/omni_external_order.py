from odoo import fields, models


class OmniExternalOrder(models.Model):
    _inherit = "omni.external.order"

    prom_commission = fields.Float(
        digits="Product Price", readonly=True,
        help="Prom's fee for this order (cpa_commission), kept for the profit reports.",
    )
    prom_commission_refunded = fields.Boolean(readonly=True)
    prom_payment_status = fields.Char(
        readonly=True,
        help="paid: the buyer's money is held by Prom (Prom Payment); refunded; paid_out.",
    )
    delivery_katottg = fields.Char("City KATOTTG Code", readonly=True)
    delivery_service_type = fields.Char(readonly=True)

    def _omni_is_prom(self):
        return self.channel_id.channel_type == "prom"

    def _omni_order_raw_vals(self, order):
        # the base cleans and bounds these values before they are stored
        vals = super()._omni_order_raw_vals(order)
        if self._omni_is_prom():
            vals.update({
                "prom_commission": float(order.commission or 0),
                "prom_commission_refunded": order.commission_refunded,
                "prom_payment_status": order.payment.status,
                "delivery_katottg": order.delivery.city_katottg,
                "delivery_service_type": order.delivery.service_type,
            })
        return vals

    def _omni_apply(self, order):
        if not self._omni_is_prom():
            return super()._omni_apply(order)
        # the line commissions reach _omni_prepare_sale_vals through the context
        commissions = [float(line.commission or 0) for line in order.lines]
        this = self.with_context(omni_prom_line_commissions=commissions)
        res = super(OmniExternalOrder, this)._omni_apply(order)
        this._omni_prom_update_commission(commissions)
        return res

    def _omni_prepare_sale_vals(self, partner, lines):
        vals = super()._omni_prepare_sale_vals(partner, lines)
        commissions = self.env.context.get("omni_prom_line_commissions")
        if self._omni_is_prom() and commissions is not None:
            vals["omni_commission"] = self._omni_prom_order_commission()
            for command, commission in zip(vals["order_line"], commissions, strict=False):
                command[2]["omni_commission"] = commission
        return vals

    def _omni_prom_order_commission(self):
        return 0.0 if self.prom_commission_refunded else self.prom_commission

    def _omni_prom_update_commission(self, commissions):
        """A changed or refunded commission reaches the sale order again."""
        sale = self.sale_order_id
        if not sale:
            return
        total = self._omni_prom_order_commission()
        if sale.currency_id.compare_amounts(sale.omni_commission, total):
            sale.omni_commission = total
        lines = sale.order_line.filtered(lambda line: not line.display_type)
        if len(lines) == len(commissions):
            for line, commission in zip(lines, commissions, strict=True):
                value = 0.0 if self.prom_commission_refunded else commission
                if sale.currency_id.compare_amounts(line.omni_commission, value):
                    line.omni_commission = value
