from odoo import models


class OmniExternalOrder(models.Model):
    _inherit = "omni.external.order"

    def _omni_confirm_if_possible(self):
        """Hold an unpaid order of a customer who refuses parcels, when the channel says so."""
        sale = self.sale_order_id
        channel = self.channel_id
        if (channel.order_policy == "confirm" and channel.refusal_prepayment and sale
                and sale.state in ("draft", "sent") and not self.is_paid
                and not sale.omni_collected_source and sale.omni_refusal_risk):
            if not sale.omni_prepayment_required:
                sale.omni_prepayment_required = True
            self._omni_needs_attention(self.env._(
                "Prepayment required: the customer refused or sent back %(count)s parcels. "
                "The order waits as a quotation until it is paid; confirm it by hand to "
                "ship it anyway.",
                count=sale.omni_refusal_count))
            return
        if sale.omni_prepayment_required and sale.state in ("draft", "sent"):
            sale.omni_prepayment_required = False
        super()._omni_confirm_if_possible()
