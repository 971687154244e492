from odoo import fields, models


class OmniProductBinding(models.Model):
    _inherit = "omni.product.binding"

    rozetka_managed_by_feed = fields.Boolean(
        "Managed by Price List",
        readonly=True,
        copy=False,
        help="Rozetka takes this offer's stock and price from the seller's price-list "
        "feed: what Odoo sends is overwritten at the next feed import unless the source "
        "is switched to 'managed by API' in the seller cabinet.",
    )
