"""Rozetka channels on the base's test case: channel A is Rozetka, B a generic marketplace."""

from odoo.tests import tagged

from odoo.addons.omni_channel_base.tests.common import OmniChannelCase

from omni_sandbox.generic import GenericChannelSimulator
from omni_sandbox.rozetka import RozetkaSimulator


@tagged("post_install", "-at_install")
class RozetkaChannelCase(OmniChannelCase):
    """``self.channels[0]`` talks to a RozetkaSimulator; the others to generic ones."""

    channel_count = 2
    channel_type = "rozetka"
    simulator_class = RozetkaSimulator

    @classmethod
    def _omni_make_simulator(cls, index):
        if index == 0:
            return RozetkaSimulator(password="Pa55-word-rz-7")
        return GenericChannelSimulator(api_key=f"secret-key-{index}-x9")

    @classmethod
    def _omni_channel_vals(cls, index, sim):
        vals = {
            "name": f"Channel {chr(65 + index)}",
            "warehouse_ids": [(6, 0, cls.warehouse.ids)],
            "pricelist_id": cls.pricelist.id,
            "sync_delay": 1,
            "order_poll_interval": 0,  # tests import when they choose to
        }
        if isinstance(sim, RozetkaSimulator):
            vals.update(channel_type="rozetka", rozetka_api_url=sim.url,
                        rozetka_login=sim.username, rozetka_password=sim.password)
        else:
            vals.update(channel_type="generic", api_url=sim.url, api_key=sim.api_key)
        return vals

    @classmethod
    def _omni_sim_add_offer(cls, sim, product):
        if isinstance(sim, RozetkaSimulator):
            # as the seller's feed listed it: priced, no stock yet
            sim.add_item(product.default_code, product.name, quantity=0,
                         price=product.list_price, barcode=product.barcode or "")
        else:
            sim.add_offer(product.default_code, quantity=0, price="1.00")

    def setUp(self):
        super().setUp()
        self.channel, self.sim = self.channels[0], self.sims[0]
        self.other_channel, self.other_sim = self.channels[1], self.sims[1]
