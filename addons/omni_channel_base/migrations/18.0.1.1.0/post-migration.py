from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Channel prices now include the taxes the buyer pays (``prices_include_tax``).

    Prices sent before left out the taxes a product price does not include:
    send every price of those channels again.
    """
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    channels = env["omni.channel"].search([("prices_include_tax", "=", True)])
    env["omni.product.binding"]._omni_all_of_channels(channels, ("price",))
