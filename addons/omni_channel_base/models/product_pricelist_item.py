from odoo import api, models


class ProductPricelistItem(models.Model):
    _inherit = "product.pricelist.item"

    def _omni_touch_channels(self):
        pricelists = self.pricelist_id
        # a rule based on another pricelist moves the prices of those built on it
        parents = self.env["product.pricelist.item"].search(
            [("base", "=", "pricelist"), ("base_pricelist_id", "in", pricelists.ids)]
        ).pricelist_id
        channels = self.env["omni.channel"].sudo().search(
            [("pricelist_id", "in", (pricelists | parents).ids)]
        )
        if channels:
            self.env["omni.product.binding"]._omni_all_of_channels(channels, ("price",))

    @api.model_create_multi
    def create(self, vals_list):
        items = super().create(vals_list)
        items._omni_touch_channels()
        return items

    def write(self, vals):
        if "pricelist_id" in vals:
            self._omni_touch_channels()
        res = super().write(vals)
        self._omni_touch_channels()
        return res

    def unlink(self):
        self._omni_touch_channels()
        return super().unlink()
