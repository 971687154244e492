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
        """A paid customer invoice is money collected for its orders (source "payment");
        a paid credit note after a sale receipt is a refund (return receipt)."""
        res = super()._invoice_paid_hook()
        for move in self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund")):
            orders = move.line_ids.sale_line_ids.order_id.filtered(lambda o: o.state == "sale")
            if move.move_type == "out_refund":
                for order in orders:
                    order._omni_fiscal_return("refund", invoice=move)
                continue
            payment = move._get_reconciled_payments()[:1]
            for order in orders:
                amount = move.amount_total if len(orders) == 1 else order.amount_total
                order.with_context(omni_fiscal_payment_id=payment.id)._omni_register_collected(
                    amount, fields.Datetime.now(), "payment"
                )
        return res

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
            register = self.env["omni.checkbox.register"].search(
                [("company_id", "=", move.company_id.id), ("is_default", "=", True)], limit=1
            )
            if not register:
                raise UserError(self.env._("No default Checkbox cash register is set."))
            receipt = self.env["omni.fiscal.receipt"].create({
                "register_id": register.id,
                "receipt_type": "sell",
                "trigger": "manual",
                "invoice_id": move.id,
                "partner_id": move.partner_id.id,
                "email": move.partner_id.email or "",
                "amount_total": move.amount_total,
            })
            receipt._omni_queue_send()
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
