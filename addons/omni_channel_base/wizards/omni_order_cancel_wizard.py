from odoo import api, fields, models
from odoo.exceptions import UserError


class OmniOrderCancelWizard(models.TransientModel):
    """Cancel a channel's order in Odoo and on the channel, with a reason it accepts."""

    _name = "omni.order.cancel.wizard"
    _description = "Cancel an Order on Its Channel"

    sale_order_id = fields.Many2one("sale.order", required=True, readonly=True)
    channel_id = fields.Many2one(related="sale_order_id.omni_channel_id")
    reason_code = fields.Selection(
        selection="_selection_reason_code",
        string="Reason",
        help="The channel's own list of reasons; it may refuse a cancellation without one.",
    )
    has_reason_list = fields.Boolean(compute="_compute_has_reason_list")
    comment = fields.Text(help="Sent with the cancellation where the channel takes a text.")

    @api.model
    def _omni_channel_from_context(self):
        sale = self.env["sale.order"].browse(self.env.context.get("default_sale_order_id"))
        return sale.exists().omni_channel_id

    @api.model
    def _selection_reason_code(self):
        channel = self._omni_channel_from_context()
        if not channel:
            return []
        try:
            return list(channel._omni_build_adapter().cancel_reasons())
        except UserError:
            return []

    @api.depends("sale_order_id")
    def _compute_has_reason_list(self):
        for wizard in self:
            wizard.has_reason_list = bool(
                wizard.with_context(
                    default_sale_order_id=wizard.sale_order_id.id
                )._selection_reason_code()
            )

    def action_confirm(self):
        self.ensure_one()
        if self.has_reason_list and not self.reason_code:
            raise UserError(self.env._("Choose the reason the channel should see."))
        sale = self.sale_order_id
        reason = self.reason_code or self.comment or ""
        sale.with_context(
            omni_cancel_reason=reason, omni_cancel_comment=self.comment or "",
            disable_cancel_warning=True,
        ).action_cancel()
        return {"type": "ir.actions.act_window_close"}
