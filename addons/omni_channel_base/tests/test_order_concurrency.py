"""Order-mapping jobs run two at a time: the last unit is still sold once, and
neither job fails (the second maps again once the first has committed).

Each side runs in a real transaction of its own (``in_threads``), as two job
runner workers would; the data they share is committed first and deleted
afterwards.
"""

from contextlib import contextmanager

from odoo import api, sql_db
from odoo.tests import tagged

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT

from omni_connectors.core.models import RawOrder

from .common import OmniChannelCase


@tagged("post_install", "-at_install")
class TestConcurrentMapping(OmniChannelCase):
    channel_count = 1
    product_count = 1

    @contextmanager
    def committed_orders(self, stock, buyers):
        """A channel and a product with ``stock`` units, committed, and one stored
        order of one unit per buyer (name, phone); yields (db, channel id, order ids)."""
        db = sql_db.db_connect(self.env.cr.dbname)
        sim = self.sims[0]
        sim.add_offer("LAST-1", name="Last unit", quantity=len(buyers), price="100.00")
        placed = [sim.place_order({"name": name, "phone": phone},
                                  [{"sku": "LAST-1", "quantity": 1}])
                  for name, phone in buyers]
        with db.cursor() as cr:
            env = api.Environment(cr, self.env.uid, DISABLED_MAIL_CONTEXT)
            warehouse = env["stock.warehouse"].browse(self.warehouse.id)
            channel = env["omni.channel"].create({
                "name": "Two workers", "channel_type": "generic", "api_url": sim.url,
                "sync_stock": False, "sync_price": False, "push_order_status": False,
                "warehouse_ids": [(6, 0, warehouse.ids)],
            })
            product = env["product.product"].create(
                {"name": "Last unit", "default_code": "LAST-1", "is_storable": True,
                 "taxes_id": [(6, 0, [])]})
            env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, stock)
            env["omni.product.binding"].create(
                {"channel_id": channel.id, "product_id": product.id})
            orders = env["omni.external.order"]._omni_store(channel, [
                RawOrder(o["id"], o, updated_marker=str(o["seq"])) for o in placed])
            ids = channel.id, product.id, orders.ids
        try:
            yield db, ids[0], ids[2]
        finally:
            self.delete_committed(db, *ids)

    def delete_committed(self, db, channel_id, product_id, order_ids):
        with db.cursor() as cr:
            cr.execute("SELECT id, partner_id FROM sale_order WHERE omni_channel_id = %s",
                       [channel_id])
            rows = cr.fetchall()
            sale_ids = [row[0] for row in rows]
            cr.execute("SELECT partner_id FROM omni_external_order WHERE id = ANY(%s)",
                       [order_ids])
            partner_ids = list({row[1] for row in rows} | {r[0] for r in cr.fetchall() if r[0]})
            cr.execute("DELETE FROM queue_job WHERE identity_key LIKE %s",
                       [f"omni:{channel_id}:%"])
            cr.execute("DELETE FROM mail_activity WHERE res_model = 'omni.external.order'"
                       " AND res_id = ANY(%s)", [order_ids])
            cr.execute("DELETE FROM omni_external_order WHERE channel_id = %s", [channel_id])
            cr.execute("DELETE FROM stock_move_line WHERE product_id = %s", [product_id])
            cr.execute("DELETE FROM stock_move WHERE product_id = %s", [product_id])
            cr.execute("DELETE FROM stock_picking WHERE sale_id = ANY(%s)", [sale_ids])
            cr.execute("DELETE FROM procurement_group WHERE sale_id = ANY(%s)", [sale_ids])
            cr.execute("DELETE FROM sale_order_line WHERE order_id = ANY(%s)", [sale_ids])
            cr.execute("DELETE FROM sale_order WHERE id = ANY(%s)", [sale_ids])
            cr.execute("DELETE FROM stock_quant WHERE product_id = %s", [product_id])
            cr.execute("DELETE FROM omni_stock_claim WHERE product_id = %s", [product_id])
            cr.execute("DELETE FROM omni_binding_change WHERE channel_id = %s", [channel_id])
            cr.execute("DELETE FROM omni_product_binding WHERE channel_id = %s", [channel_id])
            cr.execute("DELETE FROM omni_channel_status WHERE channel_id = %s", [channel_id])
            cr.execute("DELETE FROM omni_sync_event WHERE channel_id = %s", [channel_id])
            cr.execute("DELETE FROM omni_channel WHERE id = %s", [channel_id])
            cr.execute("DELETE FROM omni_customer_key WHERE partner_id = ANY(%s)", [partner_ids])
            cr.execute("DELETE FROM res_partner WHERE id = ANY(%s)", [partner_ids])
            cr.execute("SELECT product_tmpl_id FROM product_product WHERE id = %s", [product_id])
            template_id = cr.fetchone()[0]
            cr.execute("DELETE FROM product_product WHERE id = %s", [product_id])
            cr.execute("DELETE FROM product_template WHERE id = %s", [template_id])

    @staticmethod
    def process(order_id):
        def work(env):
            order = env["omni.external.order"].with_context(
                **DISABLED_MAIL_CONTEXT).browse(order_id)
            return order._omni_process()
        return work

    def test_two_workers_sell_the_last_unit_once(self):
        buyers = [("Ірина Коваль", "+380671110001"), ("Тарас Мельник", "+380671110002")]
        with self.committed_orders(1, buyers) as (db, channel_id, order_ids):
            results = self.in_threads(db, *(self.process(oid) for oid in order_ids))
            # the second to claim the product collides with the first once that
            # one commits, and maps again at once, seeing its reservation: no
            # failed job, nothing left for the job queue to replay
            self.assertTrue(all(isinstance(r, str) for r in results), results)
            self.assertEqual(sorted(r.split(":")[0] for r in results),
                             ["imported", "needs_attention"], results)
            with db.cursor() as cr:
                env = api.Environment(cr, self.env.uid, {})
                orders = env["omni.external.order"].browse(order_ids)
                winner = orders.filtered(lambda o: o.state == "imported")
                loser = orders.filtered(lambda o: o.state == "needs_attention")
                self.assertEqual(len(winner), 1)
                self.assertEqual(len(loser), 1)
                self.assertEqual(winner.sale_order_id.state, "sale")
                self.assertEqual(loser.sale_order_id.state, "draft",
                                 "the quotation is kept for the manager")
                self.assertIn("Not enough stock", loser.attention_reason)
                cr.execute("SELECT sum(reserved_quantity), sum(quantity) FROM stock_quant q"
                           " JOIN stock_location l ON l.id = q.location_id"
                           " WHERE q.product_id = %s AND l.usage = 'internal'",
                           [winner.sale_order_id.order_line.product_id.id])
                self.assertEqual(cr.fetchone(), (1.0, 1.0), "one unit, reserved once")

    def test_two_workers_with_enough_stock_both_confirm(self):
        buyers = [("Ірина Коваль", "+380671110003"), ("Тарас Мельник", "+380671110004")]
        with self.committed_orders(2, buyers) as (db, _channel_id, order_ids):
            results = self.in_threads(db, *(self.process(oid) for oid in order_ids))
            self.assertTrue(all(isinstance(r, str) for r in results), results)
            with db.cursor() as cr:
                env = api.Environment(cr, self.env.uid, {})
                orders = env["omni.external.order"].browse(order_ids)
                self.assertEqual(orders.mapped("state"), ["imported", "imported"])
                self.assertEqual(orders.sale_order_id.mapped("state"), ["sale", "sale"])
