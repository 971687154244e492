from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from .common import OmniBooksCase


@tagged("post_install", "-at_install")
class TestPayoutHostileInput(OmniBooksCase):
    """Whatever a bank line or a registry says, matching never books what does not
    add up: it proposes nothing or leaves the line with a reason."""

    def setUp(self):
        super().setUp()
        self.sold = self.order(500.00, cod_fee=10.00)
        self.deliver(self.sold)
        self.collect(self.sold, 500.00)

    @settings(max_examples=6, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        label=st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                      max_size=120),
        amount=st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False,
                           allow_infinity=False),
    )
    def test_any_bank_line(self, label, amount):
        amount = float(amount) or 0.01
        with self.env.cr.savepoint() as sp:
            st_line = self.bank_line(amount, f"{label} {self.sold.name}")
            st_line.action_omni_match_payout()
            self.assertIn(st_line.omni_payout_state, ("matched", "unmatched", "partial"))
            if abs(amount - 490.00) > self.cod_route.payout_tolerance:
                self.assertNotEqual(st_line.omni_payout_state, "matched")
                self.assertTrue(st_line.omni_payout_reason)
            st_line.action_omni_confirm_payout()
            if st_line.omni_payout_state != "reconciled":
                self.assertEqual(self.clearing(self.cod_route, self.sold), 490.00)
            sp.rollback()
        self.env.invalidate_all()

    @settings(max_examples=5, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(ref=st.text(alphabet=st.characters(blacklist_characters=',"\r\n\x00',
                                                 blacklist_categories=("Cs",)), min_size=1,
                       max_size=40).filter(str.strip),
           amount=st.text(max_size=12))
    def test_any_registry_row(self, ref, amount):
        with self.env.cr.savepoint() as sp:
            st_line = self.bank_line(490.00, "registry")
            try:
                self.import_registry(st_line, [(ref, amount)])
            except Exception as err:  # noqa: BLE001 - any refusal must be a clear one
                self.assertEqual(type(err).__name__, "UserError", str(err))
                self.assertFalse(st_line.omni_payout_line_ids)
            else:
                self.assertIn(st_line.omni_payout_state, ("unmatched", "partial", "matched"))
            sp.rollback()
        self.env.invalidate_all()
