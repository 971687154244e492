from odoo import fields, models


class OmniChannel(models.Model):
    _inherit = "omni.channel"

    omni_website_ids = fields.One2many("website", "omni_channel_id", string="Odoo Websites")

    def _omni_odoo_websites(self):
        """The channels that stand for an Odoo website: their stock is Odoo's own."""
        return self.filtered(lambda c: c.channel_type == "shop" and c.sudo().omni_website_ids)

    def _omni_enqueue(self, kind):
        """Nothing is ever pushed to an Odoo website: it reads Odoo's stock itself.
        Its price-list feeds, if it has any, still follow the changes."""
        websites = self._omni_odoo_websites()
        self.env["omni.shop.feed"].sudo().search(
            [("channel_id", "in", websites.ids)])._omni_enqueue_build()
        return super(OmniChannel, self - websites)._omni_enqueue(kind)

    def _omni_push_stock(self):
        if self._omni_odoo_websites():
            return "an Odoo website reads Odoo's stock itself"
        return super()._omni_push_stock()

    def _omni_push_prices(self):
        if self._omni_odoo_websites():
            return "an Odoo website reads Odoo's prices itself"
        return super()._omni_push_prices()
