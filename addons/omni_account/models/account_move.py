from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    omni_fee_kind = fields.Selection(
        [
            ("omni_commission", "Marketplace commission"),
            ("omni_cod_fee", "Cash-on-delivery fee"),
            ("omni_acquiring_fee", "Acquiring fee"),
        ],
        "Channel Fee", readonly=True, copy=False,
    )


class AccountMove(models.Model):
    _inherit = "account.move"

    omni_sale_order_id = fields.Many2one(
        "sale.order", "Channel Order", index="btree_not_null", readonly=True, copy=False,
        help="The sales order whose money or fees this entry books.",
    )
    omni_is_fee = fields.Boolean(
        "Channel Fees", readonly=True, copy=False,
        help="Books a channel order's commission and fees on its clearing account.",
    )
    omni_picking_id = fields.Many2one(
        "stock.picking", "Delivery", index="btree_not_null", readonly=True, copy=False,
        help="The delivery whose validation invoiced the order, or the refused parcel a "
        "credit note reverses.",
    )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        if not self.env.context.get("omni_books_booking"):
            orders = posted.filtered(
                lambda m: m.move_type in ("out_invoice", "out_refund")
            ).line_ids.sale_line_ids.order_id.filtered("omni_payment_ids")
            if orders:
                orders.sudo().with_context(omni_books_booking=True)._omni_reconcile_booked()
        return posted
