from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    omni_fiscal_receipt_ids = fields.One2many(
        "omni.fiscal.receipt", "invoice_id", string="Fiscal Receipts"
    )
    omni_fiscal_receipt_count = fields.Integer(
        "Receipts", compute="_compute_omni_fiscal_receipt_count"
    )

    @api.depends("omni_fiscal_receipt_ids")
    def _compute_omni_fiscal_receipt_count(self):
        for move in self:
            move.omni_fiscal_receipt_count = len(move._omni_fiscal_receipts())

    def _omni_fiscal_receipts(self):
        self.ensure_one()
        orders = self.line_ids.sale_line_ids.order_id
        return self.omni_fiscal_receipt_ids | orders.omni_fiscal_receipt_ids

    def _invoice_paid_hook(self):
        """A paid customer invoice is money collected for its orders (source "payment")
        unless they were known collected already;
        a paid credit note after a sale receipt is a refund (return receipt). An invoice
        with no sales order gets its own sale receipt, by the same policy."""
        res = super()._invoice_paid_hook()
        for move in self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund")):
            orders = move.line_ids.sale_line_ids.order_id.filtered(lambda o: o.state == "sale")
            if move.move_type == "out_refund":
                for order in orders:
                    order._omni_fiscal_return("refund", invoice=move)
                if not orders:
                    move._omni_fiscal_refund()
                continue
            payment = move._get_reconciled_payments()[:1]
            if not orders:
                move._omni_fiscal_on_paid(payment)
                continue
            for order in orders:
                if order.omni_collected_source:
                    # the money was known collected already (the marketplace, cash
                    # on delivery): this payment books it, it is not more money
                    continue
                amount = move.amount_total if len(orders) == 1 else order.amount_total
                # the journal lets an acquiring rule per payment journal apply
                order.with_context(
                    omni_fiscal_payment_id=payment.id,
                    omni_payment_journal_id=payment.journal_id.id,
                )._omni_register_collected(amount, fields.Datetime.now(), "payment")
        return res

    def _omni_fiscal_on_paid(self, payment):
        """A paid invoice with no sales order: its sale receipt if the policy says so."""
        self.ensure_one()
        Policy = self.env["omni.fiscal.policy"]
        policy = Policy._omni_for(self, Policy._omni_method(self, "payment", payment))
        if not policy or not policy._omni_issues_on("payment"):
            return self.env["omni.fiscal.receipt"]
        return self._omni_fiscal_sell("payment", policy, payment)

    def _omni_fiscal_sell(self, trigger, policy=None, payment=None):
        """The sale receipt of an invoice with no sales order, created (and queued) once."""
        self.ensure_one()
        existing = self.omni_fiscal_receipt_ids.filtered(lambda r: r.receipt_type == "sell")
        if existing:
            return existing[:1]
        register = self.env["omni.checkbox.register"]._omni_for_order(self)
        if not register:
            self.message_post(body=self.env._(
                "No default Checkbox cash register is set: no fiscal receipt was issued."))
            return self.env["omni.fiscal.receipt"]
        return self.env["omni.fiscal.receipt"]._omni_issue_sell(
            register, trigger, self.partner_id, self.amount_total, policy, payment,
            invoice_id=self.id,
        )

    def _omni_fiscal_refund(self):
        """A paid credit note of an invoice with no sales order: the return of its receipt."""
        self.ensure_one()
        sell = self.reversed_entry_id.omni_fiscal_receipt_ids.filtered(
            lambda r: r.receipt_type == "sell" and r.state == "done" and not r.sale_order_id
        )[:1]
        if not sell:
            return self.env["omni.fiscal.receipt"]
        Policy = self.env["omni.fiscal.policy"]
        policy = Policy._omni_for(self, Policy._omni_method(self, "payment", sell.payment_id))
        if policy and not policy.issue_return:
            return self.env["omni.fiscal.receipt"]
        return sell._omni_make_return("refund", invoice=self)

    def action_omni_issue_receipt(self):
        for move in self:
            if move.move_type != "out_invoice" or move.state != "posted":
                raise UserError(self.env._("Only a posted customer invoice gets a receipt."))
            orders = move.line_ids.sale_line_ids.order_id
            if orders:
                orders.action_omni_issue_receipt()
                continue
            existing = move.omni_fiscal_receipt_ids.filtered(lambda r: r.receipt_type == "sell")
            if existing:
                existing.action_retry()
                continue
            if not self.env["omni.checkbox.register"]._omni_for_order(move):
                raise UserError(self.env._("No default Checkbox cash register is set."))
            Policy = self.env["omni.fiscal.policy"]
            payment = move._get_reconciled_payments()[:1]
            policy = Policy._omni_for(move, Policy._omni_method(move, "manual", payment))
            move._omni_fiscal_sell("manual", policy, payment)
        return True

    def action_omni_retry_receipts(self):
        for move in self:
            move._omni_fiscal_receipts().filtered(lambda r: r.state == "error").action_retry()
        return True

    def action_omni_view_receipts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "omni_fiscal_checkbox.omni_fiscal_receipt_action"
        )
        action["domain"] = [("id", "in", self._omni_fiscal_receipts().ids)]
        action["context"] = {"create": False}
        return action
