import hashlib
import hmac
import secrets

from odoo import api, fields, models

#: keys start with this, so that a key pasted by mistake is recognised
KEY_PREFIX = "osk_"
#: the last use is written at most this often (seconds): no write per request
LAST_USED_EVERY = 60


def _hash(key):
    # a key has 256 random bits: a fast hash is as safe as a slow one here
    return hashlib.sha256(key.encode()).hexdigest()


class OmniShopKey(models.Model):
    """An API key of an own shop. Only its hash is stored; the key is shown once."""

    _name = "omni.shop.key"
    _description = "Own Shop API Key"
    _order = "active desc, create_date desc, id desc"

    name = fields.Char(required=True, help="Where the key is used (which site or server).")
    channel_id = fields.Many2one(
        "omni.channel", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    prefix = fields.Char(
        "Starts With", readonly=True, help="The first characters of the key, to recognise it."
    )
    key_hash = fields.Char(readonly=True, copy=False, groups="base.group_system")
    active = fields.Boolean(default=True, readonly=True)
    revoked_date = fields.Datetime("Revoked On", readonly=True, copy=False)
    revoked_uid = fields.Many2one("res.users", "Revoked By", readonly=True, copy=False)
    last_used = fields.Datetime(readonly=True, copy=False)

    _sql_constraints = [("key_hash_uniq", "unique(key_hash)", "This key already exists.")]

    @api.model
    def _omni_generate(self, channel, name):
        """A new key for ``channel``: (record, the key in clear, to show once)."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        record = self.sudo().create({
            "name": name,
            "channel_id": channel.id,
            "prefix": key[:10],
            "key_hash": _hash(key),
        })
        channel.message_post(body=self.env._(
            "API key %(name)s (%(prefix)s…) created.", name=name, prefix=record.prefix))
        return record.sudo(False), key

    @api.model
    def _omni_authenticate(self, channel_id, key):
        """The active key of this channel matching ``key``, or an empty record.

        Looked up by hash; the comparison itself is constant-time.
        """
        if not key or not isinstance(key, str) or not key.startswith(KEY_PREFIX):
            return self.browse()
        digest = _hash(key)
        self.env.cr.execute(
            "SELECT id, key_hash, last_used FROM omni_shop_key"
            " WHERE key_hash = %s AND channel_id = %s AND active",
            [digest, channel_id],
        )
        row = self.env.cr.fetchone()
        if not row or not hmac.compare_digest(row[1], digest):
            return self.browse()
        now = fields.Datetime.now()
        if not row[2] or (now - row[2]).total_seconds() > LAST_USED_EVERY:
            self.env.cr.execute(
                "UPDATE omni_shop_key SET last_used = %s WHERE id = %s", [now, row[0]]
            )
        return self.browse(row[0])

    def action_revoke(self):
        """The key stops working at once; the record stays for the record."""
        for key in self.filtered("active"):
            key.write({"active": False, "revoked_date": fields.Datetime.now(),
                       "revoked_uid": self.env.uid})
            key.channel_id.message_post(body=self.env._(
                "API key %(name)s (%(prefix)s…) revoked.", name=key.name, prefix=key.prefix))
        return True


class OmniShopKeyWizard(models.TransientModel):
    """Creates a key and shows it once, in the dialog only.

    The key travels to the browser as a default value of a new, unsaved
    dialog: it is never written to the database in clear.
    """

    _name = "omni.shop.key.wizard"
    _description = "New Own Shop API Key"

    channel_id = fields.Many2one("omni.channel", required=True)
    name = fields.Char("Used By", required=True, default=lambda self: self.env._("Web shop"))
    key = fields.Char(readonly=True)

    def action_generate(self):
        self.ensure_one()
        _record, key = self.env["omni.shop.key"]._omni_generate(self.channel_id, self.name)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Copy the key now: it is not shown again"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {"default_channel_id": self.channel_id.id,
                        "default_name": self.name, "default_key": key},
        }
