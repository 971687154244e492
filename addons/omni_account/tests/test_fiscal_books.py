"""The Checkbox receipts of an order are linked to its invoice and credit note
(runs where omni_fiscal_checkbox is installed too; skipped otherwise)."""

import unittest
from datetime import datetime

from odoo.modules.registry import Registry
from odoo.tests import tagged
from odoo.tests.common import get_db_name

from odoo.addons.omni_fiscal_checkbox.tests.common import CheckboxCase


@tagged("post_install", "-at_install")
class TestFiscalBooks(CheckboxCase):
    @classmethod
    def setUpClass(cls):
        if "omni.fiscal.receipt" not in Registry(get_db_name()):
            raise unittest.SkipTest("omni_fiscal_checkbox is not installed")
        super().setUpClass()
        Route = cls.env["omni.money.route"]
        routes = Route.search([("company_id", "=", cls.env.company.id)]) or (
            Route._omni_setup_defaults(cls.env.company))
        cls.route = routes.filtered(lambda r: r.collection == "cod")[:1]
        for product in cls.products:
            product.type = "consu"
            product.is_storable = False

    def test_receipts_linked_to_invoice_and_credit_note(self):
        order = self.order(channel=self.channels[0])
        order.omni_money_route_id = self.route
        picking = order.picking_ids
        picking.move_ids.quantity = 1
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted")
        order._omni_register_collected(order.amount_total, datetime(2026, 12, 1, 9), "cod")
        self.run_fiscal_jobs()
        sell = order.omni_fiscal_receipt_ids.filtered(lambda r: r.receipt_type == "sell")
        self.assertEqual(sell.state, "done")
        self.assertEqual(sell.invoice_id, invoice)
        self.assertFalse(sell.payment_id, "how the buyer paid stays the carrier's cash")
        self.assertEqual(order.omni_collected_source, "cod", "the booked payment is no new one")
        order._omni_parcel_refused(picking)
        self.flush()
        refund = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(refund.state, "posted")
        back = order.omni_fiscal_receipt_ids.filtered(lambda r: r.receipt_type != "sell")
        self.assertTrue(back, "the Checkbox addon issued the return receipt")
        self.assertEqual(back.invoice_id, refund)
        self.run_fiscal_jobs()
        self.assertEqual(back.state, "done")
