from odoo import fields, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "omni.np.recipient.mixin"]

    np_attention = fields.Boolean("Nova Poshta Needs Attention", copy=False)
    np_attention_reason = fields.Text("Nova Poshta Problem", copy=False)
    np_is_novaposhta = fields.Boolean(compute="_compute_np_is_novaposhta")

    def _compute_np_is_novaposhta(self):
        for order in self:
            order.np_is_novaposhta = order.carrier_id.delivery_type == "novaposhta"

    def _np_is_paid(self):
        """Whether the buyer has paid already (no cash on delivery then)."""
        self.ensure_one()
        channel_orders = self.omni_external_order_ids
        if channel_orders:
            return any(channel_orders.mapped("is_paid"))
        if self.omni_collected_source:
            return True
        invoices = self.invoice_ids.filtered(lambda inv: inv.state == "posted")
        return bool(invoices) and all(
            inv.payment_state in ("paid", "in_payment") for inv in invoices
        )
