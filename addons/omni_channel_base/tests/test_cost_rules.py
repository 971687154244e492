from decimal import Decimal

from odoo import fields
from odoo.tests import tagged

from omni_connectors.core.models import Customer, Order, OrderLine, OrderState

from .common import OmniChannelCase

BUYER = {"name": "Ірина Бондар", "phone": "+380671112233", "email": "iryna@example.com"}


@tagged("post_install", "-at_install")
class TestCostRules(OmniChannelCase):
    channel_count = 1

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Categ = cls.env["product.category"]
        cls.categ_a = Categ.create({"name": "Зоотовари"})
        cls.categ_ab = Categ.create({"name": "Корм", "parent_id": cls.categ_a.id})
        cls.products[0].categ_id = cls.categ_ab
        cls.products[1].categ_id = cls.categ_a
        cls.channel = cls.channels[0]
        cls.channel.write({
            "commission_percent": 5.0,
            "commission_fixed_fee": 10.0,
            "commission_rule_ids": [
                (0, 0, {"categ_id": cls.categ_a.id, "percent": 10.0}),
                (0, 0, {"categ_id": cls.categ_ab.id, "percent": 7.5}),
            ],
        })

    def setUp(self):
        super().setUp()
        for product in self.products:
            self.set_stock(product, 10)
        self.run_jobs()

    def import_order(self, lines):
        self.sims[0].place_order(BUYER, lines)
        self.channel.action_import_orders_now()
        self.run_jobs()
        return self.env["omni.external.order"].search(
            [("channel_id", "=", self.channel.id)], order="id desc", limit=1)

    def neutral(self, external, sale, commission=None):
        lines = external._omni_channel_lines(sale)
        return Order(
            external_id=external.external_id, state=OrderState.NEW,
            customer=Customer(name="x"), commission=commission,
            lines=[OrderLine(sku=line.product_id.default_code, name="",
                             quantity=Decimal(line.product_uom_qty), unit_price=Decimal(1))
                   for line in lines])

    def test_commission_by_category_and_fixed_fee_to_the_kopeck(self):
        """Most specific category wins; the fixed fee is shared by line totals."""
        external = self.import_order([
            {"sku": "SKU-0", "quantity": 1}, {"sku": "SKU-1", "quantity": 3},
            {"sku": "SKU-2", "quantity": 1}])
        sale = external.sale_order_id
        lines = external._omni_channel_lines(sale)
        self.assertEqual(lines.mapped("price_total"), [100.0, 303.0, 102.0])
        # 7.5 % of 100 + 1.98; 10 % of 303 + 6.00; 5 % of 102 + 2.02 (the kopeck left
        # by rounding goes to the largest remainder)
        self.assertEqual(lines.mapped("omni_commission"), [9.48, 36.3, 7.12])
        self.assertEqual(sale.omni_commission, 52.9)
        self.assertEqual(sale.omni_commission_source, "rules")

    def test_rules_stored_at_import_recomputed_only_on_purpose(self):
        external = self.import_order([{"sku": "SKU-2", "quantity": 2}])
        sale = external.sale_order_id
        self.assertEqual(sale.omni_commission, 20.2)  # 5 % of 204 + 10
        self.channel.commission_percent = 8.0
        # the channel sends the order again: history is kept
        external._omni_set_commission(sale, self.neutral(external, sale))
        self.assertEqual(sale.omni_commission, 20.2)
        today = fields.Date.context_today(self.env.user)
        wizard = self.env["omni.cost.recompute.wizard"].create({
            "date_from": fields.Date.subtract(today, days=30), "date_to": today,
            "channel_ids": [(6, 0, self.channel.ids)]})
        wizard.action_recompute()
        self.assertEqual(sale.omni_commission, 26.32)  # 8 % of 204 + 10
        self.assertEqual(sale.order_line.mapped("omni_commission"), [26.32])
        self.assertIn("1 changed", wizard.result)

    def test_reported_commission_wins_and_is_never_recomputed(self):
        external = self.import_order([{"sku": "SKU-1", "quantity": 1}])
        sale = external.sale_order_id
        external._omni_set_commission(sale, self.neutral(external, sale, Decimal("4.44")))
        self.assertEqual((sale.omni_commission, sale.omni_commission_source),
                         (4.44, "channel"))
        today = fields.Date.context_today(self.env.user)
        self.env["omni.cost.recompute.wizard"].create({
            "date_from": today, "date_to": today,
            "channel_ids": [(6, 0, self.channel.ids)]}).action_recompute()
        self.assertEqual((sale.omni_commission, sale.order_line.omni_commission),
                         (4.44, 4.44))

    def test_delivery_cost_rule_of_a_channel_that_delivers_itself(self):
        self.channel.write({"delivery_cost_policy": "rule", "delivery_cost_fixed": 45.0,
                            "delivery_cost_percent": 1.0})
        external = self.import_order([
            {"sku": "SKU-0", "quantity": 1}, {"sku": "SKU-1", "quantity": 3},
            {"sku": "SKU-2", "quantity": 1}])
        self.assertEqual(external.sale_order_id.omni_delivery_cost, 50.05)  # 45 + 1 % of 505

    def test_acquiring_fee_when_money_is_collected(self):
        Rule = self.env["omni.acquiring.rule"]
        Rule.create({"name": "Інша платіжна служба", "source": "channel",
                     "payment_method": "Prom-оплата", "percent": 1.0, "sequence": 1})
        Rule.create({"name": "Оплата на каналі", "source": "channel",
                     "channel_ids": [(6, 0, self.channel.ids)], "percent": 2.5,
                     "fixed_fee": 3.0})
        Rule.create({"name": "Накладений платіж", "source": "cod", "percent": 99.0})
        external = self.import_order([
            {"sku": "SKU-0", "quantity": 1}, {"sku": "SKU-1", "quantity": 3},
            {"sku": "SKU-2", "quantity": 1}])
        sale = external.sale_order_id
        self.assertEqual(sale.omni_acquiring_fee, 0.0)
        sale._omni_register_collected(505.0, fields.Datetime.now(), "channel")
        self.assertEqual(sale.omni_acquiring_fee, 15.63)  # 12.625 -> 12.63, + 3.00

    def test_lines_add_up_to_the_order_figure_the_marketplace_reports(self):
        external = self.import_order([{"sku": "SKU-0", "quantity": 1},
                                      {"sku": "SKU-1", "quantity": 3}])
        sale = external.sale_order_id
        order = self.neutral(external, sale, Decimal("10.00"))
        order.lines[0].commission = Decimal("3.00")
        order.lines[1].commission = Decimal("4.00")
        external._omni_set_commission(sale, order)
        lines = external._omni_channel_lines(sale)
        # 3.00 more than the lines say, shared 100 : 303
        self.assertEqual(lines.mapped("omni_commission"), [3.74, 6.26])
        self.assertEqual(sale.omni_commission, 10.0)

    def test_recompute_applies_a_new_delivery_rule_on_purpose(self):
        external = self.import_order([{"sku": "SKU-2", "quantity": 1}])
        sale = external.sale_order_id
        self.assertEqual(sale.omni_delivery_cost, 0.0)
        self.channel.write({"delivery_cost_policy": "rule", "delivery_cost_fixed": 30.0})
        self.assertEqual(sale.omni_delivery_cost, 0.0, "history is not rewritten")
        today = fields.Date.context_today(self.env.user)
        self.env["omni.cost.recompute.wizard"].create({
            "date_from": today, "date_to": today, "channel_ids": [(6, 0, self.channel.ids)],
            "commission": False, "delivery": True}).action_recompute()
        self.assertEqual(sale.omni_delivery_cost, 30.0)
        self.assertEqual(sale.omni_commission, 15.1, "the commission was left alone")
