from odoo.tests import tagged

from ..hooks import fill_line_figures
from .common import AnalyticsCase


@tagged("post_install", "-at_install")
class TestPnl(AnalyticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls.env["res.partner"].create({"name": "Оксана"})

    def figures(self, domain, fields=None):
        fields = fields or ["revenue", "returns", "net_revenue", "cogs", "commission",
                            "delivery_cost", "cod_fee", "acquiring_fee", "margin"]
        self.env.flush_all()
        rows = self.env["omni.pnl.report"].read_group(domain, fields, [])
        return {name: round(rows[0][name], 2) for name in fields}

    def test_known_orders_give_exact_pnl_by_channel_and_line(self):
        first = self.order(self.buyer, [(self.p1, 2, 150.0), (self.p2, 1, 99.99)],
                           self.rozetka)
        first.order_line[0].omni_commission = 30.0
        first.order_line[1].omni_commission = 10.0
        first.write({"omni_commission": 40.0, "omni_commission_source": "channel",
                     "omni_delivery_cost": 70.0, "omni_cod_fee": 28.0})
        self.deliver(first)
        undelivered = self.order(self.buyer, [(self.p2, 1, 99.99)], self.rozetka)
        undelivered.order_line.omni_commission = 5.0
        undelivered.omni_commission = 5.0
        cancelled = self.order(self.buyer, [(self.p1, 1, 150.0)], self.rozetka)
        cancelled.with_context(disable_cancel_warning=True)._action_cancel()

        line1, line2 = first.order_line
        # the delivery cost and the COD fee are shared by line totals to the kopeck
        self.assertEqual((line1.omni_delivery_share, line2.omni_delivery_share), (52.5, 17.5))
        self.assertEqual((line1.omni_cod_share, line2.omni_cod_share), (21.0, 7.0))
        self.assertEqual((line1.omni_cogs, line2.omni_cogs), (120.0, 40.5))
        self.assertEqual(
            self.figures([("line_id", "=", line1.id)]),
            {"revenue": 300.0, "returns": 0.0, "net_revenue": 300.0, "cogs": 120.0,
             "commission": 30.0, "delivery_cost": 52.5, "cod_fee": 21.0,
             "acquiring_fee": 0.0, "margin": 76.5})
        self.assertEqual(
            self.figures([("channel_id", "=", self.rozetka.id)]),
            {"revenue": 399.99, "returns": 0.0, "net_revenue": 399.99, "cogs": 160.5,
             "commission": 45.0, "delivery_cost": 70.0, "cod_fee": 28.0,
             "acquiring_fee": 0.0, "margin": 96.49})
        # the margin % of a group is its margin over its net revenue
        rows = self.env["omni.pnl.report"].read_group(
            [("channel_id", "=", self.rozetka.id)], ["margin_percent"], ["channel_id"])
        self.assertAlmostEqual(rows[0]["margin_percent"], 100 * 96.49 / 399.99, places=6)
        # the order's costs in the report equal the ones stored on the order (the books')
        self.assertEqual(
            self.figures([("order_id", "=", first.id)],
                         ["commission", "delivery_cost", "cod_fee", "acquiring_fee"]),
            {"commission": first.omni_commission, "delivery_cost": first.omni_delivery_cost,
             "cod_fee": first.omni_cod_fee, "acquiring_fee": first.omni_acquiring_fee})

    def test_a_cancelled_channel_order_can_be_deleted(self):
        """Its lines' shares of the order's costs do not outlive it."""
        buyer = self.env["res.partner"].create({"name": "Покупець"})
        order = self.order(buyer, [(self.p1, 1, 150.0)], channel=self.rozetka,
                           omni_delivery_cost=35.0)
        order._action_cancel()
        self.env.flush_all()
        self.env.invalidate_all()
        order.unlink()
        self.env.flush_all()
        self.assertFalse(order.exists())

    def test_return_reverses_revenue_and_cost(self):
        order = self.order(self.buyer, [(self.p1, 3, 150.0)], self.prom)
        picking = self.deliver(order)
        order._omni_register_collected(450.0, None, "channel")
        order.omni_acquiring_fee = 11.25
        before = self.figures([("order_id", "=", order.id)])
        self.assertEqual((before["net_revenue"], before["cogs"], before["margin"]),
                         (450.0, 180.0, 258.75))
        self.give_back(picking, {self.p1: 1})
        self.assertEqual(order.order_line.omni_qty_returned, 1.0)
        self.assertEqual(
            self.figures([("order_id", "=", order.id)]),
            {"revenue": 450.0, "returns": 150.0, "net_revenue": 300.0, "cogs": 120.0,
             "commission": 0.0, "delivery_cost": 0.0, "cod_fee": 0.0,
             "acquiring_fee": 11.25, "margin": 168.75})

    def test_losing_product_and_high_return_rate(self):
        order = self.order(self.buyer, [(self.p2, 10, 45.0)], self.prom)
        picking = self.deliver(order)
        self.give_back(picking, {self.p2: 3})
        self.env.flush_all()
        Perf = self.env["omni.product.performance"]
        row = Perf.search([("product_id", "=", self.p2.id)])
        # 7 kept at 45.00, cost 40.50 each, no other cost: margin 31.50
        self.assertEqual((row.qty_delivered, row.qty_returned, round(row.return_rate, 2)),
                         (10.0, 3.0, 30.0))
        self.assertEqual(round(row.margin, 2), 31.5)
        self.assertNotIn(row, Perf.search([("margin", "<", 0)]))
        order.omni_delivery_cost = 40.0
        self.env.flush_all()
        Perf.invalidate_model()
        row = Perf.search([("product_id", "=", self.p2.id)])
        self.assertEqual(round(row.margin, 2), -8.5)
        self.assertIn(row, Perf.search([("margin", "<", 0)]))
        action = Perf.action_high_returns()
        self.assertIn(row, Perf.search(action["domain"]))

    def test_sql_fill_on_install_equals_the_stored_computation(self):
        """What the install hook writes for existing lines is what Odoo computes."""
        order = self.order(self.buyer, [(self.p1, 3, 150.0), (self.p2, 2, 99.99)], self.prom)
        picking = self.deliver(order)
        self.give_back(picking, {self.p1: 1, self.p2: 1})
        order.order_line[0].omni_commission = 12.5
        self.env.flush_all()
        names = ["omni_date", "omni_channel_id", "omni_qty_out", "omni_qty_returned",
                 "omni_revenue", "omni_returns", "omni_cogs", "omni_margin"]
        lines = order.order_line
        computed = lines.read(names)
        self.env.cr.execute(
            "UPDATE sale_order_line SET omni_date = NULL, omni_channel_id = NULL, "
            "omni_qty_out = NULL, omni_qty_returned = NULL, omni_revenue = NULL, "
            "omni_returns = NULL, omni_cogs = NULL, omni_margin = NULL WHERE id = ANY(%s)",
            [lines.ids])
        fill_line_figures(self.env.cr, lines.ids)
        lines.invalidate_recordset()
        self.assertEqual(lines.read(names), computed)
        self.assertEqual(lines.mapped("omni_returns"), [150.0, 99.99])
