"""A Nova Poshta account: the API key and the sender, a backend on the base's plumbing."""

import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from omni_connectors.core import errors as cerr
from omni_connectors.novaposhta import API_URL, PRINT_URL, NovaPoshtaClient

_logger = logging.getLogger(__name__)

#: rows written per upsert statement
UPSERT_BATCH = 1000
#: days NP's return reasons are kept before they are read again
RETURN_REASONS_MAX_AGE_DAYS = 7


def _number_int(number):
    digits = "".join(ch for ch in number or "" if ch.isdigit())[:9]
    return int(digits) if digits else 0


class OmniNpAccount(models.Model):
    _name = "omni.np.account"
    _inherit = ["omni.backend.mixin", "mail.thread"]
    _description = "Nova Poshta Account"
    _omni_backend_type = "novaposhta"
    _omni_job_namespace = "omni_np"
    _omni_public_system_fields = ("api_url", "print_url")

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    user_id = fields.Many2one(
        "res.users", "Responsible", default=lambda self: self.env.user,
        help="Receives the account's messages, in their language.",
    )
    api_key = fields.Char("API Key", groups="base.group_system", copy=False,
                          help="Business cabinet > Settings > Security.")
    api_url = fields.Char("API URL", groups="base.group_system", default=API_URL)
    print_url = fields.Char("Print URL", groups="base.group_system", default=PRINT_URL,
                            help="The cabinet address that prints waybills and labels.")
    sender_ref = fields.Char(readonly=True, copy=False)
    sender_name = fields.Char("Sender", readonly=True, copy=False)
    contact_id = fields.Many2one(
        "omni.np.sender.contact", "Contact Person", copy=False, tracking=True,
        domain="[('account_id', '=', id)]",
        help="Who hands the parcels over, printed on the waybills with the phone; the list "
        "comes with Load Sender.",
    )
    contact_ids = fields.One2many("omni.np.sender.contact", "account_id", "Contact Persons",
                                  readonly=True)
    contact_ref = fields.Char(readonly=True, copy=False)
    contact_name = fields.Char(readonly=True, copy=False)
    sender_phone = fields.Char(readonly=True, copy=False)
    payment_control_allowed = fields.Boolean(
        readonly=True,
        help="Nova Poshta allows this sender cash on delivery with payment control "
        "(the money goes to the bank account).",
    )
    sender_city_id = fields.Many2one("omni.np.city")
    sender_warehouse_id = fields.Many2one(
        "omni.np.warehouse", "Sender Branch", domain="[('city_id', '=', sender_city_id)]"
    )
    sync_state = fields.Selection(
        [("never", "Never loaded"), ("running", "Loading"), ("done", "Loaded"),
         ("failed", "Failed")],
        "Directory", default="never", readonly=True, copy=False,
    )
    sync_progress = fields.Char("Progress", readonly=True, copy=False)
    sync_date = fields.Datetime("Directory Loaded On", readonly=True, copy=False)
    sync_error = fields.Text("Directory Error", readonly=True, copy=False)
    return_reason_ids = fields.One2many("omni.np.return.reason", "account_id",
                                        "Return Reasons", readonly=True)
    return_reasons_date = fields.Datetime("Return Reasons Loaded On", readonly=True,
                                          copy=False)
    city_count = fields.Integer(compute="_compute_counts")
    warehouse_count = fields.Integer(compute="_compute_counts")

    def _compute_counts(self):
        cities = self.env["omni.np.city"].search_count([])
        warehouses = self.env["omni.np.warehouse"].search_count([])
        for account in self:
            account.city_count = cities
            account.warehouse_count = warehouses

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._omni_np_contact_vals(vals) for vals in vals_list])

    def write(self, vals):
        return super().write(self._omni_np_contact_vals(vals))

    def _omni_np_contact_vals(self, vals):
        """The chosen contact person's ref, name and phone go with it."""
        if "contact_id" in vals:
            contact = self.env["omni.np.sender.contact"].browse(vals["contact_id"])
            vals = dict(vals, contact_ref=contact.ref or False,
                        contact_name=contact.name or False, sender_phone=contact.phone or False)
        return vals

    @api.onchange("contact_id")
    def _onchange_contact_id(self):
        self.update({key: value for key, value in self._omni_np_contact_vals(
            {"contact_id": self.contact_id.id}).items() if key != "contact_id"})

    @api.onchange("sender_city_id")
    def _onchange_sender_city_id(self):
        if self.sender_warehouse_id.city_id != self.sender_city_id:
            self.sender_warehouse_id = False

    # ------------------------------------------------------------------ client
    def _omni_client_novaposhta(self, on_call):
        creds = self.sudo()
        options = self._omni_http_options()
        return NovaPoshtaClient(
            creds.api_key or "",
            base_url=creds.api_url or API_URL,
            print_url=creds.print_url or PRINT_URL,
            on_call=on_call,
            timeout=options["timeout"],
            max_retries=options["max_retries"],
            backoff_base=options["backoff_base"],
            max_inline_wait=options["max_inline_wait"],
            retry_after_cap=options["retry_after_cap"],
            rate_limiter=self._omni_rate_limiter(),
        )

    def _omni_error_messages(self):
        _ = self.env._
        return [
            (cerr.AuthError, _("Nova Poshta (%(name)s) refused the API key: %(error)s")),
            (cerr.RateLimitError, _("Nova Poshta (%(name)s) asked to slow down: %(error)s")),
            (cerr.TransportError, _("Nova Poshta (%(name)s) cannot be reached: %(error)s")),
            (cerr.ValidationError, _("Nova Poshta refused the data: %(error)s")),
            (cerr.PayloadError,
             _("Nova Poshta (%(name)s) answered something unreadable: %(error)s")),
            (ValueError, _("The shipment cannot be sent to Nova Poshta: %(error)s")),
            (Exception, _("Nova Poshta (%(name)s) failed: %(error)s")),
        ]

    def _omni_np_call(self, func, record=None, in_job=False):
        """Run ``func(client)`` in a logged session; connector errors in the user's words."""
        self.ensure_one()
        try:
            with self._omni_session(record=record) as client:
                return func(client)
        except (cerr.OmniConnectorError, ValueError) as err:
            raise self._omni_translate_error(err, in_job) from err

    # ----------------------------------------------------------------- actions
    def action_test_connection(self):
        self.ensure_one()
        with self._omni_session() as client:
            info = client.test_connection()
        return self._omni_notify(
            info.message, "success" if info.ok else "danger",
            self.env._("Connection works") if info.ok else self.env._("Connection failed"),
        )

    def action_load_sender(self):
        """Read the sender counterparty, its contact person and options from Nova Poshta."""
        self.ensure_one()

        def load(client):
            senders = client.counterparties("Sender")
            if not senders:
                raise UserError(self.env._("Nova Poshta lists no sender for this API key."))
            sender = senders[0]
            contacts = client.contact_persons(sender.ref)
            options = client.counterparty_options(sender.ref)
            return sender, contacts, options

        sender, contacts, options = self._omni_np_call(load)
        vals = {
            "sender_ref": sender.ref,
            "sender_name": sender.name,
            "payment_control_allowed": bool(options.get("CanAfterpaymentOnGoodsCost")),
        }
        listed = self._omni_np_store_contacts(contacts)
        if listed and self.contact_id not in listed:
            vals["contact_id"] = listed[0].id
        elif self.contact_id:
            vals["contact_id"] = self.contact_id.id  # its name or phone may have changed
        city = self.env["omni.np.city"].search([("ref", "=", sender.city_ref)], limit=1)
        if city and not self.sender_city_id:
            vals["sender_city_id"] = city.id
        self.write(vals)
        return True

    def _omni_np_return_reasons(self, refresh=False):
        """NP's return reasons (with their subtypes), loaded once and kept for some days."""
        self.ensure_one()
        reasons = self.return_reason_ids
        age = fields.Datetime.now() - (self.return_reasons_date or fields.Datetime.now())
        if reasons and not refresh and age.days < RETURN_REASONS_MAX_AGE_DAYS:
            return reasons

        def load(client):
            return [(reason, client.return_reason_subtypes(reason.ref))
                    for reason in client.return_reasons()]

        pairs = self._omni_np_call(load)
        Reason = self.env["omni.np.return.reason"].sudo()
        known = {(r.reason_ref, r.subtype_ref): r for r in Reason.with_context(
            active_test=False).search([("account_id", "=", self.id)])}
        kept = Reason.browse()
        for reason, subtypes in pairs:
            for subtype in subtypes:
                vals = {"reason_name": reason.name, "subtype_name": subtype.name,
                        "name": f"{reason.name}: {subtype.name}", "active": True}
                record = known.get((reason.ref, subtype.ref))
                if record:
                    record.write(vals)
                else:
                    record = Reason.create(dict(vals, account_id=self.id,
                                                reason_ref=reason.ref, subtype_ref=subtype.ref))
                kept |= record
        (Reason.browse([r.id for r in known.values()]) - kept).write({"active": False})
        self.sudo().return_reasons_date = fields.Datetime.now()
        if not kept:
            raise UserError(self.env._("Nova Poshta lists no return reasons for this account."))
        return self.env["omni.np.return.reason"].browse(kept.ids)

    def action_load_return_reasons(self):
        self.ensure_one()
        self._omni_np_return_reasons(refresh=True)
        return True

    def _omni_np_store_contacts(self, contacts):
        """Upsert the sender's contact persons by ref; those no longer listed are archived."""
        self.ensure_one()
        Contact = self.env["omni.np.sender.contact"].with_context(active_test=False)
        known = {c.ref: c for c in Contact.search([("account_id", "=", self.id)])}
        listed = Contact.browse()
        for person in contacts:
            vals = {"name": person.name, "phone": person.phone or False,
                    "email": person.email or False, "active": True}
            contact = known.get(person.ref)
            if contact:
                contact.write(vals)
            else:
                contact = Contact.create(dict(vals, account_id=self.id, ref=person.ref))
            listed |= contact
        (Contact.browse([c.id for c in known.values()]) - listed).write({"active": False})
        return listed

    def action_sync_directory(self):
        """Queue the load of cities and branches (a job; progress shows on the account)."""
        for account in self:
            account._omni_delay(
                "directory", lambda _: _("Nova Poshta: load cities and branches"),
                priority=30,
            )._omni_np_sync_directory()
            account.write({"sync_state": "running", "sync_progress": self.env._("Queued"),
                           "sync_error": False})
        return self._omni_notify(
            self.env._("The directory loads in the background; progress shows on the account."),
            "info", self.env._("Nova Poshta directory"),
        )

    def _omni_notify(self, message, kind, title):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": False},
        }

    @api.model
    def _cron_sync_directory(self):
        for account in self.search([]):
            if account.sudo().api_key:
                account.action_sync_directory()
                break  # the directory is the same for every account

    # --------------------------------------------------------------- directory
    def _omni_np_progress(self, text, **vals):
        vals["sync_progress"] = text
        self._omni_write_outside(self, lambda account: account.sudo().write(vals))

    def _omni_np_sync_directory(self):
        """Job: every city, then every branch and locker, upserted by ref in batches.

        Rows NP no longer lists are deactivated (kept: pickings point at them).
        """
        self.ensure_one()
        self._omni_lock_or_retry("directory")
        self.env.cr.execute("SELECT COALESCE(MAX(sync_run), 0) + 1 FROM omni_np_warehouse")
        run = max(self.env.cr.fetchone()[0], 1)
        try:
            with self._omni_session() as client:
                cities = self._omni_np_load_cities(client, run)
                warehouses = self._omni_np_load_warehouses(client, run)
        except cerr.OmniConnectorError as err:
            message = self._omni_error_text(err)
            self._omni_np_progress(message, sync_state="failed", sync_error=message)
            raise self._omni_translate_error(err, in_job=True) from err
        gone = self._omni_np_deactivate_missing(run)
        text = self.env._(
            "%(cities)s cities, %(warehouses)s branches and lockers; %(gone)s closed",
            cities=cities, warehouses=warehouses, gone=gone,
        )
        self._omni_np_progress(text, sync_state="done", sync_date=fields.Datetime.now(),
                               sync_error=False)
        return text

    def _omni_np_load_cities(self, client, run):
        count = 0
        for cities, total in client.iter_pages(lambda p, n: client.cities(page=p, limit=n)):
            self._omni_np_upsert_cities(cities, run)
            count += len(cities)
            self._omni_np_progress(self.env._("Cities: %(done)s of %(total)s",
                                              done=count, total=total))
        return count

    def _omni_np_load_warehouses(self, client, run):
        count = 0
        pages = client.iter_pages(lambda p, n: client.warehouses(page=p, limit=n))
        for warehouses, total, skipped in pages:
            self._omni_np_upsert_warehouses(warehouses, run)
            count += len(warehouses)
            if skipped:
                _logger.warning("Nova Poshta: %d unreadable branches skipped: %s",
                                len(skipped), str(skipped)[:2000])
            self._omni_np_progress(self.env._("Branches: %(done)s of %(total)s",
                                              done=count, total=total))
        return count

    def _omni_np_upsert_cities(self, cities, run):
        rows = [SQL("(%s, %s, %s, %s, %s, true, %s, %s, %s, now() AT TIME ZONE 'UTC',"
                    " now() AT TIME ZONE 'UTC')",
                    c.ref, c.name, c.area or None, c.settlement_type or None, c.city_id or None,
                    run, self.env.uid, self.env.uid)
                for c in cities]
        for start in range(0, len(rows), UPSERT_BATCH):
            self.env.cr.execute(SQL(
                """INSERT INTO omni_np_city (ref, name, area, settlement_type, np_city_id,
                       active, sync_run, create_uid, write_uid, create_date, write_date)
                   VALUES %s
                   ON CONFLICT (ref) DO UPDATE SET name = EXCLUDED.name,
                       area = EXCLUDED.area, settlement_type = EXCLUDED.settlement_type,
                       np_city_id = EXCLUDED.np_city_id, active = true,
                       sync_run = EXCLUDED.sync_run, write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date""",
                SQL(", ").join(rows[start:start + UPSERT_BATCH]),
            ))
        self.env["omni.np.city"].invalidate_model()

    def _omni_np_upsert_warehouses(self, warehouses, run):
        refs = list({w.city_ref for w in warehouses if w.city_ref})
        self.env.cr.execute("SELECT ref, id FROM omni_np_city WHERE ref = ANY(%s)", [refs])
        city_ids = dict(self.env.cr.fetchall())
        rows = []
        for w in warehouses:
            limits = w.receiving_limits
            rows.append(SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, true, %s, %s,"
                " %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')",
                w.ref, w.name, w.number or None, _number_int(w.number),
                city_ids.get(w.city_ref), w.city_ref or None,
                w.city_name or None, w.kind, w.short_address or None, w.index or None,
                float(w.place_max_weight), float(w.total_max_weight), float(limits.width),
                float(limits.height), float(limits.length), float(w.max_declared_cost), run,
                self.env.uid, self.env.uid,
            ))
        for start in range(0, len(rows), UPSERT_BATCH):
            self.env.cr.execute(SQL(
                """INSERT INTO omni_np_warehouse (ref, name, number, number_int, city_id, city_ref,
                       city_name, kind, short_address, warehouse_index, place_max_weight,
                       total_max_weight, max_width, max_height, max_length, max_declared_cost,
                       active, sync_run, create_uid, write_uid, create_date, write_date)
                   VALUES %s
                   ON CONFLICT (ref) DO UPDATE SET name = EXCLUDED.name,
                       number = EXCLUDED.number, number_int = EXCLUDED.number_int,
                       city_id = EXCLUDED.city_id,
                       city_ref = EXCLUDED.city_ref, city_name = EXCLUDED.city_name,
                       kind = EXCLUDED.kind, short_address = EXCLUDED.short_address,
                       warehouse_index = EXCLUDED.warehouse_index,
                       place_max_weight = EXCLUDED.place_max_weight,
                       total_max_weight = EXCLUDED.total_max_weight,
                       max_width = EXCLUDED.max_width, max_height = EXCLUDED.max_height,
                       max_length = EXCLUDED.max_length,
                       max_declared_cost = EXCLUDED.max_declared_cost, active = true,
                       sync_run = EXCLUDED.sync_run, write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date""",
                SQL(", ").join(rows[start:start + UPSERT_BATCH]),
            ))
        self.env["omni.np.warehouse"].invalidate_model()

    def _omni_np_deactivate_missing(self, run):
        self.env.cr.execute(
            "UPDATE omni_np_warehouse SET active = false"
            " WHERE active AND sync_run IS DISTINCT FROM %s", [run]
        )
        gone = self.env.cr.rowcount
        self.env.cr.execute(
            "UPDATE omni_np_city SET active = false"
            " WHERE active AND sync_run IS DISTINCT FROM %s", [run]
        )
        self.env["omni.np.warehouse"].invalidate_model()
        self.env["omni.np.city"].invalidate_model()
        return gone

    # ---------------------------------------------------------------- tracking
    @api.model
    def _cron_track(self):
        """Queue one tracking job per account that has parcels on the way."""
        Picking = self.env["stock.picking"]
        for account in self.search([]):
            if Picking.search_count(account._omni_np_active_domain(), limit=1):
                account._omni_delay(
                    "track", lambda _: _("Nova Poshta: refresh tracking"), priority=40
                )._omni_np_track()

    def _omni_np_active_domain(self):
        return [
            ("carrier_id.novaposhta_account_id", "=", self.id),
            ("carrier_id.delivery_type", "=", "novaposhta"),
            ("carrier_tracking_ref", "!=", False),
            ("np_tracking_done", "=", False),
        ]

    def _omni_np_track(self):
        """Job: refresh every active waybill of the account, 100 per request."""
        self.ensure_one()
        self._omni_lock_or_retry("track")
        pickings = self.env["stock.picking"].search(self._omni_np_active_domain())
        pickings._omni_np_track(in_job=True)
        return len(pickings)
