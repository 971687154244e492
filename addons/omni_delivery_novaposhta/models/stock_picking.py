import base64
import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.pdf import merge_pdf

from odoo.addons.queue_job.exception import RetryableJobError

from omni_connectors.core import TrackingState

#: neutral tracking state -> (our state, delivery_state of OCA's delivery_state)
STATE_MAP = {
    TrackingState.CREATED: ("created", "shipping_recorded_in_carrier"),
    TrackingState.IN_TRANSIT: ("in_transit", "in_transit"),
    TrackingState.ARRIVED: ("at_branch", "in_transit"),
    TrackingState.DELIVERED: ("received", "customer_delivered"),
    TrackingState.REFUSED: ("refused", "incident"),
    TrackingState.RETURNING: ("returning", "incident"),
    TrackingState.RETURNED: ("returned", "warehouse_delivered"),
    TrackingState.CANCELLED: ("cancelled", "canceled_shipment"),
}
REFUSED_STATES = ("refused", "returning", "returned")
#: pickings per UPDATE when tracking answers are applied
TRACK_WRITE_BATCH = 1000
#: waybills per print request (not documented by Nova Poshta; the URL grows with it)
LABEL_BATCH = 100

_logger = logging.getLogger(__name__)


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "omni.np.recipient.mixin"]

    # the recipient comes from the sale order and may be corrected on the picking
    np_delivery_kind = fields.Selection(compute="_compute_np_recipient", store=True,
                                        readonly=False)
    np_city_id = fields.Many2one(compute="_compute_np_recipient", store=True, readonly=False)
    np_warehouse_id = fields.Many2one(compute="_compute_np_recipient", store=True,
                                      readonly=False)
    np_street = fields.Char(compute="_compute_np_recipient", store=True, readonly=False)
    np_house = fields.Char(compute="_compute_np_recipient", store=True, readonly=False)
    np_flat = fields.Char(compute="_compute_np_recipient", store=True, readonly=False)
    np_last_name = fields.Char(compute="_compute_np_recipient", store=True, readonly=False)
    np_first_name = fields.Char(compute="_compute_np_recipient", store=True, readonly=False)
    np_middle_name = fields.Char(compute="_compute_np_recipient", store=True, readonly=False)
    np_phone = fields.Char(compute="_compute_np_recipient", store=True, readonly=False)

    np_is_novaposhta = fields.Boolean(compute="_compute_np_is_novaposhta")
    np_cod_amount = fields.Float(
        "Cash on Delivery", compute="_compute_np_cod_amount", store=True, readonly=False,
        digits="Product Price", copy=False,
        help="What the recipient pays for the goods at the branch: the order's total when "
        "it is not paid yet, else nothing.",
    )
    np_reference = fields.Char("Waybill Reference", readonly=True, copy=False,
                               help="Sent with the waybill, to find it again after a lost "
                               "answer.")
    np_waybill_ref = fields.Char("Waybill Ref", readonly=True, copy=False, index=True)
    np_ttn_state = fields.Selection(
        [("queued", "Being created"), ("done", "Created"), ("failed", "Failed")],
        "TTN", readonly=True, copy=False, index=True,
    )
    np_error = fields.Text("Nova Poshta Error", readonly=True, copy=False)
    np_state = fields.Selection(
        [("created", "Created"), ("in_transit", "In transit"), ("at_branch", "At the branch"),
         ("received", "Received"), ("refused", "Refused"), ("returning", "Returning"),
         ("returned", "Returned"), ("cancelled", "Deleted")],
        "Nova Poshta State", readonly=True, copy=False, index=True, tracking=True,
    )
    np_status_code = fields.Char("Nova Poshta Status Code", readonly=True, copy=False)
    np_status_text = fields.Char("Nova Poshta Status", readonly=True, copy=False)
    np_status_date = fields.Datetime("Status Checked On", readonly=True, copy=False)
    np_tracking_done = fields.Boolean("Tracking Finished", readonly=True, copy=False,
                                      index=True)
    np_tracking_flag = fields.Char(
        "Tracking Problem", readonly=True, copy=False,
        help="Nova Poshta answered with no data for this waybill; its last known state is "
        "kept.",
    )
    np_cod_collected = fields.Float("COD Collected", readonly=True, copy=False)
    np_cod_collected_date = fields.Datetime("COD Collected On", readonly=True, copy=False)
    np_refused = fields.Boolean("Parcel Refused", readonly=True, copy=False)
    np_label_id = fields.Many2one("ir.attachment", "Label", readonly=True, copy=False)
    np_scan_sheet = fields.Char("Scan Sheet", readonly=True, copy=False)

    @api.depends("sale_id")
    def _compute_np_recipient(self):
        names = [name for name in self.env["omni.np.recipient.mixin"]._fields
                 if name.startswith("np_")]
        for picking in self:
            order = picking.sale_id
            if not order or picking.carrier_tracking_ref:
                continue  # a picking of its own, or already sent: keep what it has
            for name in names:
                picking[name] = order[name]

    def _compute_np_is_novaposhta(self):
        for picking in self:
            picking.np_is_novaposhta = picking.carrier_id.delivery_type == "novaposhta"

    @api.depends("sale_id", "carrier_id")
    def _compute_np_cod_amount(self):
        for picking in self:
            carrier = picking.carrier_id
            order = picking.sale_id
            if (carrier.delivery_type != "novaposhta" or carrier.novaposhta_cod_mode == "none"
                    or not order or order._np_is_paid()):
                picking.np_cod_amount = 0.0
            else:
                picking.np_cod_amount = order.amount_total

    # ------------------------------------------------------------------ helpers
    def _omni_np_reference(self):
        """The idempotency reference sent with the waybill: stable for the picking."""
        self.ensure_one()
        return self.np_reference or f"{self.name}#{self.id}"[-36:]

    def _omni_np_declared_value(self):
        self.ensure_one()
        if self.sale_id:
            return self.sale_id.amount_total
        return sum(move.product_id.lst_price * move.product_uom_qty for move in self.move_ids)

    def _omni_np_pickings(self):
        return self.filtered(lambda p: p.carrier_id.delivery_type == "novaposhta"
                             and p.picking_type_code == "outgoing" and p.state != "cancel")

    def _omni_np_lock(self):
        """Serialise waybill creation per picking (two users, a user and a job)."""
        self.env.cr.execute(
            "SELECT id FROM stock_picking WHERE id = ANY(%s) FOR UPDATE NOWAIT", [self.ids]
        )

    def _omni_np_store_waybill(self, waybill, label, warnings, layout):
        self.ensure_one()
        carrier = self.carrier_id
        vals = {
            "carrier_tracking_ref": waybill.number,
            "np_waybill_ref": waybill.ref,
            "np_ttn_state": "done",
            "np_error": False,
            "np_state": "created",
            "np_tracking_done": False,
            "np_tracking_flag": False,
        }
        if waybill.cost is not None:
            vals["carrier_price"] = float(waybill.cost)
        if "delivery_state" in self._fields:
            vals.update(delivery_state="shipping_recorded_in_carrier",
                        date_shipped=fields.Date.context_today(self))
        attachment = self.env["ir.attachment"]
        if label:
            attachment = attachment.create({
                "name": carrier._omni_np_label_name(waybill.number),
                "datas": base64.b64encode(label),
                "res_model": "stock.picking",
                "res_id": self.id,
                "mimetype": "application/pdf",
            })
            vals["np_label_id"] = attachment.id
        self.write(vals)
        self.message_post(body=carrier._omni_np_message(self, waybill, warnings),
                          attachment_ids=attachment.ids)
        carrier._omni_np_notify_buyer(self)

    # ------------------------------------------------------------ create TTN
    def _omni_np_create_ttn(self, in_job=False):
        """Make the waybill of every Nova Poshta picking that has none (in this transaction)."""
        for picking in self._omni_np_pickings().filtered(lambda p: not p.carrier_tracking_ref):
            try:
                picking._omni_np_lock()
            except Exception as err:  # psycopg2 LockNotAvailable
                if in_job:
                    raise RetryableJobError("picking busy", seconds=5) from err
                raise UserError(self.env._(
                    "The waybill of %(picking)s is being created right now.",
                    picking=picking.name)) from err
            picking.carrier_id._omni_np_make_waybill(picking, in_job=in_job)
        return True

    def _omni_np_ttn_job(self):
        """Job: one picking's waybill; a refusal stays on the picking, with a retry button."""
        self.ensure_one()
        if self.carrier_tracking_ref:
            return self.carrier_tracking_ref
        try:
            with self.env.cr.savepoint():
                self._omni_np_create_ttn(in_job=True)
        except UserError as err:
            message = str(err.args[0] if err.args else err)
            self._omni_write_outside_np({"np_ttn_state": "failed", "np_error": message})
            self.write({"np_ttn_state": "failed", "np_error": message})
            return message
        return self.carrier_tracking_ref

    def _omni_write_outside_np(self, vals):
        self.env["omni.np.account"]._omni_write_outside(
            self, lambda pickings: pickings.sudo().write(vals))

    def action_omni_np_create_ttn(self):
        """Create TTN: at once for one picking, one job per picking for a selection."""
        pickings = self._omni_np_pickings().filtered(lambda p: not p.carrier_tracking_ref)
        if not pickings:
            raise UserError(self.env._(
                "Nothing to do: the selected deliveries are not Nova Poshta deliveries or "
                "already have a waybill."))
        if len(pickings) == 1 and not self.env.context.get("omni_np_in_jobs"):
            pickings._omni_np_create_ttn()
            return True
        for picking in pickings:
            account = picking.carrier_id.novaposhta_account_id
            if not account:
                raise UserError(self.env._("%(picking)s: the shipping method has no Nova "
                                           "Poshta account.", picking=picking.name))
            account._omni_delay(
                "ttn", lambda _, p=picking: _("Nova Poshta: waybill for %(picking)s",
                                              picking=p.name),
                priority=5, suffix=f":{picking.id}", record=picking,
            )._omni_np_ttn_job()
        pickings.write({"np_ttn_state": "queued", "np_error": False})
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Nova Poshta"),
                "message": self.env._(
                    "%(count)s waybills are being created; the TTN column shows the progress.",
                    count=len(pickings)),
                "type": "info", "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _action_done(self):
        """A delivery validated without a TTN gets it first: a refusal validates nothing."""
        self._omni_np_pickings().filtered(
            lambda p: not p.carrier_tracking_ref
        )._omni_np_create_ttn()
        return super()._action_done()

    # ---------------------------------------------------------------- labels
    def action_omni_np_print_labels(self):
        """One PDF with the labels of every selected picking.

        Missing labels are fetched in one print request per account and label format (Nova
        Poshta prints many documents in one PDF); a single picking keeps its fetched label.
        """
        pickings = self.filtered(lambda p: p.np_waybill_ref and p.carrier_tracking_ref)
        if not pickings:
            raise UserError(self.env._("None of the selected deliveries has a Nova Poshta "
                                       "waybill."))
        documents = [base64.b64decode(p.np_label_id.datas) for p in pickings if p.np_label_id]
        missing = pickings.filtered(lambda p: not p.np_label_id)
        for (account, layout), group in missing.grouped(
                lambda p: (p.carrier_id.novaposhta_account_id,
                           p.carrier_id.novaposhta_label_layout or "100x100")).items():
            numbers = group.mapped("carrier_tracking_ref")
            for start in range(0, len(numbers), LABEL_BATCH):
                chunk = numbers[start:start + LABEL_BATCH]
                documents.append(account._omni_np_call(
                    lambda client, n=chunk, lay=layout: client.label(n, layout=lay),
                    record=group if len(group) == 1 else None))
        if len(pickings) == 1 and missing:
            pickings.np_label_id = self.env["ir.attachment"].create({
                "name": pickings.carrier_id._omni_np_label_name(pickings.carrier_tracking_ref),
                "datas": base64.b64encode(documents[0]), "res_model": "stock.picking",
                "res_id": pickings.id, "mimetype": "application/pdf",
            })
        if len(pickings) == 1:
            attachment = pickings.np_label_id
        else:
            merged = merge_pdf(documents) if len(documents) > 1 else documents[0]
            attachment = self.env["ir.attachment"].create({
                "name": self.env._("Nova Poshta labels (%(count)s).pdf", count=len(pickings)),
                "datas": base64.b64encode(merged), "mimetype": "application/pdf",
            })
        return {"type": "ir.actions.act_url", "target": "self",
                "url": f"/web/content/{attachment.id}?download=true"}

    # ------------------------------------------------------------ scan sheet
    def action_omni_np_scan_sheet(self):
        """Put the selected waybills on the day's scan sheet for the courier, and print it."""
        pickings = self.filtered(lambda p: p.np_waybill_ref and p.np_state == "created")
        if not pickings:
            raise UserError(self.env._("Select deliveries whose waybill is created and not yet "
                                       "handed over."))
        accounts = pickings.carrier_id.novaposhta_account_id
        if len(accounts) > 1:
            raise UserError(self.env._("A scan sheet holds the waybills of one Nova Poshta "
                                       "account; select them account by account."))
        refs = pickings.mapped("np_waybill_ref")

        def work(client):
            sheet = client.scan_sheet_add(refs)
            return sheet, client.scan_sheet_pdf(sheet.ref)

        sheet, pdf = accounts._omni_np_call(work)
        added = set(sheet.added)
        pickings.filtered(lambda p: p.carrier_tracking_ref in added).write(
            {"np_scan_sheet": sheet.number})
        attachment = self.env["ir.attachment"].create({
            "name": self.env._("Scan sheet %(number)s.pdf", number=sheet.number),
            "datas": base64.b64encode(pdf), "mimetype": "application/pdf",
            "res_model": "omni.np.account", "res_id": accounts.id,
        })
        if sheet.errors:
            accounts.message_post(body=self.env._(
                "Scan sheet %(number)s: Nova Poshta refused %(errors)s",
                number=sheet.number, errors="; ".join(sheet.errors)))
        return {"type": "ir.actions.act_url", "target": "self",
                "url": f"/web/content/{attachment.id}?download=true"}

    # -------------------------------------------------------------- tracking
    def tracking_state_update(self):
        """delivery_state's refresh: Nova Poshta's waybills in batches of 100, others as before."""
        ours = self.filtered(lambda p: p.delivery_type == "novaposhta"
                             and p.carrier_tracking_ref and p.np_waybill_ref)
        if ours:
            ours._omni_np_track()
        return super(StockPicking, self - ours).tracking_state_update()

    def action_omni_np_refresh_tracking(self):
        self._omni_np_track()
        return True

    def _omni_np_track(self, in_job=False):
        """Ask Nova Poshta about these waybills (100 per request) and apply the answers."""
        pickings = self.filtered(lambda p: p.carrier_tracking_ref
                                 and p.carrier_id.delivery_type == "novaposhta")
        for account, group in pickings.grouped(
                lambda p: p.carrier_id.novaposhta_account_id).items():
            numbers = group.mapped("carrier_tracking_ref")
            phones = {p.carrier_tracking_ref: p.np_phone for p in group if p.np_phone}
            statuses = account._omni_np_call(
                lambda client, n=numbers, ph=phones: client.track_all(n, ph), in_job=in_job)
            group._omni_np_apply_statuses({status.number: status for status in statuses})
        return True

    def _omni_np_apply_statuses(self, by_number):
        """Apply tracking answers in bulk.

        Pickings whose answer is the same get one write; the chatter note, the history line
        and the order's events (cash collected, parcel refused) only come with a change.
        """
        now = fields.Datetime.now()
        with_delivery_state = "delivery_state" in self._fields
        groups = defaultdict(list)  # the values to write -> picking ids
        history = defaultdict(list)  # the history line to prepend -> picking ids
        notes = {}
        missing = self.browse()
        events = self.browse()
        for picking in self:
            status = by_number.get(picking.carrier_tracking_ref)
            if status is None or status.state is TrackingState.UNKNOWN:
                missing |= picking
                continue
            state, delivery_state = STATE_MAP[status.state]
            vals = {"np_status_code": status.code, "np_status_text": status.text,
                    "np_status_date": now, "np_tracking_flag": False,
                    "np_tracking_done": status.state.is_final}
            if state != picking.np_state or status.code != picking.np_status_code:
                vals["np_state"] = state
                if with_delivery_state:
                    vals.update(delivery_state=delivery_state, tracking_state=status.text)
                    if state == "received":
                        vals["date_delivered"] = status.date or now
                    history[f"{now} {status.code} {status.text}\n"].append(picking.id)
                notes[picking.id] = self.env._(
                    "Nova Poshta: %(status)s (code %(code)s).",
                    status=status.text or state, code=status.code)
            groups[tuple(sorted(vals.items()))].append(picking.id)
            if (state == "received" and status.cod_amount and not picking.np_cod_collected
                    and picking.np_cod_amount) or (state in REFUSED_STATES
                                                   and not picking.np_refused):
                events |= picking
        if missing:
            missing.write({"np_status_date": now, "np_tracking_flag": self.env._(
                "Nova Poshta returned no data for this waybill; the last known state is "
                "kept.")})
        quiet = self.with_context(mail_notrack=True)
        for vals, ids in groups.items():
            for start in range(0, len(ids), TRACK_WRITE_BATCH):
                quiet.browse(ids[start:start + TRACK_WRITE_BATCH]).write(dict(vals))
        if history:
            self.flush_model(["tracking_state_history"])
            for line, ids in history.items():
                self.env.cr.execute(
                    "UPDATE stock_picking SET tracking_state_history ="
                    " %s || COALESCE(tracking_state_history, '') WHERE id = ANY(%s)",
                    [line, ids])
            self.invalidate_model(["tracking_state_history"])
        if notes:
            self.browse(list(notes))._message_log_batch(bodies=notes)
        for picking in events:
            picking._omni_np_apply_events(by_number[picking.carrier_tracking_ref])

    def _omni_np_apply_events(self, status):
        """The order's events of a transition, each once; a failure is retried next refresh."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                if (self.np_state == "received" and status.cod_amount
                        and self.np_cod_amount and not self.np_cod_collected):
                    self._omni_np_cod_collected(status)
                if self.np_state in REFUSED_STATES and not self.np_refused:
                    self.np_refused = True
                    if self.sale_id:
                        self.sale_id._omni_parcel_refused(self)
                    else:
                        partner = self.partner_id.commercial_partner_id
                        partner.sudo().omni_refused_count += 1
        except Exception as err:  # another addon's hook: keep the state, retry the event
            _logger.exception("Nova Poshta: event of %s failed", self.name)
            self.write({"np_tracking_done": False, "np_tracking_flag": self.env._(
                "The new state is kept, but what follows from it failed and is retried "
                "at the next refresh: %(error)s",
                error=str(err))})

    def _omni_np_cod_collected(self, status):
        amount = float(status.cod_amount)
        when = status.date or fields.Datetime.now()
        self.write({"np_cod_collected": amount, "np_cod_collected_date": when})
        if self.sale_id:
            self.sale_id._omni_register_collected(amount, when, "cod")
