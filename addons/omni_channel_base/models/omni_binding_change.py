from odoo import fields, models


class OmniBindingChange(models.Model):
    """A change of a product that a channel has not been sent yet.

    Users' transactions only ever INSERT here (one row per channel and
    product changed); push jobs read the rows of their channel and delete
    those they sent, up to the highest id they read, so a change that
    arrives during a push survives for the next one (compare-and-set by id).
    Inserts never conflict with the jobs' writes, whatever the isolation
    level, which keeps stock moves from ever waiting on a push.

    The table has no foreign keys on purpose (a key check would lock the
    binding the job is updating); rows of removed bindings are ignored and
    cleaned up by the sweeper.
    """

    _name = "omni.binding.change"
    _description = "Change Waiting to Be Sent"
    _auto = False
    _log_access = False
    _order = "id"

    channel_id = fields.Many2one("omni.channel", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    kind = fields.Selection([("stock", "Stock"), ("price", "Price")], readonly=True)

    def init(self):
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS omni_binding_change (
                id bigserial PRIMARY KEY,
                channel_id integer NOT NULL,
                product_id integer NOT NULL,
                kind varchar NOT NULL
            );
            CREATE INDEX IF NOT EXISTS omni_binding_change_channel_kind_idx
                ON omni_binding_change (channel_id, kind, product_id, id);
            CREATE INDEX IF NOT EXISTS omni_binding_change_channel_product_idx
                ON omni_binding_change (channel_id, product_id);
            """
        )
