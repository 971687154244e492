from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import OmniBooksCase


@tagged("post_install", "-at_install")
class TestPayouts(OmniBooksCase):
    def _collected(self, price, commission=0.0, cod_fee=0.0, ext=None):
        order = self.order(price, commission=commission, cod_fee=cod_fee, ext=ext)
        self.deliver(order)
        self.collect(order, price)
        return order

    def test_cod_payout_by_reference_clears_to_zero(self):
        one = self._collected(1000.00, commission=50.00, cod_fee=20.30)
        two = self._collected(450.50, cod_fee=9.01, ext="PROM-7788")
        net = 929.70 + 441.49
        st_line = self.bank_line(net, f"Nova Poshta payout: {one.name}, PROM-7788")
        st_line.action_omni_match_payout()
        self.assertEqual(st_line.omni_payout_state, "matched", st_line.omni_payout_reason)
        self.assertEqual(st_line.omni_money_route_id, self.cod_route)
        self.assertEqual(set(st_line.omni_payout_line_ids.sale_order_id.ids), {one.id, two.id})
        # the proposal is in the reconciliation widget; nothing booked yet
        self.assertFalse(st_line.is_reconciled)
        self.assertTrue(st_line.reconcile_data_info["data"])
        st_line.action_omni_confirm_payout()
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(st_line.omni_payout_state, "reconciled")
        self.assertEqual(self.clearing(self.cod_route, one), 0.0)
        self.assertEqual(self.clearing(self.cod_route, two), 0.0)
        self.assertEqual(self.clearing(self.cod_route), 0.0, "the clearing account is at 0")
        self.assertEqual(one.invoice_ids.payment_state, "paid")
        self.assertEqual(two.invoice_ids.payment_state, "paid")
        self.assertTrue((one | two).omni_payment_ids.mapped("is_matched") == [True, True])

    def test_payers_line_matched_when_it_arrives(self):
        order = self._collected(700.00, cod_fee=14.00)
        st_line = self.bank_line(686.00, f"Nova Poshta {order.name}")
        self.assertEqual(st_line.omni_payout_state, "matched", "proposed at once")
        self.assertFalse(st_line.is_reconciled, "the accountant confirms")
        other = self.bank_line(-5000.00, f"Rent {order.name}", partner=self.buyer)
        self.assertFalse(other.omni_payout_state, "not a payer's line: left alone")

    def test_widget_proposes_the_clearing_lines_by_itself(self):
        """The route's reconciliation model: the OCA widget, opened on a bank line the
        addon did not match, proposes the order's open clearing lines."""
        order = self._collected(420.00, cod_fee=8.40)
        st_line = self.bank_line(411.60, f"{order.name}", partner=self.buyer).with_context(
            omni_no_payout_match=True)
        self.assertFalse(st_line.omni_payout_state)
        data = st_line.reconcile_data_info["data"]
        proposed = [line for line in data if line["kind"] == "other"]
        clearing = self.cod_route.clearing_account_id.id
        self.assertTrue(proposed)
        self.assertEqual({line["account_id"][0] for line in proposed}, {clearing})

    def test_difference_within_tolerance_booked(self):
        order = self._collected(500.00, cod_fee=10.00)
        st_line = self.bank_line(489.60, f"payout {order.name}")
        st_line.action_omni_match_payout()
        self.assertEqual(st_line.omni_payout_state, "matched")
        st_line.action_omni_confirm_payout()
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(self.clearing(self.cod_route, order), 0.0)
        diff = st_line.move_id.line_ids.filtered(
            lambda line: line.account_id == self.cod_route.commission_account_id)
        self.assertEqual(diff.balance, 0.40)

    def test_difference_beyond_tolerance_not_matched(self):
        order = self._collected(500.00, cod_fee=10.00)
        st_line = self.bank_line(480.00, f"payout {order.name}")
        st_line.action_omni_match_payout()
        self.assertEqual(st_line.omni_payout_state, "unmatched")
        self.assertIn("490.00", st_line.omni_payout_reason)
        self.assertEqual(st_line.omni_payout_line_ids.state, "unmatched")

    def test_registry_matches_two_of_three(self):
        a = self._collected(1000.00, commission=50.00, cod_fee=20.30)
        b = self._collected(250.00, cod_fee=5.00)
        c = self._collected(333.33, cod_fee=6.67)
        # the payer reports c at 10.00 more than the clearing account holds
        rows = [(a.name, "929.70"), (b.name, "245.00"), (c.name, "336.66")]
        st_line = self.bank_line(929.70 + 245.00 + 336.66, "Nova Poshta registry PAY-1")
        self.import_registry(st_line, rows)
        self.assertEqual(st_line.omni_payout_state, "partial")
        lines = st_line.omni_payout_line_ids
        self.assertEqual(lines.mapped("state"), ["matched", "matched", "unmatched"])
        bad = lines.filtered(lambda p: p.state == "unmatched")
        self.assertEqual(bad.sale_order_id, c)
        self.assertIn("336.66", bad.reason)
        self.assertIn("326.66", bad.reason)
        st_line.action_omni_confirm_payout()
        self.assertEqual(self.clearing(self.cod_route, a), 0.0)
        self.assertEqual(self.clearing(self.cod_route, b), 0.0)
        self.assertEqual(self.clearing(self.cod_route, c), 326.66)
        self.assertEqual(lines.mapped("state"), ["reconciled", "reconciled", "unmatched"])
        self.assertFalse(st_line.is_reconciled, "the rest waits on the suspense account")
        suspense = st_line.move_id.line_ids.filtered(
            lambda line: line.account_id == self.bank.suspense_account_id)
        self.assertEqual(suspense.balance, -336.66)
        self.assertTrue(a.omni_payment_ids.is_matched)
        self.assertFalse(c.omni_payment_ids.is_matched, "c's money is still owed by the payer")

    def test_registry_unknown_and_uncollected_orders(self):
        a = self._collected(100.00)
        waiting = self.order(200.00)  # not collected yet
        st_line = self.bank_line(300.00, "registry")
        self.import_registry(st_line, [(a.name, "100.00"), (waiting.name, "200.00"),
                                ("S-NOPE", "0.01")])
        states = {p.reference: p.reason for p in st_line.omni_payout_line_ids}
        self.assertFalse(states[a.name])
        self.assertIn("Nothing open", states[waiting.name])
        self.assertIn("No such order", states["S-NOPE"])
        self.assertEqual(st_line.omni_payout_state, "partial")

    def test_no_reference_left_with_reason(self):
        st_line = self.bank_line(123.45, "transfer")
        st_line.action_omni_match_payout()
        self.assertEqual(st_line.omni_payout_state, "unmatched")
        self.assertIn("registry", st_line.omni_payout_reason)

    def test_unreadable_registry(self):
        st_line = self.bank_line(10.0, "registry")
        with self.assertRaises(UserError):
            self.import_registry(st_line, [("", "x")])
