from odoo import api, fields, models


class OmniCustomerKey(models.Model):
    """A normalized phone or e-mail, claimed by the customer profile made for it.

    Two orders of one new buyer imported at the same moment (from two
    channels, by two job workers) would each find no customer and each create
    one. Claiming the buyer's keys in this table, which holds each key once,
    makes the second import collide with the first: at Odoo's REPEATABLE READ
    isolation the later transaction fails with a serialization error, the job
    queue replays it, and the replay finds the profile the first one made.
    """

    _name = "omni.customer.key"
    _description = "Customer Matching Key"
    _log_access = False

    key = fields.Char(required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True, readonly=True
    )

    _sql_constraints = [
        ("key_uniq", "unique(key)", "This phone or e-mail is already claimed."),
    ]

    @api.model
    def _omni_keys(self, phone, email):
        return [key for key in (phone and f"phone:{phone}", email and f"email:{email}") if key]

    @api.model
    def _omni_claim(self, keys, partner):
        """Point ``keys`` at ``partner``; collides with a concurrent claim of one of them."""
        if not keys:
            return
        self.env.cr.execute(
            """
            INSERT INTO omni_customer_key (key, partner_id)
            SELECT unnest(%s::varchar[]), %s
            ON CONFLICT (key) DO UPDATE SET partner_id = EXCLUDED.partner_id
            """,
            [keys, partner.id],
            log_exceptions=False,  # a collision is expected and replayed, not a fault
        )
