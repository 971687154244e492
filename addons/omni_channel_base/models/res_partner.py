from odoo import api, fields, models
from odoo.exceptions import UserError

from omni_connectors.core import errors as cerr
from omni_connectors.core.phone import normalize_email, normalize_phone


class ResPartner(models.Model):
    _inherit = "res.partner"

    omni_phone = fields.Char(
        "Normalized Phone",
        compute="_compute_omni_phone",
        store=True,
        index=True,
        help="The phone in international form (+380...), used to recognise the same "
        "buyer across channels.",
    )
    omni_refused_count = fields.Integer(
        "Refused Parcels",
        readonly=True,
        help="Parcels this customer refused or sent back, counted from the carrier's tracking.",
    )
    omni_channel_ids = fields.Many2many(
        "omni.channel", compute="_compute_omni_channel_ids", string="Buys On"
    )

    @api.depends("phone")
    def _compute_omni_phone(self):
        for partner in self:
            try:
                partner.omni_phone = normalize_phone(partner.phone) if partner.phone else False
            except cerr.OmniConnectorError:
                partner.omni_phone = False

    def _compute_omni_channel_ids(self):
        groups = dict(
            self.env["sale.order"]._read_group(
                [("partner_id", "in", self.ids), ("omni_channel_id", "!=", False)],
                ["partner_id"],
                ["omni_channel_id:array_agg"],
            )
        )
        for partner in self:
            partner.omni_channel_ids = [(6, 0, list(set(groups.get(partner, []))))]

    @api.model
    def _omni_customer_name(self, customer):
        """The buyer's name as Ukrainian documents write it: surname, name, patronymic.

        The one rule for every channel and carrier; a channel that sends the
        name whole keeps its own spelling.
        """
        if customer.name and customer.name.strip():
            return " ".join(customer.name.split())
        parts = (customer.last_name, customer.first_name, customer.middle_name)
        return " ".join(part.strip() for part in parts if part and part.strip())

    @api.model
    def _omni_find_or_create(self, customer):
        """One profile per person: match by phone (+380...), then e-mail, else create."""
        if not (customer.phone or customer.email):
            raise UserError(
                self.env._(
                    "The order has neither a phone nor an e-mail of the buyer. Choose "
                    "the customer on this order, then press Retry."
                )
            )
        try:
            phone = normalize_phone(customer.phone) if customer.phone else ""
        except cerr.OmniConnectorError as err:
            raise UserError(
                self.env._(
                    "The buyer's phone number %(phone)s is not valid. Choose the "
                    "customer on this order (or have the number corrected on the "
                    "channel), then press Retry.",
                    phone=customer.phone,
                )
            ) from err
        try:
            email = normalize_email(customer.email) if customer.email else ""
        except cerr.OmniConnectorError:
            email = ""  # a bad e-mail does not stop an order that has a phone
            if not phone:
                raise UserError(
                    self.env._(
                        "The buyer's e-mail %(email)s is not valid and there is no phone. "
                        "Choose the customer on this order, then press Retry.",
                        email=customer.email,
                    )
                ) from None
        partner = self.browse()
        if phone:
            partner = self.search([("omni_phone", "=", phone)], order="id", limit=1)
        if not partner and email:
            partner = self.search([("email", "=ilike", email)], order="id", limit=1)
        name = self._omni_customer_name(customer) or phone or email
        if partner:
            partner = partner.commercial_partner_id if partner.parent_id else partner
            missing = {}
            if email and not partner.email:
                missing["email"] = email
            if phone and not partner.phone:
                missing["phone"] = phone
            if missing:
                partner.write(missing)
            return partner
        partner = self.create({"name": name, "phone": phone or False, "email": email or False})
        # a concurrent import of the same new buyer collides here and is replayed
        self.env["omni.customer.key"].sudo()._omni_claim(
            self.env["omni.customer.key"]._omni_keys(phone, email), partner
        )
        return partner
