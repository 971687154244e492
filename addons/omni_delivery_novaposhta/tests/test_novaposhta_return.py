from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import NovaPoshtaCase


@tagged("post_install", "-at_install")
class TestNovaPoshtaReturn(NovaPoshtaCase):
    def _shipped(self, steps):
        delivery = self.make_picking()
        delivery.button_validate()
        self.sim.advance(delivery.carrier_tracking_ref, steps)
        return delivery

    def _return_picking(self, delivery):
        wizard = self.env["stock.return.picking"].with_context(
            active_id=delivery.id, active_ids=delivery.ids, active_model="stock.picking",
        ).create({})
        wizard.product_return_moves.quantity = 1
        action = wizard.action_create_returns()
        return self.env["stock.picking"].browse(action["res_id"])

    def _open_wizard(self, picking):
        action = picking.action_omni_np_return()
        return self.env[action["res_model"]].browse(action["res_id"])

    def test_return_order_for_a_return_picking_with_the_reason(self):
        delivery = self._shipped(4)  # at the branch: the buyer refuses it
        returned = self._return_picking(delivery)
        self.assertEqual(returned.np_return_source_id, delivery)
        self.assertTrue(returned.np_can_return)
        wizard = self._open_wizard(returned)
        reasons = self.account.return_reason_ids
        self.assertEqual(len(reasons), 3, "NP's reasons with their subtypes, cached")
        reason = reasons.filtered(lambda r: "Відмова" in r.name)
        wizard.write({"reason_id": reason.id, "note": "Не підійшов колір"})
        wizard.action_confirm()
        self.assertEqual(returned.np_return_state, "queued")
        self.assertFalse(self.sim.return_orders, "made in a job, not in the click")
        self.assertEqual(self.run_np_jobs(), 1)
        order = next(iter(self.sim.return_orders.values()))
        self.assertEqual((order["Reason"], order["SubtypeReason"], order["Note"]),
                         (reason.reason_ref, reason.subtype_ref, "Не підійшов колір"))
        self.assertEqual(order["DocumentNumber"], delivery.carrier_tracking_ref)
        self.assertEqual(returned.np_return_state, "done")
        self.assertEqual(returned.np_return_order_number, order["OrderNumber"])
        self.assertEqual(returned.carrier_tracking_ref, order["ExpressWaybillNumber"])
        self.assertEqual(returned.np_return_reason_id, reason)
        self.assertFalse(returned.np_can_return)
        for picking in (returned, delivery):
            self.assertTrue(picking.message_ids.filtered(
                lambda m, n=order["OrderNumber"]: n in (m.body or "")))
        self.sim.requests.clear()
        self._shipped(4)  # a second return: the reasons come from the cache
        self.account._omni_np_return_reasons()
        self.assertFalse([r for r in self.sim.requests if "getReturnReasons" in r["body"]])

    def test_return_from_the_delivery_when_np_makes_the_ttn_later(self):
        delivery = self._shipped(5)  # received; the buyer sends it back
        wizard = self._open_wizard(delivery)
        self.assertEqual(wizard.picking_id, delivery)
        wizard.action_confirm()
        self.run_np_jobs()
        self.assertTrue(delivery.np_return_order_number.startswith("102-"))
        self.assertFalse(delivery.np_return_ttn)
        self.assertEqual(len(delivery.carrier_tracking_ref), 14, "the TTN is kept")

    def test_np_refusing_gives_the_message_and_nothing_half_done(self):
        delivery = self._shipped(2)  # still on the way: NP will not take a return
        returned = self._return_picking(delivery)
        with self.assertRaisesRegex(UserError, "will not take back the parcel"):
            returned.action_omni_np_return()
        self.assertFalse(self.env["omni.np.return.wizard"].search([]))
        self.assertFalse(returned.np_return_state)
        self.assertFalse(self.sim.return_orders)
        self.assertFalse(self.env["queue.job"].search(
            [("identity_key", "=like", "omni_np:%return%")]))

    def test_refusal_in_the_job_stays_on_the_picking_with_a_retry(self):
        delivery = self._shipped(4)
        returned = self._return_picking(delivery)
        wizard = self._open_wizard(returned)
        wizard.action_confirm()
        # the storage period ran out before the job ran
        self.sim.documents[delivery.carrier_tracking_ref]["updated"] = "01-01-2000 10:00:00"
        self.run_np_jobs()
        self.assertEqual(returned.np_return_state, "failed")
        self.assertIn(delivery.carrier_tracking_ref, returned.np_return_error)
        self.assertFalse(returned.np_return_order_number)
        self.assertFalse(returned.carrier_tracking_ref)
        self.assertFalse(self.sim.return_orders)
        self.sim.documents[delivery.carrier_tracking_ref].pop("updated")
        returned.action_omni_np_return_retry()
        self.run_np_jobs()
        self.assertEqual(returned.np_return_state, "done")

    def test_rights_checked_on_the_server(self):
        delivery = self._shipped(4)
        user = self.env["res.users"].create({
            "name": "Sales only", "login": "np-return-sales",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
        })
        with self.assertRaises(AccessError):
            delivery.with_user(user).action_omni_np_return()
        self.assertFalse(self.sim.requests and [
            r for r in self.sim.requests if "CheckPossibility" in r["body"]])
