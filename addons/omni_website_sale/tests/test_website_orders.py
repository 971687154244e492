from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestWebsiteOrders(TransactionCase):
    """Odoo's own eCommerce is an own-shop channel that reports count and nothing is pushed to."""

    def test_website_order_carries_the_shop_channel_and_nothing_is_pushed(self):
        website = self.env["website"].create({"name": "Мій магазин"})
        channel = website.omni_channel_id
        self.assertEqual((channel.channel_type, channel.name), ("shop", "Мій магазин"))
        self.assertEqual(channel.omni_website_ids, website)
        product = self.env["product.product"].create(
            {"name": "Чайник", "default_code": "WEB-1", "is_storable": True, "list_price": 640})
        self.env["omni.product.binding"].create(
            {"channel_id": channel.id, "product_id": product.id})
        jobs = [("identity_key", "=like", f"omni:{channel.id}:%")]
        Job = self.env["queue.job"]
        # a cart of the website, as website_sale makes it, then confirmed
        order = self.env["sale.order"].create({
            "partner_id": self.env["res.partner"].create({"name": "Покупець"}).id,
            "website_id": website.id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 2})],
        })
        self.assertEqual(order.omni_channel_id, channel)
        order.action_confirm()
        # a stock change of a bound product would queue a push for any other channel
        self.env["stock.quant"]._update_available_quantity(
            product, self.env.ref("stock.stock_location_stock"), 5)
        channel._omni_enqueue("stock")
        channel._omni_enqueue("price")
        self.env.flush_all()
        self.assertFalse(Job.search(jobs), "no job for the website channel")
        self.assertIn("reads Odoo's stock", channel._omni_push_stock())
        self.assertFalse(self.env["omni.sync.event"].search(
            [("backend_model", "=", "omni.channel"), ("backend_id", "=", channel.id)]))
        # the channel reports group the sale orders by channel: the website's are there
        groups = self.env["sale.order"].read_group(
            [("omni_channel_id", "=", channel.id)], ["amount_total:sum"], ["omni_channel_id"])
        self.assertEqual(groups[0]["omni_channel_id_count"], 1)
