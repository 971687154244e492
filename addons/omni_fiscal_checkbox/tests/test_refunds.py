"""Credit notes and invoices without an order: sale and return receipts, whole and partial."""

from odoo.tests import tagged

from .common import CheckboxCase


@tagged("post_install", "-at_install")
class TestRefunds(CheckboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card = cls.env["account.journal"].create(
            {"name": "Card acquirer", "code": "CARD", "type": "bank"}
        )
        cls.env.ref("omni_fiscal_checkbox.omni_fiscal_policy_online").journal_ids = cls.card

    # ------------------------------------------------------------ helpers
    def pay(self, move, journal=None):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"journal_id": (journal or self.card).id})._create_payments()

    def paid_order(self):
        """An order invoiced and paid by card, its sale receipt registered."""
        order = self.order()
        invoice = order._create_invoices()
        invoice.action_post()
        self.pay(invoice)
        self.run_fiscal_jobs()
        sell = order.omni_fiscal_receipt_ids
        self.assertEqual(sell.state, "done")
        return order, invoice, sell

    def credit_note(self, invoice, keep=None):
        """A credit note of ``invoice``; ``keep``: {product: quantity} to refund only those."""
        action = self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"reason": "Повернення", "journal_id": invoice.journal_id.id}).refund_moves()
        refund = self.env["account.move"].browse(action["res_id"])
        if keep is not None:
            for line in refund.invoice_line_ids:
                if line.product_id in keep:
                    line.quantity = keep[line.product_id]
                else:
                    line.unlink()
        refund.action_post()
        return refund

    def returns(self):
        return [body for body in self.sells() if body["goods"][0].get("is_return")]

    # -------------------------------------------------------------- tests
    def test_paid_credit_note_gives_one_linked_return(self):
        order, invoice, sell = self.paid_order()
        refund = self.credit_note(invoice)
        self.assertEqual(len(order.omni_fiscal_receipt_ids), 1, "nothing before the refund is paid")
        self.pay(refund)
        ret = order.omni_fiscal_receipt_ids - sell
        self.assertEqual(len(ret), 1)
        self.assertEqual((ret.receipt_type, ret.trigger, ret.state), ("return", "refund", "draft"))
        self.run_fiscal_jobs()
        self.assertEqual(ret.state, "done")
        self.assertTrue(ret.fiscal_code)
        self.assertEqual(ret.related_receipt_id, sell)
        self.assertEqual(ret.invoice_id, refund)
        self.assertEqual(sell.return_ids, ret)
        (body,) = self.returns()
        self.assertEqual(body["related_receipt_id"], sell.uuid)
        self.assertEqual(body["payments"][0]["value"], 46098, "the whole sale refunded")
        self.assertEqual(len(body["goods"]), 2)
        # the same refund reported paid again (e.g. re-reconciled): no second return
        refund._invoice_paid_hook()
        self.run_fiscal_jobs()
        self.assertEqual(len(self.returns()), 1)
        self.assertEqual(len(order.omni_fiscal_receipt_ids), 2)

    def test_partial_credit_notes_return_only_their_goods(self):
        order, invoice, sell = self.paid_order()
        first_product, second_product = self.products[0], self.products[1]
        refund = self.credit_note(invoice, keep={first_product: 1})
        self.pay(refund)
        self.run_fiscal_jobs()
        ret = order.omni_fiscal_receipt_ids - sell
        self.assertEqual((ret.state, ret.related_receipt_id), ("done", sell))
        self.assertAlmostEqual(ret.amount_total, 179.99)
        (body,) = self.returns()
        (good,) = body["goods"]
        self.assertEqual(good["good"]["code"], first_product.default_code or str(first_product.id))
        self.assertEqual(good["quantity"], 1000, "one of the two units")
        self.assertEqual(body["payments"][0]["value"], 17999, "179.99: one unit after 10 % off")
        self.assertEqual(body["related_receipt_id"], sell.uuid)
        # the rest in a second credit note: a second return of the same sale receipt
        rest = self.credit_note(invoice, keep={first_product: 1, second_product: 1})
        self.pay(rest)
        self.run_fiscal_jobs()
        second = order.omni_fiscal_receipt_ids - sell - ret
        self.assertEqual((second.state, second.related_receipt_id), ("done", sell))
        self.assertEqual(self.returns()[-1]["payments"][0]["value"], 28099)
        self.assertEqual(len(sell.return_ids), 2)
        # all of it is returned: a further return is refused, not printed
        with self.assertRaisesRegex(Exception, "already partly returned"):
            sell.action_return()
        self.assertEqual(len(self.returns()), 2)

    def test_invoice_without_order_paid_by_card_gives_a_receipt(self):
        product = self.products[1]
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": self.buyer.id,
            "invoice_line_ids": [(0, 0, {
                "product_id": product.id, "quantity": 3, "price_unit": 101.0,
                "tax_ids": [(6, 0, self.vat20.ids)],
            })],
        })
        invoice.action_post()
        self.assertFalse(invoice.omni_fiscal_receipt_ids)
        self.pay(invoice)
        receipt = invoice.omni_fiscal_receipt_ids
        self.assertEqual((len(receipt), receipt.trigger), (1, "payment"))
        self.assertFalse(receipt.sale_order_id)
        self.assertFalse(self.cbx.requests, "no call in the user's transaction")
        self.run_fiscal_jobs()
        self.assertEqual(receipt.state, "done")
        self.assertEqual(invoice.omni_fiscal_receipt_count, 1)
        (body,) = self.sells()
        (good,) = body["goods"]
        self.assertEqual((good["good"]["price"], good["quantity"]), (10100, 3000))
        self.assertEqual(body["payments"],
                         [{"type": "CASHLESS", "value": 30300, "label": "Картка"}])
        self.assertEqual(body["delivery"]["email"], "buyer@example.com")
        # issuing by hand afterwards does not make a second one
        invoice.action_omni_issue_receipt()
        self.run_fiscal_jobs()
        self.assertEqual(len(self.sells()), 1)
        # its paid credit note returns it
        refund = self.credit_note(invoice)
        self.pay(refund)
        self.run_fiscal_jobs()
        ret = refund.omni_fiscal_receipt_ids
        self.assertEqual((ret.receipt_type, ret.state, ret.related_receipt_id),
                         ("return", "done", receipt))
        self.assertEqual(self.returns()[-1]["payments"][0]["value"], 30300)

    def test_invoice_without_order_paid_by_bank_transfer_gives_none(self):
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": self.buyer.id,
            "invoice_line_ids": [(0, 0, {"product_id": self.products[1].id, "quantity": 1,
                                         "price_unit": 101.0})],
        })
        invoice.action_post()
        bank = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id),
             ("id", "!=", self.card.id)], limit=1,
        )
        self.pay(invoice, bank)
        self.assertEqual(invoice.payment_state in ("paid", "in_payment"), True)
        self.assertFalse(invoice.omni_fiscal_receipt_ids, "bank transfer: none by default")
