from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def unlink(self):
        """The lines go first, through the ORM: deleting the order alone would leave
        the lines' shares of its costs to recompute on lines its deletion cascades
        away (Odoo then fails writing them)."""
        self.order_line.unlink()
        return super().unlink()

    omni_refusal_count = fields.Integer(
        "Customer's Refused Parcels", related="partner_id.commercial_partner_id.omni_refused_count")
    omni_refusal_risk = fields.Boolean(
        "Refusal Risk", compute="_compute_omni_refusal_risk",
        help="The customer refused or sent back at least as many parcels as the channel's "
        "threshold.",
    )
    omni_prepayment_required = fields.Boolean(
        "Prepayment Required", copy=False, tracking=True,
        help="Held by the channel's policy for customers who refuse parcels: not confirmed "
        "automatically until paid.",
    )

    @api.depends("partner_id", "omni_channel_id.refusal_threshold")
    def _compute_omni_refusal_risk(self):
        default = int(self.env["ir.config_parameter"].sudo().get_param(
            "omni_analytics.refusal_threshold", 2) or 0)
        for order in self:
            threshold = (order.omni_channel_id.refusal_threshold if order.omni_channel_id
                         else default)
            order.omni_refusal_risk = bool(
                threshold and order.omni_refusal_count >= threshold)
