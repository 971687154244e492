"""The commission, KATOTTG and service type of channel orders moved to the base.

KATOTTG, service type and the sale orders' commission kept their column
names. The commission Prom reported on the channel order was
``prom_commission`` / ``prom_commission_refunded``; it is now the base's
``channel_commission`` / ``channel_commission_refunded``: copied over, and the
sale orders that carry a commission are marked as reported by the channel.
"""

from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version:
        return
    if column_exists(cr, "omni_external_order", "prom_commission"):
        cr.execute(
            """
            UPDATE omni_external_order
               SET channel_commission = prom_commission,
                   channel_commission_refunded = COALESCE(prom_commission_refunded, FALSE)
             WHERE prom_commission IS NOT NULL AND prom_commission != 0
            """
        )
    cr.execute(
        """
        UPDATE sale_order so
           SET omni_commission_source = 'channel'
          FROM omni_channel ch
         WHERE so.omni_channel_id = ch.id AND ch.channel_type = 'prom'
           AND so.omni_commission IS NOT NULL AND so.omni_commission != 0
           AND so.omni_commission_source IS NULL
        """
    )
