from odoo.tests import tagged

from .common import NovaPoshtaCase


@tagged("post_install", "-at_install")
class TestNovaPoshtaCosts(NovaPoshtaCase):
    def ship(self, **carrier_vals):
        self.carrier.write(carrier_vals)
        picking = self.make_picking()
        picking.button_validate()
        return picking

    def track(self, picking, steps, script=None):
        self.sim.advance(picking.carrier_tracking_ref, steps, script=script)
        self.account._omni_np_track()

    def test_waybill_cost_stored_when_the_sender_pays(self):
        by_sender = self.ship(novaposhta_payer="sender")
        self.assertEqual((by_sender.np_payer, by_sender.np_waybill_cost), ("sender", 70.0))
        self.assertEqual(by_sender.sale_id.omni_delivery_cost, 70.0)
        by_recipient = self.ship(novaposhta_payer="recipient")
        self.assertEqual(by_recipient.np_waybill_cost, 70.0)
        self.assertEqual(by_recipient.sale_id.omni_delivery_cost, 0.0)
        # a later change of the shipping method does not rewrite the stored cost
        self.carrier.novaposhta_payer = "recipient"
        self.track(by_sender, 5)
        self.assertEqual(by_sender.sale_id.omni_delivery_cost, 70.0)

    def test_refused_parcel_costs_the_sender_both_ways(self):
        picking = self.ship(novaposhta_payer="recipient", novaposhta_return_cost_percent=100)
        self.assertEqual(picking.sale_id.omni_delivery_cost, 0.0)
        self.track(picking, 5, script="refused")
        self.assertEqual(picking.np_state, "refused")
        self.assertEqual(picking.np_seller_cost, 140.0)
        self.assertEqual(picking.sale_id.omni_delivery_cost, 140.0)
        self.track(picking, 5)  # back with the sender: counted once
        self.assertEqual(picking.sale_id.omni_delivery_cost, 140.0)

    def test_cod_fee_by_tariff_when_the_sender_pays_it(self):
        picking = self.ship(novaposhta_cod_payer="sender", novaposhta_cod_fee_percent=1.5,
                            novaposhta_cod_fee_fixed=10.0)
        self.track(picking, 5)
        self.assertEqual(picking.np_cod_collected, 1200)
        self.assertEqual(picking.np_cod_fee, 28.0)  # 1.5 % of 1200 + 10
        self.assertEqual(picking.sale_id.omni_cod_fee, 28.0)
        by_recipient = self.ship(novaposhta_cod_payer="recipient")
        self.track(by_recipient, 5)
        self.assertEqual(by_recipient.sale_id.omni_cod_fee, 0.0)

    def test_money_transfer_fee_as_nova_poshta_reports_it(self):
        self.sim.options["CanMoneyTransfer"] = True
        picking = self.ship(novaposhta_cod_mode="money_transfer", novaposhta_cod_payer="sender",
                            novaposhta_cod_fee_percent=1.0, novaposhta_cod_fee_fixed=0.0)
        self.track(picking, 5)
        self.assertEqual(picking.sale_id.omni_cod_fee, 12.0, "estimated until NP reports it")
        self.track(picking, 2)
        self.assertEqual(picking.np_status_code, "11")
        self.assertEqual(picking.sale_id.omni_cod_fee, 44.0)  # 20 + 2 % of 1200
