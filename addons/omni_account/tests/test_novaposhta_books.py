"""Nova Poshta's own events feed the books (runs where omni_delivery_novaposhta is
installed too; skipped otherwise)."""

import unittest

from odoo.modules.registry import Registry
from odoo.tests import tagged
from odoo.tests.common import get_db_name

from odoo.addons.omni_delivery_novaposhta.tests.common import NovaPoshtaCase


@tagged("post_install", "-at_install")
class TestNovaPoshtaBooks(NovaPoshtaCase):
    @classmethod
    def setUpClass(cls):
        if "omni.np.account" not in Registry(get_db_name()):
            raise unittest.SkipTest("omni_delivery_novaposhta is not installed")
        super().setUpClass()
        Route = cls.env["omni.money.route"]
        routes = Route.search([("company_id", "=", cls.env.company.id)]) or (
            Route._omni_setup_defaults(cls.env.company))
        cls.route = routes.filtered(lambda r: r.collection == "cod")[:1]

    def clearing_open(self, order):
        lines = self.env["account.move.line"].search([
            ("account_id", "=", self.route.clearing_account_id.id),
            ("move_id.omni_sale_order_id", "=", order.id)])
        return round(sum(lines.mapped("amount_residual")), 2)

    def ship(self):
        picking = self.make_picking(omni_money_route_id=self.route.id)
        picking.button_validate()
        return picking

    def track(self, picking, steps, script=None):
        self.sim.advance(picking.carrier_tracking_ref, steps, script=script)
        self.account._omni_np_track()

    def test_cash_collected_by_tracking_paid_with_its_fee(self):
        self.carrier.write({"novaposhta_cod_payer": "sender", "novaposhta_cod_fee_percent": 1.5,
                            "novaposhta_cod_fee_fixed": 10.0})
        picking = self.ship()
        order = picking.sale_id
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted", "invoiced when the delivery is validated")
        self.assertEqual(invoice.omni_picking_id, picking)
        self.assertFalse(order.omni_payment_ids)
        self.track(picking, 5)
        self.assertEqual(picking.np_cod_collected, 1200)
        payment = order.omni_payment_ids
        self.assertEqual(payment.amount, 1200.0)
        self.assertEqual(payment.journal_id, self.route.journal_id)
        # Nova Poshta's fee (1.5 % + 10) is known only after the money is booked
        self.assertEqual(order.omni_cod_fee, 28.0)
        self.assertEqual(self.clearing_open(order), 1172.0)
        self.track(picking, 5)  # later polls book nothing more
        self.assertEqual(len(order.omni_payment_ids), 1)
        self.assertEqual(self.clearing_open(order), 1172.0)

    def test_refused_parcel_reverses_the_invoice(self):
        picking = self.ship()
        order = picking.sale_id
        invoice = order.invoice_ids
        self.track(picking, 5, script="refused")
        self.assertEqual(picking.np_state, "refused")
        refund = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(refund.amount_total, invoice.amount_total)
        self.assertEqual(refund.omni_picking_id, picking)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertFalse(order.omni_payment_ids)
