from odoo.tests import tagged

from .common import AnalyticsCase


@tagged("post_install", "-at_install")
class TestReorder(AnalyticsCase):
    def test_advice_equals_the_formula_and_lands_in_a_reordering_rule(self):
        buyer = self.env["res.partner"].create({"name": "Покупець"})
        vendor = self.env["res.partner"].create({"name": "Постачальник"})
        self.p1.seller_ids = [(0, 0, {"partner_id": vendor.id, "delay": 5, "price": 50})]
        # 30 delivered over the window (three channels' orders), 6 returned
        for channel, qty in ((self.rozetka, 10), (self.prom, 15), (False, 5)):
            picking = self.deliver(self.order(buyer, [(self.p1, qty, 150.0)], channel or None))
            if channel == self.prom:
                self.give_back(picking, {self.p1: 6})
        on_hand = self.p1.with_context(warehouse_id=self.warehouse.id).qty_available
        self.assertEqual(on_hand, 1000 - 30 + 6)
        # only 12 left: make the stock low to see the advice to order
        self.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": self.p1.id, "location_id": self.warehouse.lot_stock_id.id,
            "inventory_quantity": 3}).action_apply_inventory()
        advice = self.env["omni.reorder.advice"].create({
            "warehouse_id": self.warehouse.id, "window_days": 30, "cover_days": 10})
        advice.action_compute()
        line = advice.line_ids.filtered(lambda ln: ln.product_id == self.p1)
        velocity = (30 - 6) / 30  # 0.8 a day
        self.assertAlmostEqual(line.velocity, velocity, places=6)
        self.assertEqual(line.lead_days, 5)
        self.assertAlmostEqual(line.days_of_cover, 3 / velocity, places=1)
        self.assertEqual((line.min_qty, line.max_qty), (4.0, 12.0))  # 0.8×5, 0.8×15
        self.assertEqual(line.suggested_qty, 9.0)  # 12 - 3
        self.assertTrue(line.apply)
        advice.action_apply()
        orderpoint = self.env["stock.warehouse.orderpoint"].search([
            ("product_id", "=", self.p1.id), ("warehouse_id", "=", self.warehouse.id)])
        self.assertEqual((orderpoint.product_min_qty, orderpoint.product_max_qty), (4.0, 12.0))
        self.assertEqual(line.orderpoint_id, orderpoint)
        self.assertEqual(orderpoint.qty_to_order, 9.0, "Odoo's replenishment orders the advice")
        # applied again: the same rule is updated, not duplicated
        advice.action_compute()
        advice.line_ids.filtered(lambda ln: ln.product_id == self.p1).apply = True
        advice.action_apply()
        self.assertEqual(self.env["stock.warehouse.orderpoint"].search_count([
            ("product_id", "=", self.p1.id), ("warehouse_id", "=", self.warehouse.id)]), 1)
