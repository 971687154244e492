from odoo import api, fields, models


class OmniStockClaim(models.Model):
    """One row per product, updated by every order import that reserves it.

    Order-mapping jobs run two at a time. Each checks that the channel's
    warehouses can cover the order, then confirms it, and Odoo reserves the
    stock. Two jobs selling the last unit of a product at the same moment
    would each see the unit free in their own snapshot, and Odoo's
    reservation does not stop the second one (it skips a quant another
    transaction holds and books the reservation on a new one). Claiming the
    products here first makes the two transactions update one row: at Odoo's
    REPEATABLE READ isolation the later one fails with a serialization error,
    the job queue replays it, and the replay sees the first order's
    reservation (and leaves the order "needs attention" if nothing is left).
    """

    _name = "omni.stock.claim"
    _description = "Stock Claim of Order Imports"
    _log_access = False

    product_id = fields.Many2one(
        "product.product", required=True, ondelete="cascade", readonly=True
    )
    claims = fields.Integer(readonly=True)

    _sql_constraints = [
        ("product_uniq", "unique(product_id)", "A product is claimed in one row."),
    ]

    @api.model
    def _omni_claim(self, products):
        """Claim ``products`` until the end of the transaction; collides with a
        concurrent claim of one of them (replayed by the job queue)."""
        product_ids = sorted(set(products.ids))
        if not product_ids:
            return
        # sorted: two claims of several products wait for each other, never deadlock
        self.env.cr.execute(
            """
            INSERT INTO omni_stock_claim AS c (product_id, claims)
            SELECT unnest(%s::int[]), 1
            ON CONFLICT (product_id) DO UPDATE SET claims = c.claims + 1
            """,
            [product_ids],
            log_exceptions=False,  # a collision is expected and replayed, not a fault
        )
