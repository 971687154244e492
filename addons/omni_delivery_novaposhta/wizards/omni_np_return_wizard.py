from odoo import fields, models
from odoo.exceptions import UserError


class OmniNpReturnWizard(models.TransientModel):
    """Create NP return: the reason and the note; the order itself is made in a job."""

    _name = "omni.np.return.wizard"
    _description = "Nova Poshta Return"

    picking_id = fields.Many2one("stock.picking", required=True, readonly=True,
                                 ondelete="cascade")
    source_id = fields.Many2one("stock.picking", "Delivery", required=True, readonly=True,
                                ondelete="cascade")
    ttn = fields.Char(related="source_id.carrier_tracking_ref")
    account_id = fields.Many2one("omni.np.account", required=True, readonly=True,
                                 ondelete="cascade")
    reason_id = fields.Many2one(
        "omni.np.return.reason", required=True,
        domain="[('account_id', '=', account_id)]",
        help="Nova Poshta's own list of return reasons.",
    )
    note = fields.Char(help="Sent to Nova Poshta with the return order (100 characters).")
    payment_method = fields.Selection(
        [("Cash", "Cash"), ("NonCash", "Bank transfer")], "Return Paid By",
        default="Cash", required=True,
        help="How the sender pays Nova Poshta for the return.",
    )
    non_cash_allowed = fields.Boolean(readonly=True)
    return_address_ref = fields.Char(readonly=True)
    return_address = fields.Char("Returned To", readonly=True)

    def action_confirm(self):
        self.ensure_one()
        target, source, account = self.picking_id._omni_np_return_context()
        if self.reason_id.account_id != account:
            raise UserError(self.env._("Choose one of this account's return reasons."))
        if self.payment_method == "NonCash" and not self.non_cash_allowed:
            raise UserError(self.env._(
                "Nova Poshta does not allow paying this return by bank transfer."))
        target._omni_np_queue_return(source, account, self.reason_id, self.note,
                                     self.payment_method, self.return_address_ref)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Nova Poshta"),
                "message": self.env._(
                    "The return order for TTN %(ttn)s is being created; it will be posted on "
                    "%(picking)s.", ttn=source.carrier_tracking_ref, picking=target.name),
                "type": "info", "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
