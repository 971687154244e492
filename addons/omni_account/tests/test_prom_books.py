"""A Prom order paid with Prom Payment feeds the books (runs where
omni_marketplace_prom is installed too; skipped otherwise)."""

import unittest

from odoo.modules.registry import Registry
from odoo.tests import tagged
from odoo.tests.common import get_db_name

from odoo.addons.omni_channel_base.tests.common import OmniChannelCase

from omni_sandbox.prom import PromSimulator

BUYER = {"name": "Оксана Ковальчук", "phone": "067 123 45 67", "email": "oksana@example.com"}


@tagged("post_install", "-at_install")
class TestPromBooks(OmniChannelCase):
    channel_count = 1
    product_count = 2
    channel_type = "prom"
    simulator_class = PromSimulator

    @classmethod
    def setUpClass(cls):
        registry = Registry(get_db_name())
        if "prom" not in dict(registry["omni.channel"]._fields["channel_type"].selection):
            raise unittest.SkipTest("omni_marketplace_prom is not installed")
        super().setUpClass()
        Route = cls.env["omni.money.route"]
        routes = Route.search([("company_id", "=", cls.env.company.id)]) or (
            Route._omni_setup_defaults(cls.env.company))
        cls.route = routes.filtered(lambda r: r.collection == "channel")[:1]

    @classmethod
    def _omni_make_simulator(cls, index):
        return PromSimulator(token=f"prom-secret-token-{index}-x9")

    @classmethod
    def _omni_channel_vals(cls, index, sim):
        vals = super()._omni_channel_vals(index, sim)
        vals.pop("api_key")
        vals.update(name="Prom", api_url=f"{sim.url}/api/v1", prom_token=sim.api_key)
        return vals

    @classmethod
    def _omni_sim_add_offer(cls, sim, product):
        sim.add_product(product.default_code, quantity=0, price="1.00", gtin="")

    def test_prom_payment_booked_with_the_reported_commission(self):
        channel, sim = self.channels[0], self.sims[0]
        for product in self.products:
            self.set_stock(product, 5)
        self.run_jobs()
        sim.place_order(BUYER, [{"key": "SKU-1", "quantity": 2}], payment="prom")
        channel.action_import_orders_now()
        self.run_jobs()
        sale = self.env["omni.external.order"].search(
            [("channel_id", "=", channel.id)]).sale_order_id
        self.assertEqual(sale.omni_money_route_id, self.route)
        self.assertEqual(sale.omni_commission_source, "channel")
        invoice = sale.invoice_ids
        self.assertEqual(invoice.state, "posted", "invoiced when Prom reports it paid")
        self.assertEqual(invoice.amount_total, 202.0)
        payment = sale.omni_payment_ids
        self.assertEqual((payment.amount, payment.journal_id), (202.0, self.route.journal_id))
        lines = self.env["account.move.line"].search([
            ("account_id", "=", self.route.clearing_account_id.id),
            ("move_id.omni_sale_order_id", "=", sale.id)])
        self.assertEqual(round(sum(lines.mapped("amount_residual")), 2),
                         round(202.0 - sale.omni_commission - sale.omni_acquiring_fee, 2))
        self.assertTrue(sale.omni_commission > 0)
