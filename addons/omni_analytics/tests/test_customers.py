from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from omni_connectors.core.models import Customer, Order, OrderLine, OrderState

from .common import AnalyticsCase


@tagged("post_install", "-at_install")
class TestCustomers(AnalyticsCase):
    def test_rfm_scores_are_the_hand_computed_quintiles(self):
        """Ten customers: customer i ordered i times, last i days ago... (distinct values)."""
        now = fields.Datetime.now()
        partners = self.env["res.partner"].create(
            [{"name": f"Покупець {i}"} for i in range(10)])
        for i, partner in enumerate(partners):
            # frequency i + 1; recency 100 - 10 i days (customer 9 ordered most recently);
            # monetary: (i + 1) orders of 10 × (10 - i) → distinct, not in the order of i
            for k in range(i + 1):
                self.order(partner, [(self.p2, 1, 10.0 * (10 - i) + k)], self.prom,
                           date=now - timedelta(days=100 - 10 * i + k))
        self.env["res.partner"]._omni_refresh_scores()
        # quintile = 1 + floor(5 (rank - 1) / n): ranks 1..10 give 1,1,2,2,3,3,4,4,5,5
        quintile = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        monetary = [sum(10.0 * (10 - i) + k for k in range(i + 1)) for i in range(10)]
        rank_m = {i: sorted(monetary).index(monetary[i]) for i in range(10)}
        for i, partner in enumerate(partners):
            self.assertEqual(partner.omni_rfm_frequency, i + 1)
            self.assertEqual(partner.omni_rfm_recency, 100 - 10 * i)
            self.assertAlmostEqual(partner.omni_rfm_monetary, monetary[i], places=2)
            self.assertEqual(
                (partner.omni_rfm_r, partner.omni_rfm_f, partner.omni_rfm_m),
                (quintile[i], quintile[i], quintile[rank_m[i]]), partner.name)
        # monetary ranks: customer 6 scores 4-4-4 (champion), 9 scores 5-5-1 (loyal)
        self.assertEqual(partners[6].omni_rfm_score, "444")
        self.assertEqual(partners[6].omni_rfm_segment, "champions")
        self.assertEqual(partners[9].omni_rfm_segment, "loyal")
        self.assertEqual(partners[0].omni_rfm_segment, "lost")
        self.assertEqual(partners[0].omni_first_channel_id, self.prom)

    def test_lifetime_value_and_first_channel(self):
        buyer = self.env["res.partner"].create({"name": "Марія", "is_company": False})
        now = fields.Datetime.now()
        first = self.order(buyer, [(self.p1, 1, 150.0)], self.rozetka,
                           date=now - timedelta(days=40))
        self.deliver(first)
        second = self.order(buyer, [(self.p2, 2, 99.99)], self.prom, date=now)
        self.deliver(second)
        second.omni_commission = 0.0
        self.env["res.partner"]._omni_refresh_scores()
        self.assertEqual(buyer.omni_first_channel_id, self.rozetka)
        self.assertAlmostEqual(buyer.omni_ltv, 208.98, places=2)  # 90 + 118.98

    def test_refusal_warning_and_prepayment_policy_hold_the_order(self):
        risky = self.env["res.partner"].create({"name": "Відмовник", "omni_refused_count": 2})
        self.rozetka.write({"refusal_threshold": 2, "refusal_prepayment": True,
                            "order_policy": "confirm"})
        sale = self.order(risky, [(self.p1, 1, 150.0)], self.rozetka, confirm=False)
        self.assertTrue(sale.omni_refusal_risk, "the warning shows on the order")
        external = self.env["omni.external.order"].create({
            "channel_id": self.rozetka.id, "external_id": "R-1", "sale_order_id": sale.id,
            "partner_id": risky.id})
        external._omni_confirm_if_possible()
        self.assertEqual(sale.state, "draft")
        self.assertTrue(sale.omni_prepayment_required)
        self.assertEqual(external.state, "needs_attention")
        self.assertIn("Prepayment required", external.attention_reason)
        # paid on the channel: the next update confirms it
        external.is_paid = True
        external._omni_confirm_if_possible()
        self.assertEqual(sale.state, "sale")
        self.assertFalse(sale.omni_prepayment_required)
        # a customer under the threshold is confirmed at once, with no warning
        calm = self.env["res.partner"].create({"name": "Спокійний", "omni_refused_count": 1})
        other = self.order(calm, [(self.p1, 1, 150.0)], self.rozetka, confirm=False)
        self.assertFalse(other.omni_refusal_risk)
        self.env["omni.external.order"].create({
            "channel_id": self.rozetka.id, "external_id": "R-2", "sale_order_id": other.id,
            "partner_id": calm.id})._omni_confirm_if_possible()
        self.assertEqual(other.state, "sale")

    def test_commission_from_marketplace_beats_rules(self):
        """The marketplace's own figure is stored; rules apply only without it."""
        self.rozetka.commission_percent = 10.0
        sale = self.order(self.env["res.partner"].create({"name": "X"}),
                          [(self.p1, 1, 150.0)], self.rozetka, confirm=False)
        external = self.env["omni.external.order"].create({
            "channel_id": self.rozetka.id, "external_id": "R-3", "sale_order_id": sale.id})
        neutral = Order(external_id="R-3", state=OrderState.NEW, customer=Customer(name="x"),
                        lines=[OrderLine(sku="", name="", quantity=1, unit_price=150)])
        external._omni_set_commission(sale, neutral)
        self.assertEqual((sale.omni_commission, sale.omni_commission_source), (15.0, "rules"))
        neutral.commission = 12.34
        external._omni_set_commission(sale, neutral)
        self.assertEqual((sale.omni_commission, sale.omni_commission_source), (12.34, "channel"))
        self.env.flush_all()
        row = self.env["omni.pnl.report"].search([("order_id", "=", sale.id)])
        self.assertFalse(row, "a quotation is not in the profit report")
        sale.action_confirm()
        self.env.flush_all()
        row = self.env["omni.pnl.report"].search([("order_id", "=", sale.id)])
        self.assertEqual(row.commission, 12.34)

    def test_abc_classes_by_margin(self):
        """A: the first 80 % of the margin; B: the next 15 %; C: the rest and the losers."""
        buyer = self.env["res.partner"].create({"name": "Оптовик"})
        Product = self.env["product.product"]
        products = Product.create([
            {"name": name, "is_storable": True, "standard_price": cost,
             "taxes_id": [(6, 0, [])]}
            for name, cost in (("A", 60.0), ("B", 40.5), ("C", 60.0), ("D", 60.0))])
        for product in products:
            self.env["stock.quant"].with_context(inventory_mode=True).create({
                "product_id": product.id, "location_id": self.warehouse.lot_stock_id.id,
                "inventory_quantity": 10}).action_apply_inventory()
        # margins 800, 150, 50 and -10: 800 is 80 % of the 1,000 earned
        self.deliver(self.order(buyer, [(products[0], 1, 860.0), (products[1], 1, 190.5),
                                        (products[2], 1, 110.0), (products[3], 1, 50.0)],
                                self.prom))
        self.env["res.partner"]._omni_refresh_scores()
        self.assertEqual(products.mapped("omni_margin_12m"), [800.0, 150.0, 50.0, -10.0])
        self.assertEqual(products.mapped("omni_abc_class"), ["a", "b", "c", "c"])
