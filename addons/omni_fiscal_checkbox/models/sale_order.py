from odoo import api, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    omni_fiscal_receipt_ids = fields.One2many(
        "omni.fiscal.receipt", "sale_order_id", string="Fiscal Receipts"
    )
    omni_fiscal_receipt_count = fields.Integer(
        "Receipts", compute="_compute_omni_fiscal_state"
    )
    omni_fiscal_state = fields.Selection(
        [("none", "No receipt"), ("pending", "Being issued"), ("done", "Issued"),
         ("error", "Error")],
        "Fiscal Receipt", compute="_compute_omni_fiscal_state",
    )

    @api.depends("omni_fiscal_receipt_ids.state")
    def _compute_omni_fiscal_state(self):
        for order in self:
            receipts = order.omni_fiscal_receipt_ids
            order.omni_fiscal_receipt_count = len(receipts)
            states = set(receipts.mapped("state"))
            order.omni_fiscal_state = (
                "error" if "error" in states
                else "pending" if states & {"draft", "sent"}
                else "done" if states else "none"
            )

    # ------------------------------------------------------------- events
    def _omni_on_money_collected(self, amount, date, source):
        res = super()._omni_on_money_collected(amount, date, source)
        payment = self.env["account.payment"].browse(
            self.env.context.get("omni_fiscal_payment_id") or []
        ).exists()
        for order in self:
            order._omni_fiscal_on_collected(source, payment)
        return res

    def _omni_fiscal_on_collected(self, source, payment=None):
        """Issue the sell receipt if the policy of the order's payment method says so."""
        self.ensure_one()
        Policy = self.env["omni.fiscal.policy"]
        method = Policy._omni_method(self, source, payment)
        policy = Policy._omni_for(self, method)
        if not policy or not policy._omni_issues_on(source):
            return self.env["omni.fiscal.receipt"]
        return self._omni_fiscal_sell(source, policy, payment)

    def _omni_fiscal_sell(self, trigger, policy=None, payment=None):
        """The order's sell receipt, created (and queued) once whatever calls it."""
        self.ensure_one()
        existing = self.omni_fiscal_receipt_ids.filtered(lambda r: r.receipt_type == "sell")
        if existing:
            return existing[:1]
        register = self.env["omni.checkbox.register"]._omni_for_order(self)
        if not register:
            self.message_post(body=self.env._(
                "No Checkbox cash register is set for this order's channel, team or company: "
                "no fiscal receipt was issued."))
            return self.env["omni.fiscal.receipt"]
        invoice = self.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )[:1]
        return self.env["omni.fiscal.receipt"]._omni_issue_sell(
            register, trigger, self.partner_id, self.amount_total, policy, payment,
            sale_order_id=self.id, invoice_id=invoice.id,
        )

    def _omni_on_parcel_refused(self, picking):
        res = super()._omni_on_parcel_refused(picking)
        for order in self:
            order._omni_fiscal_return("refused", picking=picking)
        return res

    def _omni_fiscal_return(self, trigger, picking=None, invoice=None):
        """A return receipt for the order's registered sell receipt, if the policy wants one."""
        self.ensure_one()
        sell = self.omni_fiscal_receipt_ids.filtered(
            lambda r: r.receipt_type == "sell" and r.state == "done"
        )[:1]
        if not sell:
            return self.env["omni.fiscal.receipt"]
        Policy = self.env["omni.fiscal.policy"]
        method = Policy._omni_method(self, sell.trigger or "payment", sell.payment_id)
        policy = Policy._omni_for(self, method)
        if policy and not policy.issue_return:
            return self.env["omni.fiscal.receipt"]
        return sell._omni_make_return(trigger, picking=picking, invoice=invoice)

    # ------------------------------------------------------------ actions
    def action_omni_issue_receipt(self):
        """Issue the sell receipt now (queued), whatever the policy says."""
        for order in self:
            if order.state != "sale":
                raise UserError(self.env._(
                    "Order %(name)s is not confirmed: no receipt.", name=order.name))
            existing = order.omni_fiscal_receipt_ids.filtered(
                lambda r: r.receipt_type == "sell"
            )
            if existing:
                existing.action_retry()
                continue
            Policy = self.env["omni.fiscal.policy"]
            method = Policy._omni_method(order, "manual")
            order._omni_fiscal_sell("manual", Policy._omni_for(order, method))
        return True

    def action_omni_retry_receipts(self):
        self.omni_fiscal_receipt_ids.filtered(lambda r: r.state == "error").action_retry()
        return True

    def action_omni_view_receipts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "omni_fiscal_checkbox.omni_fiscal_receipt_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action
