"""Real concurrent transactions: users and sync jobs never make each other fail.

Odoo runs every transaction at REPEATABLE READ: a transaction that updates a
row another one changed after its start fails. These tests commit their data
in cursors of their own (and delete it afterwards) to play both sides.
"""

from contextlib import contextmanager

from odoo import api, fields, sql_db
from odoo.tests import tagged
from odoo.tools import SQL

from .common import OmniChannelCase


@tagged("post_install", "-at_install")
class TestConcurrency(OmniChannelCase):
    channel_count = 1
    product_count = 1

    @contextmanager
    def committed_binding(self):
        db = sql_db.db_connect(self.env.cr.dbname)
        with db.cursor() as cr:
            env = api.Environment(cr, self.env.uid, {})
            channel = env["omni.channel"].create(
                {"name": "Concurrency", "channel_type": "generic", "api_url": self.sims[0].url}
            )
            product = env["product.product"].create(
                {"name": "Concurrent", "default_code": "CONC-1", "is_storable": True}
            )
            binding = env["omni.product.binding"].create(
                {"channel_id": channel.id, "product_id": product.id}
            )
            ids = channel.id, product.id, binding.id
        try:
            yield db, ids
        finally:
            with db.cursor() as cr:
                cr.execute("DELETE FROM omni_binding_change WHERE channel_id = %s", [ids[0]])
                cr.execute("DELETE FROM omni_product_binding WHERE id = %s", [ids[2]])
                cr.execute("DELETE FROM omni_channel_status WHERE channel_id = %s", [ids[0]])
                cr.execute("DELETE FROM queue_job WHERE identity_key LIKE %s",
                           [f"omni:{ids[0]}:%"])
                cr.execute("DELETE FROM omni_channel WHERE id = %s", [ids[0]])
                cr.execute("SELECT product_tmpl_id FROM product_product WHERE id = %s",
                           [ids[1]])
                template_id = cr.fetchone()[0]
                cr.execute("DELETE FROM product_product WHERE id = %s", [ids[1]])
                cr.execute("DELETE FROM product_template WHERE id = %s", [template_id])

    def test_stock_change_commits_although_a_push_recorded_meanwhile(self):
        with self.committed_binding() as (db, (channel_id, product_id, binding_id)):
            with db.cursor() as user_cr:
                user_env = api.Environment(user_cr, self.env.uid, {})
                user_cr.execute("SELECT 1")  # the user's transaction has started
                # a push job records its result on the same binding and commits
                with db.cursor() as job_cr:
                    job_env = api.Environment(job_cr, self.env.uid, {})
                    job_env["omni.product.binding"]._omni_apply_results(
                        "stock", [(binding_id, 2**40, 5, None)]
                    )
                # the user's stock change flags the product and commits
                user_env["omni.product.binding"]._omni_note_changes(
                    "stock", SQL("b.product_id = ANY(%s)", [product_id])
                )
                user_cr.commit()
            with db.cursor() as cr:
                cr.execute("SELECT last_qty FROM omni_product_binding WHERE id = %s",
                           [binding_id])
                self.assertEqual(cr.fetchone()[0], 5)
                cr.execute(
                    "SELECT count(*) FROM omni_binding_change "
                    "WHERE channel_id = %s AND kind = 'stock'", [channel_id])
                self.assertEqual(cr.fetchone()[0], 1, "the user's change waits to be sent")

    def test_order_import_commits_although_a_push_stamped_meanwhile(self):
        with self.committed_binding() as (db, (channel_id, _product_id, _binding_id)):
            with db.cursor() as import_cr:
                import_env = api.Environment(import_cr, self.env.uid, {})
                channel = import_env["omni.channel"].browse(channel_id)
                import_cr.execute("SELECT 1")
                with db.cursor() as push_cr:
                    push_env = api.Environment(push_cr, self.env.uid, {})
                    push_env["omni.channel"].browse(channel_id)._omni_note_success("stock")
                channel._omni_note_success("orders", cursor="42")
                import_cr.commit()
            with db.cursor() as cr:
                env = api.Environment(cr, self.env.uid, {})
                channel = env["omni.channel"].browse(channel_id)
                self.assertEqual(channel.order_cursor, "42")
                self.assertTrue(channel.last_stock_push)
                self.assertLessEqual(channel.last_order_import, fields.Datetime.now())
