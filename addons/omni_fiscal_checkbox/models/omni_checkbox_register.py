"""A Checkbox cash register (PRRO): a backend record on the base's shared plumbing.

The register is not a sales channel: it inherits ``omni.backend.mixin`` for
the administrator-only credentials, the shared cashier token, HTTP options,
the sync log, locks and jobs, and builds a
:class:`~omni_connectors.checkbox.CheckboxClient` (the fiscal contract).
"""

import datetime as dt
import logging

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError

from omni_connectors.checkbox import DEFAULT_URL, CheckboxClient
from omni_connectors.core import OmniConnectorError, PaymentKind
from omni_connectors.core import errors as cerr

_logger = logging.getLogger(__name__)

#: system parameters (``omni_fiscal_checkbox.<name>``) and their defaults
POLL_PARAMS = {"poll_interval": 0.75, "poll_timeout": 5.0, "poll_later": 10}


class OmniCheckboxRegister(models.Model):
    _name = "omni.checkbox.register"
    _inherit = ["omni.backend.mixin", "mail.thread", "mail.activity.mixin"]
    _description = "Checkbox Cash Register"
    _order = "sequence, name"
    _check_company_auto = True
    _omni_backend_type = "checkbox"
    _omni_job_namespace = "omni_fiscal"
    _omni_public_system_fields = ("cashier_login",)

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    user_id = fields.Many2one(
        "res.users", "Responsible", default=lambda self: self.env.user, tracking=True,
        help="Receives the warnings of this register (the cashier key's expiry, "
        "receipts in error) and reads its messages in his language.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    api_url = fields.Char(
        "API URL", required=True, default=DEFAULT_URL,
        help="Checkbox's cloud API. Test on a test cash register, never on a production one.",
    )
    license_key = fields.Char(
        "Licence Key", groups="base.group_system", copy=False,
        help="The cash register's licence key (Checkbox portal > Cash registers).",
    )
    cashier_login = fields.Char(groups="base.group_system", copy=False)
    cashier_password = fields.Char(groups="base.group_system", copy=False)
    cashier_pin = fields.Char(
        "Cashier PIN", groups="base.group_system", copy=False,
        help="When set, the cashier signs in by PIN with the licence key instead of "
        "login and password.",
    )
    is_vat_payer = fields.Boolean(
        "VAT Payer",
        help="Print the mapped tax codes on receipts. A seller outside VAT "
        "(simplified tax) leaves it off: goods carry no tax code.",
    )
    tax_map_ids = fields.One2many("omni.checkbox.tax.map", "register_id", "Tax Codes")
    label_cash = fields.Char(
        "Cash Payment Name", required=True, default="Готівка",
        help="Printed on receipts; must come from the official list of payment names.",
    )
    label_cashless = fields.Char(
        "Cashless Payment Name", required=True, default="Картка",
        help="Printed on receipts; must come from the official list of payment names.",
    )
    zero_price_lines = fields.Selection(
        [("skip", "Leave them off the receipt"), ("cent", "Print them at 0.01 UAH")],
        "Zero-Price Lines", required=True, default="skip",
        help="Gifts and free items: Checkbox refuses zero prices on some registers.",
    )
    send_to_buyer = fields.Boolean(
        "Send Receipts to the Buyer", default=True,
        help="Checkbox e-mails the receipt (or sends it by SMS/Viber when that is "
        "active on the account) to the buyer of the order.",
    )
    is_default = fields.Boolean(
        "Default Register", help="Used for orders of channels and teams no register names."
    )
    channel_ids = fields.Many2many(
        "omni.channel", string="Sales Channels", check_company=True,
        help="Orders of these channels are fiscalised on this register.",
    )
    team_ids = fields.Many2many(
        "crm.team", string="Sales Teams", check_company=True,
        help="Orders of these sales teams are fiscalised on this register.",
    )
    auto_close = fields.Boolean("Close the Shift Automatically", default=True)
    close_time = fields.Float(
        "Closing Time", default=23.5,
        help="The open shift is closed with its Z-report at this time every day (in the "
        "responsible's time zone). A shift may not outlast the day it was opened.",
    )
    fiscal_number = fields.Char(readonly=True, copy=False)
    offline_mode = fields.Boolean("Offline", readonly=True, copy=False)
    cashier_name = fields.Char(readonly=True, copy=False)
    key_expiry_date = fields.Date(
        "Cashier Key Expires On", readonly=True, copy=False,
        help="End of the cashier's signing key (certificate), as Checkbox reports it.",
    )
    key_warning_days = fields.Integer(
        "Warn Days Ahead", default=14,
        help="The responsible gets an activity this many days before the key expires.",
    )
    key_expiring = fields.Boolean(compute="_compute_key_expiring")
    last_check = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    shift_ids = fields.One2many("omni.checkbox.shift", "register_id", "Shifts")
    current_shift_id = fields.Many2one(
        "omni.checkbox.shift", compute="_compute_current_shift", string="Open Shift"
    )
    shift_state = fields.Selection(
        [("opening", "Opening"), ("opened", "Open"), ("closing", "Closing")],
        "Shift", compute="_compute_current_shift",
    )
    receipt_ids = fields.One2many("omni.fiscal.receipt", "register_id", "Receipts")
    today_sales = fields.Monetary(compute="_compute_today")
    today_returns = fields.Monetary(compute="_compute_today")
    today_receipt_count = fields.Integer("Receipts Today", compute="_compute_today")
    error_receipt_count = fields.Integer("Receipts in Error", compute="_compute_today")

    # ------------------------------------------------------------ computes
    @api.depends("key_expiry_date", "key_warning_days")
    def _compute_key_expiring(self):
        today = fields.Date.context_today(self)
        for register in self:
            end = register.key_expiry_date
            register.key_expiring = bool(
                end and end <= today + dt.timedelta(days=register.key_warning_days or 0)
            )

    @api.depends("shift_ids.state")
    def _compute_current_shift(self):
        for register in self:
            shift = register.shift_ids.filtered(
                lambda s: s.state in ("opening", "opened", "closing")
            )[:1]
            register.current_shift_id = shift
            register.shift_state = shift.state

    def _compute_today(self):
        start = fields.Datetime.to_datetime(fields.Date.context_today(self))
        Receipt = self.env["omni.fiscal.receipt"]
        done = Receipt._read_group(
            [("register_id", "in", self.ids), ("state", "=", "done"),
             ("fiscal_date", ">=", start)],
            ["register_id", "receipt_type"], ["amount_total:sum", "__count"],
        )
        errors = dict(Receipt._read_group(
            [("register_id", "in", self.ids), ("state", "=", "error")],
            ["register_id"], ["__count"],
        ))
        for register in self:
            rows = [row for row in done if row[0] == register]
            register.today_sales = sum(r[2] for r in rows if r[1] == "sell")
            register.today_returns = sum(r[2] for r in rows if r[1] == "return")
            register.today_receipt_count = sum(r[3] for r in rows)
            register.error_receipt_count = errors.get(register, 0)

    # -------------------------------------------------------------- client
    def _omni_fiscal_param(self, name):
        default = POLL_PARAMS[name]
        value = self.env["ir.config_parameter"].sudo().get_param(
            f"omni_fiscal_checkbox.{name}", default
        )
        try:
            return type(default)(value)
        except (TypeError, ValueError):
            return default

    def _omni_client_checkbox(self, on_call):
        self.ensure_one()
        creds = self.sudo()
        if not creds.license_key or not (
            creds.cashier_pin or (creds.cashier_login and creds.cashier_password)
        ):
            raise UserError(self.env._(
                "Cash register %(name)s has no licence key or cashier credentials: an "
                "administrator enters them on the register.", name=self.display_name,
            ))
        version = self.env["ir.module.module"].sudo().search(
            [("name", "=", "omni_fiscal_checkbox")], limit=1
        ).latest_version or "18.0"
        return CheckboxClient(
            base_url=self.api_url,
            license_key=creds.license_key,
            login=creds.cashier_login or "",
            password=creds.cashier_password or "",
            pin=creds.cashier_pin or "",
            client_name="omni-odoo",
            client_version=version,
            token_cache=self._omni_token_cache("cashier"),
            on_secret=self._omni_on_secret,
            on_call=on_call,
            rate_limiter=self._omni_rate_limiter(),
            labels={PaymentKind.CASH: self.label_cash, PaymentKind.CASHLESS: self.label_cashless},
            poll_interval=self._omni_fiscal_param("poll_interval"),
            poll_timeout=self._omni_fiscal_param("poll_timeout"),
            **self._omni_http_options(),
        )

    def _omni_error_messages(self):
        _ = self.env._
        return [
            (cerr.AuthError, _("Checkbox refused the cashier of %(name)s: %(error)s")),
            (cerr.RateLimitError, _("Checkbox asked %(name)s to slow down: %(error)s")),
            (cerr.TransportError, _("Checkbox cannot be reached from %(name)s: %(error)s")),
            (cerr.ValidationError, _("Checkbox refused the receipt on %(name)s: %(error)s")),
            (cerr.PayloadError, _("Checkbox answered %(name)s something unreadable: "
                                  "%(error)s")),
            (Exception, _("Cash register %(name)s failed: %(error)s")),
        ]

    # ------------------------------------------------------------- choice
    @api.model
    def _omni_for_order(self, order):
        """The register that fiscalises ``order`` (a sale order or an invoice): its
        channel's, its team's, the company's default."""
        domain = [("company_id", "=", order.company_id.id)]
        registers = self.search(domain)
        channel = order.omni_channel_id if "omni_channel_id" in order._fields else None
        for matches in (
            lambda r: channel and channel in r.channel_ids,
            lambda r: order.team_id and order.team_id in r.team_ids,
            lambda r: r.is_default,
        ):
            found = registers.filtered(matches)
            if found:
                return found[0]
        return self.browse()

    # -------------------------------------------------------------- shifts
    def _omni_record_shift(self, shift):
        """Keep the remote shift ``shift`` (a core Shift) as a shift record."""
        self.ensure_one()
        Shift = self.env["omni.checkbox.shift"]
        record = Shift.search(
            [("register_id", "=", self.id), ("remote_id", "=", shift.id)], limit=1
        )
        vals = {
            "state": Shift._omni_state(shift.status),
            "serial": shift.serial,
            "opened_at": shift.opened_at and shift.opened_at.replace(tzinfo=None),
            "closed_at": shift.closed_at and shift.closed_at.replace(tzinfo=None),
        }
        vals = {key: value for key, value in vals.items() if value or key == "state"}
        if record:
            record.write(vals)
        else:
            record = Shift.create(dict(vals, register_id=self.id, remote_id=shift.id))
        # a shift Checkbox no longer reports open is not open here either
        (self.shift_ids - record).filtered(
            lambda s: s.state in ("opening", "opened") and record.state != "closed"
        ).write({"state": "closed"})
        return record

    def action_open_shift(self):
        for register in self:
            register._omni_delay(
                "shift", lambda _, r=register: _("Open a shift on %(name)s", name=r.name),
                priority=5,
            )._omni_open_shift()
        return self._omni_notify(self.env._("The shift is being opened."))

    def action_close_shift(self):
        for register in self:
            register._omni_delay(
                "shift", lambda _, r=register: _("Close the shift of %(name)s", name=r.name),
                priority=5,
            )._omni_close_shift()
        return self._omni_notify(self.env._("The shift is being closed with its Z-report."))

    def action_check(self):
        for register in self:
            register._omni_delay(
                "check", lambda _, r=register: _("Check cash register %(name)s", name=r.name),
            )._omni_check()
        return self._omni_notify(self.env._("The register is being checked."))

    def action_x_report(self):
        for register in self:
            register._omni_delay(
                "x_report", lambda _, r=register: _("X-report of %(name)s", name=r.name),
                priority=5,
            )._omni_x_report()
        return self._omni_notify(self.env._(
            "The X-report is being taken; it is attached to the register."))

    def action_go_offline(self):
        return self._omni_queue_offline(True)

    def action_go_online(self):
        return self._omni_queue_offline(False)

    def _omni_queue_offline(self, offline):
        for register in self:
            register._omni_delay(
                "offline",
                lambda _, r=register, off=offline: (
                    _("Switch %(name)s to offline mode", name=r.name) if off
                    else _("Switch %(name)s back online", name=r.name)
                ),
                priority=5,
            )._omni_set_offline(offline)
        return self._omni_notify(
            self.env._("The register is being switched to offline mode.") if offline
            else self.env._("The register is being switched back online; its offline "
                            "receipts go to the tax service.")
        )

    def _omni_x_report(self):
        """Job: an X-report of the open shift, kept as a text attachment on the register."""
        self.ensure_one()
        self._omni_lock_or_retry("shift")
        with self._omni_session() as client:
            try:
                report = client.x_report()
                text = client.report_text(report.id)
            except OmniConnectorError as err:
                self._omni_note_error(err)
                raise self._omni_translate_error(err, in_job=True) from err
        attachment = self.env["ir.attachment"].create({
            "name": f"X-{report.serial or report.id}.txt",
            "res_model": self._name,
            "res_id": self.id,
            "mimetype": "text/plain",
            "raw": (text or "").encode(),
        })
        self.message_post(
            body=self.env._("X-report: sales %(sales)s, returns %(returns)s.",
                            sales=report.sales, returns=report.returns),
            attachment_ids=attachment.ids,
        )
        return attachment.name

    def _omni_set_offline(self, offline):
        """Job: switch the register to offline mode, or back online."""
        self.ensure_one()
        with self._omni_session() as client:
            try:
                if offline:
                    client.go_offline()
                else:
                    client.go_online()
                info = client.register_info()
            except OmniConnectorError as err:
                self._omni_note_error(err)
                raise self._omni_translate_error(err, in_job=True) from err
        self.write({"offline_mode": info.offline_mode, "last_error": False})
        return "offline" if info.offline_mode else "online"

    def _omni_notify(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": "info", "sticky": False,
                       "next": {"type": "ir.actions.act_window_close"}},
        }

    def _omni_open_shift(self):
        """Job: open a shift (or find the one open) and keep it."""
        self.ensure_one()
        self._omni_lock_or_retry("shift")
        with self._omni_session() as client:
            try:
                shift = client.open_shift()
            except OmniConnectorError as err:
                self._omni_note_error(err)
                raise self._omni_translate_error(err, in_job=True) from err
        return self._omni_record_shift(shift).display_name

    def _omni_close_shift(self):
        """Job: close the open shift; keep its Z-report (totals and printed text)."""
        self.ensure_one()
        self._omni_lock_or_retry("shift")
        with self._omni_session() as client:
            try:
                shift = client.close_shift()
                if shift is None:
                    self.shift_ids.filtered(lambda s: s.state != "closed").write(
                        {"state": "closed"}
                    )
                    return "no open shift"
                record = self._omni_record_shift(shift)
                report = client.z_report(shift.id) if shift.is_closed else None
                text = client.report_text(report.id) if report else ""
            except OmniConnectorError as err:
                self._omni_note_error(err)
                raise self._omni_translate_error(err, in_job=True) from err
        if report:
            record._omni_store_z_report(report, text)
        return record.display_name

    def _omni_close_due(self, now=None):
        """Whether the open shift is due to close (the closing time passed since it opened)."""
        self.ensure_one()
        shift = self.current_shift_id
        if not self.auto_close or not shift or shift.state != "opened":
            return False
        tz = pytz.timezone(self.user_id.tz or self.env.user.tz or "Europe/Kyiv")
        now_local = pytz.utc.localize(now or fields.Datetime.now()).astimezone(tz)
        hours = int(self.close_time)
        minutes = int(round((self.close_time - hours) * 60))
        due = now_local.replace(hour=min(hours, 23), minute=min(minutes, 59), second=0,
                                microsecond=0)
        if due > now_local:
            due -= dt.timedelta(days=1)
        opened = pytz.utc.localize(shift.opened_at or shift.create_date).astimezone(tz)
        return opened < due <= now_local

    @api.model
    def _cron_close_shifts(self):
        for register in self.search([("auto_close", "=", True)]):
            if register._omni_close_due():
                register._omni_delay(
                    "shift",
                    lambda _, r=register: _("Close the shift of %(name)s", name=r.name),
                    priority=5,
                )._omni_close_shift()

    # --------------------------------------------------------------- check
    def _omni_check(self):
        """Job: read the cashier and the register (key expiry, offline mode, fiscal number)."""
        self.ensure_one()
        with self._omni_session() as client:
            try:
                cashier = client.cashier()
                info = client.register_info()
                shift = client.current_shift()
            except OmniConnectorError as err:
                self._omni_note_error(err)
                raise self._omni_translate_error(err, in_job=True) from err
        self.write({
            "cashier_name": cashier.full_name,
            "key_expiry_date": cashier.certificate_end and cashier.certificate_end.date(),
            "fiscal_number": info.fiscal_number,
            "offline_mode": info.offline_mode,
            "last_check": fields.Datetime.now(),
            "last_error": False,
        })
        if shift is not None:
            self._omni_record_shift(shift)
        else:
            self.shift_ids.filtered(lambda s: s.state != "closed").write({"state": "closed"})
        self._omni_warn_key_expiry()
        return "ok"

    def _omni_warn_key_expiry(self):
        """An activity for the responsible when the cashier's key expires soon (once)."""
        for register in self.filtered("key_expiring"):
            summary = register.env._("Cashier key of %(name)s expires on %(date)s",
                                     name=register.name, date=register.key_expiry_date)
            existing = register.activity_ids.filtered(lambda a, s=summary: a.summary == s)
            if existing:
                continue
            register.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=register.key_expiry_date,
                summary=summary,
                note=register.env._(
                    "Renew the cashier's signing key in the Checkbox portal before it "
                    "expires, or no receipt can be issued."
                ),
                user_id=(register.user_id or register.env.user).id,
            )

    @api.model
    def _cron_check_registers(self):
        for register in self.search([]):
            register._omni_delay(
                "check", lambda _, r=register: _("Check cash register %(name)s", name=r.name),
            )._omni_check()

    def _omni_note_error(self, err):
        message = self._omni_error_text(err)
        self._omni_write_outside(self, lambda regs: regs.write({"last_error": message}))

    # --------------------------------------------------------------- views
    def action_view_receipts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "omni_fiscal_checkbox.omni_fiscal_receipt_action"
        )
        action["domain"] = [("register_id", "=", self.id)]
        return action
