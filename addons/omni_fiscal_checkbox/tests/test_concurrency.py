"""The same trigger in two jobs at once, with real cursors in threads: one receipt.

As in omni_channel_base's test_backend: the data is committed, each job runs
in a thread and a transaction of its own (not marked as testing, so writes
meant for a transaction of their own really commit), then everything is
removed.
"""


from odoo import api, sql_db
from odoo.tests import tagged

from .common import CheckboxCase


@tagged("post_install", "-at_install")
class TestOneReceiptUnderConcurrency(CheckboxCase):
    def committed_order(self):
        db = sql_db.db_connect(self.env.cr.dbname)
        with db.cursor() as cr:
            env = api.Environment(cr, self.env.uid, {"tracking_disable": True})
            register = env["omni.checkbox.register"].create({
                "name": "Concurrent register", "api_url": self.cbx.url,
                "license_key": "test-license-key", "cashier_pin": "1234", "is_default": True,
            })
            partner = env["res.partner"].create({"name": "Concurrent buyer"})
            product = env["product.product"].create(
                {"name": "Concurrent good", "default_code": "CONC-1", "list_price": 250.0,
                 "taxes_id": [(6, 0, [])]}
            )
            order = env["sale.order"].create({
                "partner_id": partner.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1,
                                       "tax_id": [(6, 0, [])]})],
            })
            ids = {"register": register.id, "partner": partner.id, "product": product.id,
                   "template": product.product_tmpl_id.id, "order": order.id}
        return db, ids

    def cleanup(self, db, ids):
        with db.cursor() as cr:
            cr.execute("SELECT id FROM omni_fiscal_receipt WHERE register_id = %s",
                       [ids["register"]])
            receipt_ids = [row[0] for row in cr.fetchall()]
            cr.execute("DELETE FROM ir_attachment WHERE res_model = 'omni.fiscal.receipt'"
                       " AND res_id = ANY(%s)", [receipt_ids])
            cr.execute("DELETE FROM mail_message WHERE (model = 'omni.fiscal.receipt'"
                       " AND res_id = ANY(%s)) OR (model = 'sale.order' AND res_id = %s)",
                       [receipt_ids, ids["order"]])
            cr.execute("DELETE FROM omni_fiscal_receipt WHERE register_id = %s",
                       [ids["register"]])
            cr.execute("DELETE FROM omni_checkbox_shift WHERE register_id = %s",
                       [ids["register"]])
            for table in ("omni_sync_event", "omni_channel_token"):
                cr.execute(f"DELETE FROM {table} WHERE backend_model = 'omni.checkbox.register'"  # noqa: S608
                           " AND backend_id = %s", [ids["register"]])
            cr.execute("DELETE FROM queue_job WHERE identity_key LIKE %s",
                       [f"omni_fiscal:{ids['register']}:%"])
            cr.execute("DELETE FROM omni_checkbox_register WHERE id = %s", [ids["register"]])
            cr.execute("DELETE FROM sale_order_line WHERE order_id = %s", [ids["order"]])
            cr.execute("DELETE FROM sale_order WHERE id = %s", [ids["order"]])
            cr.execute("DELETE FROM product_product WHERE id = %s", [ids["product"]])
            cr.execute("DELETE FROM product_template WHERE id = %s", [ids["template"]])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [ids["partner"]])

    def test_same_trigger_twice_at_once_gives_one_receipt(self):
        db, ids = self.committed_order()
        self.addCleanup(self.cleanup, db, ids)
        self.cbx.open_shift_now("cashier")

        def trigger(env):
            return env["sale.order"].browse(ids["order"])._omni_fiscal_sell("cod").id

        first = self.in_threads(db, trigger, trigger)
        with db.cursor() as cr:
            cr.execute("SELECT id FROM omni_fiscal_receipt WHERE sale_order_id = %s",
                       [ids["order"]])
            receipts = [row[0] for row in cr.fetchall()]
        self.assertEqual(len(receipts), 1, first)
        self.assertIn(receipts[0], first, "one job made it")
        self.assertTrue(any(isinstance(r, Exception) for r in first),
                        "the other job failed and is retried")

        # both jobs of that receipt run at once; the register answers slowly
        self.cbx.faults.add("latency", path="/api/v1/receipts/sell", seconds=0.5)

        def send(env):
            return env["omni.fiscal.receipt"].browse(receipts[0])._omni_send()

        second = self.in_threads(db, send, send)
        self.assertEqual(len(self.cbx.receipts_by_status()), 1, second)
        sell_posts = [r for r in self.cbx.requests if r["path"] == "/api/v1/receipts/sell"]
        self.assertEqual(len(sell_posts), 1, "the second job did not even send it")
        # the retry of the job that lost: nothing more
        (third,) = self.in_threads(db, send)
        self.assertEqual(third, "done already")
        with db.cursor() as cr:
            cr.execute("SELECT state, fiscal_code FROM omni_fiscal_receipt WHERE id = %s",
                       receipts)
            state, code = cr.fetchone()
        self.assertEqual(state, "done")
        self.assertTrue(code)
