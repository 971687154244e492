"""The own shop under real concurrent transactions.

A shop that times out and posts again, or two of its workers sending the same
order, reach Odoo at the same moment. Each post runs here in a thread with a
real cursor of its own (committed, the data removed afterwards), replayed on a
serialization failure exactly as Odoo's HTTP layer replays a request.
"""

import json
import threading
from contextlib import contextmanager

from odoo import api, sql_db
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestShopConcurrency(TransactionCase):
    @contextmanager
    def committed_shop(self):
        """A shop channel selling one service, committed; everything it made removed after."""
        db = sql_db.db_connect(self.env.cr.dbname)
        with db.cursor() as cr:
            env = api.Environment(cr, self.env.uid, {"tracking_disable": True})
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1)
            channel = env["omni.channel"].create({
                "name": "Concurrent shop", "channel_type": "shop",
                "warehouse_ids": [(6, 0, warehouse.ids)], "order_poll_interval": 0,
            })
            product = env["product.product"].create(
                {"name": "Встановлення", "default_code": "CONC-SHOP-1", "type": "service",
                 "list_price": 150.0})
            env["omni.product.binding"].create(
                {"channel_id": channel.id, "product_id": product.id})
            ids = channel.id, product.id
        try:
            yield db, ids
        finally:
            with db.cursor() as cr:
                env = api.Environment(cr, self.env.uid, {"omni_from_channel": True,
                                                         "tracking_disable": True})
                sales = env["sale.order"].search([("omni_channel_id", "=", ids[0])])
                partners = sales.partner_id | sales.partner_invoice_id | sales.partner_shipping_id
                sales._action_cancel()
                # what the cancellation recomputed (other addons' stored figures on
                # the lines) is written before the orders and their lines go
                env.flush_all()
                sales.unlink()
                env["omni.external.order"].search([("channel_id", "=", ids[0])]).unlink()
                partners.exists().unlink()
                for sql in (
                    "DELETE FROM omni_binding_change WHERE channel_id = %s",
                    "DELETE FROM omni_product_binding WHERE channel_id = %s",
                    "DELETE FROM omni_channel_status WHERE channel_id = %s",
                    "DELETE FROM mail_message WHERE model = 'omni.channel' AND res_id = %s",
                    "DELETE FROM omni_sync_event WHERE backend_model = 'omni.channel'"
                    " AND backend_id = %s",
                ):
                    cr.execute(sql, [ids[0]])
                cr.execute("DELETE FROM queue_job WHERE identity_key LIKE %s",
                           [f"omni:{ids[0]}:%"])
                cr.execute("DELETE FROM omni_channel WHERE id = %s", [ids[0]])
                product = env["product.product"].browse(ids[1])
                template = product.product_tmpl_id
                product.unlink()
                template.unlink()

    def post_together(self, db, channel_id, bodies):
        """Post each body from its own thread and transaction, all at the same moment."""
        barrier = threading.Barrier(len(bodies))
        results = [None] * len(bodies)

        def run(index, body):
            try:
                with db.cursor() as cr:
                    env = api.Environment(cr, self.env.uid, {})
                    cr.execute("SELECT 1")  # the transaction (and its snapshot) has begun
                    barrier.wait(timeout=10)

                    def post():
                        channel = env["omni.channel"]._omni_shop_channel(channel_id)
                        return channel._omni_shop_receive_order(body)

                    results[index] = retrying(post, env)
            except Exception as err:  # noqa: BLE001 - asserted below
                results[index] = err

        threads = [threading.Thread(target=run, args=item) for item in enumerate(bodies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return results

    def test_same_order_posted_twice_at_the_same_moment_gives_one_sale_order(self):
        body = json.dumps({
            "id": "SAME-1", "status": "new",
            "customer": {"name": "Остап Вишня", "phone": "+380671112233"},
            "payment": {"method": "cod"},
            "lines": [{"sku": "CONC-SHOP-1", "quantity": 1, "price": "150.00"}],
        }).encode()
        with self.committed_shop() as (db, (channel_id, _product_id)):
            results = self.post_together(db, channel_id, [body, body])
            with db.cursor() as cr:
                env = api.Environment(cr, self.env.uid, {})
                sales = env["sale.order"].search([("omni_channel_id", "=", channel_id)])
                orders = env["omni.external.order"].search([("channel_id", "=", channel_id)])
                self.assertEqual(len(sales), 1, results)
                self.assertEqual(sales.state, "sale")
                self.assertEqual((len(orders), orders.sale_order_id), (1, sales))
                sale_name = sales.name
            # both posts are answered: one created the order, the other is told it is known
            statuses = sorted(r[0] for r in results if isinstance(r, tuple))
            self.assertEqual(statuses, [200, 201], results)
            duplicate = next(r[1] for r in results if r[0] == 200)
            self.assertTrue(duplicate["duplicate"])
            self.assertEqual(duplicate["sale_order"], sale_name)
