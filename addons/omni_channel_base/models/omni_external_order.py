import dataclasses
import hashlib
import json
import logging
from datetime import timezone
from decimal import Decimal

import psycopg2
from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from odoo.addons.queue_job.exception import RetryableJobError

from omni_connectors.core import checks, money
from omni_connectors.core import errors as cerr
from omni_connectors.core.models import OrderState, RawOrder

from .. import tools
from .omni_channel import PRIORITY

_logger = logging.getLogger(__name__)


def _naive_utc(moment):
    """Odoo stores UTC without a zone; channels send zoned or naive (UTC) times."""
    if not moment:
        return False
    if moment.tzinfo:
        moment = moment.astimezone(timezone.utc)
    return moment.replace(tzinfo=None)


def _bounded(amount):
    """An amount as a float the database takes (0 when absurd or unreadable)."""
    try:
        value = float(amount or 0)
    except (TypeError, ValueError, ArithmeticError):
        return 0.0
    return value if -1e12 < value < 1e12 else 0.0


def _line_keys(line):
    """The keys an order line names its offer by: the SKU, then the channel's product id."""
    return [key for key in (line.sku, line.external_product_id) if key]


#: the longest raw payload kept whole (characters); a longer one is kept cut, and flagged
RAW_CAP = 2_000_000
#: attempts of an order import colliding with others on its products' claims
#: before the job queue replays it
CLAIM_ATTEMPTS = 3


class OmniMappingError(Exception):
    """An order that cannot become a sale order as it is; a person must look.

    ``args[0]`` is one sentence for the manager; ``detail`` the technical part.
    """

    def __init__(self, message, detail=""):
        super().__init__(message)
        self.detail = detail


class OmniExternalOrder(models.Model):
    _name = "omni.external.order"
    _description = "Order from a Channel"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _rec_name = "external_id"
    _check_company_auto = True

    channel_id = fields.Many2one(
        "omni.channel", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    external_id = fields.Char("Order Number", required=True, readonly=True, index=True)
    state = fields.Selection(
        [
            ("received", "Received"),
            ("imported", "Imported"),
            ("needs_attention", "Needs attention"),
            ("cancelled", "Cancelled"),
        ],
        default="received",
        required=True,
        index=True,
        tracking=True,
        readonly=True,
    )
    attention_reason = fields.Text(readonly=True, tracking=True)
    attention_detail = fields.Text(
        "Technical Detail", readonly=True,
        help="What the channel sent or answered, for the integrator.",
    )
    raw_payload = fields.Text(readonly=True, tracking=True)
    payload_hash = fields.Char(readonly=True, index=True)
    content_digest = fields.Char(
        readonly=True, copy=False,
        help="Digest of the order as last read, its status apart: an order received "
        "again with only the status Odoo sent changed is not mapped again.")
    updated_marker = fields.Char("Channel Change Stamp", readonly=True)
    receive_count = fields.Integer("Times Received", default=1, readonly=True)
    last_received = fields.Datetime(readonly=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index=True, copy=False)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        help="Found by the buyer's phone and e-mail. When the order cannot tell who "
        "the buyer is (invalid or missing phone), choose the customer here and "
        "press Retry.",
    )
    remote_status = fields.Char("Status on Channel", readonly=True)
    order_date = fields.Datetime(readonly=True)
    amount_total = fields.Float(readonly=True, digits="Product Price")
    customer_name = fields.Char(readonly=True)
    customer_phone = fields.Char(readonly=True)
    customer_email = fields.Char(readonly=True)
    comment = fields.Text("Buyer's Comment", readonly=True)
    delivery_service = fields.Char(readonly=True)
    delivery_method = fields.Char(readonly=True)
    delivery_city = fields.Char(readonly=True)
    delivery_city_ref = fields.Char("City Ref", readonly=True)
    delivery_warehouse = fields.Char("Pickup Point", readonly=True)
    delivery_warehouse_ref = fields.Char("Pickup Point Ref", readonly=True)
    delivery_address = fields.Char(readonly=True)
    recipient_name = fields.Char(readonly=True)
    recipient_first_name = fields.Char(readonly=True)
    recipient_last_name = fields.Char(readonly=True)
    recipient_middle_name = fields.Char(readonly=True)
    recipient_phone = fields.Char(readonly=True)
    delivery_warehouse_number = fields.Char("Pickup Point Number", readonly=True)
    dont_call_back = fields.Boolean(
        "Do Not Call Back", readonly=True,
        help="The buyer asked not to be called to confirm the order.",
    )
    ttn = fields.Char("Waybill (TTN)", readonly=True)
    payment_method = fields.Char(readonly=True)
    is_paid = fields.Boolean("Paid", readonly=True)
    paid_amount = fields.Float(readonly=True, digits="Product Price")
    paid_date = fields.Datetime(readonly=True)
    cash_on_delivery = fields.Boolean(readonly=True)
    delivery_katottg = fields.Char("City KATOTTG Code", readonly=True)
    delivery_service_type = fields.Char(readonly=True)
    # the marketplace's fee as it reports it on the order (Prom cpa_commission)
    channel_commission = fields.Float(
        "Commission Reported", digits="Product Price", readonly=True,
        help="The marketplace's fee for this order as it reported it; it is stored on "
        "the sale order (0 once the marketplace refunds it).",
    )
    channel_commission_refunded = fields.Boolean("Commission Refunded", readonly=True)
    # status sent back to the channel (accepted, shipped with TTN, cancelled)
    status_sync_state = fields.Selection(
        [("none", "Nothing to send"), ("pending", "Waiting to be sent"),
         ("done", "Sent"), ("error", "Failed")],
        string="Status on Channel Sync",
        default="none",
        readonly=True,
        copy=False,
        tracking=True,
    )
    status_sync_error = fields.Text(readonly=True, copy=False)
    last_status_sent = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        ("channel_external_uniq", "unique(channel_id, external_id)",
         "This order of this channel is already stored."),
    ]

    # ------------------------------------------------------------ storing
    @staticmethod
    def _omni_serialize(raw):
        """The raw order as text PostgreSQL stores whatever the channel sent."""
        if raw.payload is not None:
            text = checks.safe_json_text(raw.payload)
        else:
            text = checks.safe_text(raw.body)
        if len(text) > RAW_CAP:
            text = f"{text[:RAW_CAP]}\n[cut: {len(text) - RAW_CAP} more characters]"
        return text

    @api.model
    def _omni_store(self, channel, raw_orders, adapter=None):
        """Store raw payloads once per (channel, external id).

        One INSERT .. ON CONFLICT per payload: concurrent imports of the same
        order end in one row. Returns the records that are new or whose payload
        changed; an identical re-delivery returns nothing, nor does (given the
        channel's ``adapter`` to read it) the echo of a status Odoo sent
        (:meth:`_omni_is_echo`): it is stored and needs no mapping.
        """
        changed_ids = []
        echo_ids = []
        now = fields.Datetime.now()
        previous = {}
        for raw in raw_orders:
            text = self._omni_serialize(raw)
            digest = hashlib.sha256(text.encode()).hexdigest()
            external_id = checks.clean_text(str(raw.external_id or "")).strip()[:200]
            external_id = external_id or f"unreadable-{digest[:16]}"
            self.env.cr.execute(
                "SELECT id, raw_payload, state, content_digest, last_status_sent,"
                "       sale_order_id"
                "  FROM omni_external_order"
                " WHERE channel_id = %s AND external_id = %s AND payload_hash != %s",
                [channel.id, external_id, digest],
            )
            row = self.env.cr.fetchone()
            echo = None
            if row:
                previous[row[0]] = row[1]
                if adapter is not None:
                    echo = self._omni_is_echo(adapter, raw, *row[2:])
            self.env.cr.execute(
                """
                INSERT INTO omni_external_order AS o
                       (channel_id, company_id, external_id, raw_payload, payload_hash,
                        updated_marker, state, status_sync_state, receive_count,
                        last_received, create_uid, write_uid, create_date, write_date)
                VALUES (%(channel)s, %(company)s, %(ext)s, %(text)s, %(hash)s, %(marker)s,
                        'received', 'none', 1, %(now)s, %(uid)s, %(uid)s, %(now)s, %(now)s)
                ON CONFLICT (channel_id, external_id) DO UPDATE
                   SET raw_payload = EXCLUDED.raw_payload,
                       payload_hash = EXCLUDED.payload_hash,
                       updated_marker = EXCLUDED.updated_marker,
                       receive_count = o.receive_count + 1,
                       last_received = EXCLUDED.last_received,
                       state = CASE WHEN o.state = 'needs_attention' THEN o.state
                                    ELSE 'received' END,
                       write_date = EXCLUDED.write_date
                 WHERE o.payload_hash IS DISTINCT FROM EXCLUDED.payload_hash
                RETURNING o.id
                """,
                {
                    "channel": channel.id,
                    "company": channel.company_id.id,
                    "ext": external_id,
                    "text": text,
                    "hash": digest,
                    "marker": checks.clean_text(str(raw.updated_marker or ""))[:200] or None,
                    "now": now,
                    "uid": self.env.uid,
                },
            )
            row = self.env.cr.fetchone()
            if row and echo is not None:
                self.env.cr.execute(
                    "UPDATE omni_external_order SET state = 'imported',"
                    " remote_status = COALESCE(%s, remote_status)"
                    " WHERE id = %s",
                    [checks.clean_text(echo.remote_status or "")[:2000] or None, row[0]],
                )
                echo_ids.append(row[0])
            elif row:
                changed_ids.append(row[0])
        self.invalidate_model()
        if echo_ids:
            _logger.debug("%s: %d status echoes stored, not mapped again", channel.name,
                          len(echo_ids))
        changed = self.browse(changed_ids)
        for order in changed.filtered(lambda o: o.id in previous):
            # the raw data is the evidence: its earlier version stays in the chatter
            old = previous[order.id] or ""
            order.message_post(
                body=Markup("%s<pre>%s</pre>") % (
                    self.env._("The channel changed this order. The data before:"),
                    old[:20000],
                ),
            )
        return changed

    @api.model
    def _omni_is_echo(self, adapter, raw, state, content_digest, last_status_sent,
                      sale_order_id):
        """The parsed order, if ``raw`` only echoes the status Odoo last sent.

        Sending a status (accepted, shipped) changes the order on the channel,
        so the next poll receives it again. When the order was mapped, nothing
        but its status changed (same :meth:`_omni_content_digest`), and that
        status is the one Odoo sent, mapping it again would change nothing: the
        new payload is stored, without a job, a note or a change of state.
        Anything else, or a payload that cannot be read, goes through the
        pipeline as usual.
        """
        if not (state == "imported" and sale_order_id and content_digest
                and last_status_sent):
            return None
        try:
            order = adapter.parse_order(raw)
        except Exception:  # noqa: BLE001 - the pipeline reports it
            return None
        if order.state.value != last_status_sent or content_digest != \
                self._omni_content_digest(order):
            return None
        return order

    @api.model
    def _omni_content_digest(self, order):
        """A digest of what the order says apart from its status."""
        same = dataclasses.replace(
            order, state=OrderState.NEW, remote_status="", remote_status_name="",
            updated_at=None)
        return hashlib.sha256(repr(same).encode()).hexdigest()

    def _omni_enqueue_processing(self):
        for order in self:
            order.channel_id._omni_delay(
                "order",
                lambda _, o=order: _(
                    "Import order %(number)s from %(channel)s",
                    number=o.external_id,
                    channel=o.channel_id.name,
                ),
                priority=PRIORITY["order"],
                suffix=f":{order.id}",
                record=order,
            )._omni_process()

    # ------------------------------------------------------------- mapping
    def _omni_lock(self):
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM omni_external_order WHERE id = %s FOR UPDATE NOWAIT",
                    [self.id],
                )
        except psycopg2.errors.LockNotAvailable as err:
            raise RetryableJobError(
                "Order is being processed", seconds=2, ignore_retry=True
            ) from err

    def _omni_process(self):
        """Job: turn the stored payload into a sale order, or explain why not.

        Messages are written in the language of the channel's responsible,
        who reads them; the parsed data is kept even when mapping fails.

        Imports run two at a time. One that reserves a product another import
        has just reserved collides with it on the product's claim
        (``omni.stock.claim``) once the other has committed; the work is then
        done again at once, in a transaction that sees the other's
        reservation: the last unit is sold once, and the order does not wait
        for the job queue's replay.
        """
        self.ensure_one()
        for attempt in range(CLAIM_ATTEMPTS):
            try:
                with tools.fresh_env(self) as order:
                    parsed = order._omni_claim_first()
                    return order._omni_process_here(parsed)
            except psycopg2.errors.SerializationFailure:
                if attempt == CLAIM_ATTEMPTS - 1 or tools.same_transaction(self.env):
                    raise  # the job queue replays it later
                _logger.debug("Order %s collided with another import; again", self.id)

    def _omni_claim_first(self):
        """Claim the order's products before any other work of the job.

        A collision with another import (see :meth:`_omni_process`) then
        costs nothing but the reading of the order: what the mapping writes
        (the order's data, the customer) comes after. An order that cannot be
        read or mapped claims nothing here; its processing says why. Returns
        the order as parsed (None if not), which the processing then reuses.
        """
        channel = self.channel_id
        if channel.order_policy != "confirm":
            return None
        try:
            order = channel._omni_build_adapter().parse_order(self._omni_raw())
            by_key = self.env["omni.product.binding"]._omni_find_by_keys(
                channel, [key for line in order.lines for key in _line_keys(line)])
        except Exception:  # noqa: BLE001 - reported by the processing itself
            return None
        self._omni_claim_stock(self.env["product.product"].union(
            *(binding.product_id for binding in by_key.values())))
        return order

    def _omni_process_here(self, parsed=None):
        """Map in the current transaction (a click, the shop's API call);
        ``parsed``: the order already read in this transaction, if any."""
        self.ensure_one()
        self._omni_lock()
        self.invalidate_recordset()
        lang = self.channel_id._omni_in_responsible_lang().env.lang
        return self.with_context(lang=lang)._omni_process_in_lang(parsed)

    def _omni_raw(self):
        return RawOrder(
            external_id=self.external_id,
            payload=self._omni_payload(),
            body=self.raw_payload or "",
            updated_marker=self.updated_marker or "",
        )

    def _omni_process_in_lang(self, parsed=None):
        channel = self.channel_id
        raw = self._omni_raw()
        try:
            order = parsed if parsed is not None else self._omni_parse(channel, raw)
            self.write(self._omni_order_vals(order))
            self._omni_check(order)
            with self.env.cr.savepoint():
                self._omni_apply(order)
        except (OmniMappingError, UserError) as err:
            detail = getattr(err, "detail", "") or ""
            self._omni_needs_attention(str(err.args[0]) if err.args else str(err), detail)
            return f"needs attention: {err}"
        return f"{self.state}: {self.sale_order_id.name or ''}"

    def _omni_parse(self, channel, raw):
        """The neutral order, or an error saying in one sentence that it cannot be read.

        A parser that trips over hostile input (any exception) puts the order
        aside like a refused one: the job ends, the next orders go on.
        """
        try:
            return channel._omni_build_adapter().parse_order(raw)
        except cerr.OmniConnectorError as err:
            if err.retryable:
                raise RetryableJobError(str(err)) from err
            detail = channel._omni_error_text(err)
        except RetryableJobError:
            raise
        except (UserError, OmniMappingError):
            raise
        except Exception as err:  # noqa: BLE001 - hostile input must not crash the job
            _logger.info("Order %s of %s could not be parsed", self.external_id,
                         channel.name, exc_info=True)
            detail = f"{type(err).__name__}: {err}"[:2000]
        self._omni_show_readable(raw.payload)
        raise OmniMappingError(
            self.env._(
                "The channel's data for this order cannot be read; the received data is "
                "kept below. Have the order corrected on the channel, then press Retry."
            ),
            detail,
        )

    def _omni_show_readable(self, payload):
        """Fill the form with what a person can read of a payload no parser mapped."""
        seen = checks.peek_contact(payload) if isinstance(payload, dict) else {}
        self.write({
            "customer_name": seen.get("name") or self.customer_name,
            "customer_phone": seen.get("phone") or self.customer_phone,
            "customer_email": seen.get("email") or self.customer_email,
            "delivery_city": seen.get("city") or self.delivery_city,
        })

    def _omni_limits(self):
        params = self.env["ir.config_parameter"].sudo()
        default = checks.Limits()

        def get(name, kind):
            value = params.get_param(f"omni_channel_base.order_{name}")
            try:
                return kind(value) if value else getattr(default, name)
            except (ValueError, ArithmeticError):
                return getattr(default, name)

        return checks.Limits(
            max_lines=get("max_lines", int),
            max_quantity=get("max_quantity", Decimal),
            max_unit_price=get("max_unit_price", Decimal),
            max_total=get("max_total", Decimal),
            total_tolerance=get("total_tolerance", Decimal),
        )

    def _omni_line_label(self, order, index):
        if index is None or index >= len(order.lines or ()):
            return ""
        line = order.lines[index]
        sku = checks.clean_text(str(line.sku or line.external_product_id or "?"))[:60]
        return self.env._("line %(number)s (%(sku)s)", number=index + 1, sku=sku)

    def _omni_check(self, order, unit_lines=()):
        """Refuse, with one sentence naming the line, an order no real buyer placed."""
        problems = checks.text_problems(order)
        if problems:
            first = problems[0]
            where = self._omni_line_label(order, first.line) or first.field
            raise OmniMappingError(
                self.env._(
                    "The order has characters that cannot be stored (%(char)s) in %(where)s. "
                    "Have it corrected on the channel, then press Retry.",
                    char=first.value, where=where,
                ),
                "; ".join(f"{p.field}: {p.code} {p.value}" for p in problems),
            )
        problems = checks.number_problems(order, self._omni_limits(), unit_lines)
        if not problems:
            return
        first = problems[0]
        where = self._omni_line_label(order, first.line)
        _ = self.env._
        sentences = {
            "too_many_lines": _("The order has %(value)s lines, more than any real order."),
            "quantity": _("The quantity %(value)s on %(where)s is not a real quantity."),
            "fraction": _("The quantity %(value)s on %(where)s is a fraction, but the product "
                          "is sold in whole units."),
            "price": _("The price %(value)s on %(where)s is not a real price."),
            "total": _("The order total %(value)s is not a real amount."),
            "goods_total": _("The goods total %(value)s stated by the channel differs from "
                             "the sum of the lines."),
            "sum": _("The lines do not add up to the order total (lines/total: %(value)s), "
                     "discounts and delivery counted."),
        }
        raise OmniMappingError(
            sentences[first.code] % {"value": first.value, "where": where}
            + " " + _("Have the order corrected on the channel, then press Retry."),
            "; ".join(f"{p.code} {p.field} line={p.line} value={p.value}" for p in problems),
        )

    def _omni_payload(self):
        try:
            payload = json.loads(self.raw_payload or "")
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def _omni_needs_attention(self, reason, detail=""):
        self.write({"state": "needs_attention", "attention_reason": reason,
                    "attention_detail": detail or False})
        activity_type = self.env.ref(
            "omni_channel_base.mail_activity_omni_attention", raise_if_not_found=False
        )
        if activity_type and not self.activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type
        ):
            self.activity_schedule(
                activity_type_id=activity_type.id,
                user_id=(self.channel_id.user_id or self.env.user).id,
                note=reason,
            )

    def _omni_order_vals(self, order):
        """What the form shows of the order, stored whatever it holds (cleaned, bounded)."""
        vals = self._omni_order_raw_vals(order)
        vals["content_digest"] = self._omni_content_digest(order)
        for key, value in vals.items():
            if isinstance(value, str):
                vals[key] = checks.clean_text(value)[:2000]
            elif isinstance(value, float) and not (-1e12 < value < 1e12):
                vals[key] = 0.0
        return vals

    def _omni_order_raw_vals(self, order):
        delivery, payment, customer = order.delivery, order.payment, order.customer
        return {
            "remote_status": order.remote_status or order.state.value,
            "order_date": _naive_utc(order.created_at),
            "amount_total": _bounded(order.total),
            "customer_name": self.env["res.partner"]._omni_customer_name(customer),
            "customer_phone": customer.phone,
            "customer_email": customer.email,
            "comment": order.comment,
            "delivery_service": delivery.service,
            "delivery_method": delivery.method,
            "delivery_city": delivery.city_name,
            "delivery_city_ref": delivery.city_ref,
            "delivery_warehouse": delivery.warehouse_name,
            "delivery_warehouse_ref": delivery.warehouse_ref,
            "delivery_address": delivery.address,
            "recipient_name": delivery.recipient_name,
            "recipient_first_name": delivery.recipient_first_name,
            "recipient_last_name": delivery.recipient_last_name,
            "recipient_middle_name": delivery.recipient_middle_name,
            "delivery_warehouse_number": delivery.warehouse_number,
            "dont_call_back": bool(order.dont_call_back),
            "recipient_phone": delivery.recipient_phone,
            "ttn": delivery.ttn,
            "payment_method": payment.method_name or payment.method,
            "is_paid": payment.is_paid,
            "paid_amount": _bounded(payment.paid_amount if payment.paid_amount is not None
                                    else order.total if payment.is_paid else 0),
            "paid_date": _naive_utc(payment.paid_at) if payment.paid_at else False,
            "cash_on_delivery": payment.cash_on_delivery,
            "delivery_katottg": delivery.city_katottg,
            "delivery_service_type": delivery.service_type,
            "channel_commission": _bounded(order.commission or 0),
            "channel_commission_refunded": bool(order.commission_refunded),
        }

    def _omni_apply(self, order):
        sale = self.sale_order_id
        if order.state in (OrderState.CANCELLED, OrderState.RETURNED):
            self._omni_cancel_sale(order)
            return
        if sale:
            self._omni_update_sale(order)
            return
        # a customer chosen by the manager wins over matching
        partner = self.partner_id or self.env["res.partner"]._omni_find_or_create(
            order.customer
        )
        lines = self._omni_map_lines(order)
        if self.channel_id.order_policy == "confirm":
            # before the work: a concurrent import of the same products fails here, early
            self._omni_claim_stock(self.env["product.product"].union(*(
                line[0] for line in lines)))
        sale = self._omni_create_sale(partner, lines, order)
        self.write({"sale_order_id": sale.id, "partner_id": partner.id})
        self._omni_confirm_if_possible()
        self._omni_note_paid()

    def _omni_map_lines(self, order):
        """(product, quantity, unit price, name) per line, or one error listing all."""
        if not order.lines:
            raise OmniMappingError(self.env._("The order has no lines."))
        Binding = self.env["omni.product.binding"]
        by_key = Binding._omni_find_by_keys(
            self.channel_id, [key for line in order.lines for key in _line_keys(line)]
        )
        products = {}
        for index, line in enumerate(order.lines):
            binding = next((by_key[k] for k in _line_keys(line) if k in by_key), None)
            if binding:
                products[index] = binding.product_id
        unknown = sorted(
            {line.sku or "?" for index, line in enumerate(order.lines) if index not in products}
        )
        if unknown:
            raise OmniMappingError(
                self.env._(
                    "Unknown SKU on this channel: %(skus)s. Bind the products "
                    "(Omnichannel > Bindings), then press Retry.",
                    skus=", ".join(unknown),
                )
            )
        unit = self.env.ref("uom.product_uom_unit")
        whole = {index for index, product in products.items() if product.uom_id == unit}
        if whole:
            self._omni_check(order, unit_lines=whole)
        return [
            (products[index], float(line.quantity), float(line.unit_price), line.name)
            for index, line in enumerate(order.lines)
        ]

    def _omni_create_sale(self, partner, lines, order):
        """Create the sale order from :meth:`_omni_prepare_sale_vals`; prices as paid."""
        channel = self.channel_id
        vals = self._omni_prepare_sale_vals(partner, lines, order)
        # no "Sales Order created" note (the message below says where it came from),
        # no tracking of the values it is created with, and the job's user does not
        # follow every order it imports
        sale = self.env["sale.order"].with_company(channel.company_id).with_context(
            tracking_disable=True).create(vals)
        self._omni_set_paid_prices(sale, lines)
        self._omni_set_commission(sale, order)
        # a note in the chatter, as message_post would write it, without looking
        # for followers to notify (a new order has none)
        sale._message_log(
            body=self.env._(
                "Imported from %(channel)s, order %(number)s.",
                channel=channel.name,
                number=self.external_id,
            )
        )
        return sale

    # The sale order is built by small methods that channel and carrier addons
    # extend (call super, add their keys), never by overriding the whole. Each
    # gets the neutral order (or its line) the values come from.
    def _omni_prepare_sale_vals(self, partner, lines, order):
        """Values of the sale order: header, lines and delivery.

        ``lines`` are the mapped (product, quantity, unit price, name) of
        ``order.lines``, in the same order.
        """
        channel = self.channel_id
        vals = {
            "partner_id": partner.id,
            "company_id": channel.company_id.id,
            # the marketplace's date and money, whatever the customer's own pricelist
            "date_order": self.order_date or fields.Datetime.now(),
            "omni_import_date": fields.Datetime.now(),
            "omni_channel_id": channel.id,
            "omni_external_id": self.external_id,
            "client_order_ref": self.external_id,
            "origin": f"{channel.name}: {self.external_id}",
            "note": self.comment or False,
            "order_line": self._omni_prepare_line_commands(lines, order),
        }
        if channel.warehouse_ids:
            vals["warehouse_id"] = channel.warehouse_ids[:1].id
        if channel.pricelist_id:
            vals["pricelist_id"] = channel.pricelist_id.id
        if channel.team_id:
            vals["team_id"] = channel.team_id.id
        if channel.fiscal_position_id:
            vals["fiscal_position_id"] = channel.fiscal_position_id.id
        if channel.user_id:
            vals["user_id"] = channel.user_id.id
        vals.update(self._omni_prepare_delivery_vals(partner))
        return vals

    def _omni_prepare_line_commands(self, lines, order):
        return [
            (0, 0, self._omni_prepare_sale_line_vals(product, qty, price, name, line))
            for (product, qty, price, name), line in zip(lines, order.lines, strict=True)
        ]

    def _omni_prepare_sale_line_vals(self, product, qty, price, name, line):
        """Values of one sale order line from the neutral ``line``. ``price`` is
        what the buyer paid per unit, taxes included; the line's own price is set
        from it after creation (:meth:`_omni_net_price`), once its taxes are
        known."""
        return {
            "product_id": product.id,
            "product_uom_qty": qty,
            "price_unit": price,
            "name": name or product.display_name,
        }

    def _omni_prepare_delivery_vals(self, partner):
        """Delivery values of the sale order (carrier, shipping address...).

        Nothing in the base: the order keeps the delivery data the channel
        sent (city, pickup point, recipient) on this record; carrier addons
        turn them into a carrier and a delivery address here.
        """
        return {}

    def _omni_net_price(self, line, paid):
        """A sale order line's unit price for the price the buyer paid, taxes included."""
        taxes = self.channel_id._omni_excluded_taxes(line.tax_id)
        if not taxes:
            return paid
        return taxes.with_context(force_price_include=True).compute_all(
            paid, line.currency_id, 1.0, line.product_id, line.order_id.partner_id
        )["total_excluded"]

    def _omni_set_paid_prices(self, sale, lines):
        """The channel's prices win over the pricelist's; taxes count in, not on top."""
        order_lines = self._omni_channel_lines(sale)
        for line, (_product, _qty, paid, _name) in zip(order_lines, lines, strict=True):
            price = self._omni_net_price(line, paid)
            if float_compare(line.price_unit, price, precision_digits=6):
                line.price_unit = price

    def _omni_claim_stock(self, products):
        """Serialize the stock check and reservation of these products with the
        other order imports running at the same time (see ``omni.stock.claim``)."""
        storable = products.filtered("is_storable")
        if storable:
            self.env["omni.stock.claim"].sudo()._omni_claim(storable)

    @api.model
    def _omni_channel_lines(self, sale):
        """The sale order's lines that come from the channel's order lines."""
        return sale.order_line.filtered(
            lambda line: not line.display_type and not line.is_delivery
        )

    def _omni_reported_commission(self, sale, order):
        """(order total, per line) of the commission the channel reports, or None.

        Per-line figures are kept as reported; an order-level figure alone is
        shared among the lines by their totals, to the kopeck. A refunded
        commission is 0.
        """
        lines = self._omni_channel_lines(sale)
        per_line = [line.commission for line in order.lines]
        if order.commission is None and all(value is None for value in per_line):
            return None
        if order.commission_refunded:
            return Decimal(0), [Decimal(0)] * len(lines)
        if len(per_line) == len(lines) and all(value is not None for value in per_line):
            total = order.commission if order.commission is not None else sum(per_line)
            return money.quantize_uah(total), [money.quantize_uah(v) for v in per_line]
        total = order.commission if order.commission is not None else sum(
            value for value in per_line if value is not None)
        return money.quantize_uah(total), money.split_amount(
            total, [line.price_total for line in lines])

    def _omni_set_commission(self, sale, order):
        """Store the marketplace's commission on the sale order and its lines.

        What the channel reports wins; else :meth:`_omni_commission_by_rules`
        (none in the base). Stored at import, so a later change of rules does
        not rewrite history; a change the channel reports (a refund) does.
        """
        reported = self._omni_reported_commission(sale, order)
        source = "channel"
        if reported is None:
            reported = self._omni_commission_by_rules(sale)
            source = "rules"
        if not reported:
            return
        total, per_line = reported
        lines = self._omni_channel_lines(sale)
        currency = sale.currency_id
        for line, value in zip(lines, per_line, strict=True):
            if currency.compare_amounts(line.omni_commission, float(value)):
                line.omni_commission = float(value)
        if (currency.compare_amounts(sale.omni_commission, float(total))
                or sale.omni_commission_source != source):
            sale.write({"omni_commission": float(total), "omni_commission_source": source})

    def _omni_commission_by_rules(self, sale):
        """(order total, per line) from the channel's own commission rules, or ().

        The base has no rules; an addon that adds them returns them here.
        """
        return ()

    def _omni_shortages(self):
        """Lines the channel's warehouses cannot cover, as readable text."""
        sale = self.sale_order_id
        lines = sale.order_line.filtered(lambda line: line.product_id.is_storable)
        if not lines:
            return []
        available = self.channel_id._omni_available_to_sell(lines.product_id)
        needed = {}
        for line in lines:
            needed[line.product_id] = needed.get(line.product_id, 0.0) + line.product_uom_qty
        shortages = []
        for product, qty in needed.items():
            if float_compare(available[product.id], qty, precision_digits=3) >= 0:
                continue
            ordered = f"{qty:g}"
            have = f"{max(available[product.id], 0.0):g}"
            shortages.append(
                self.env._(
                    "%(product)s: %(needed)s %(uom)s ordered, %(available)s available",
                    product=product.display_name,
                    needed=ordered,
                    uom=product.uom_id.name,
                    available=have,
                )
            )
        return shortages

    def _omni_confirm_if_possible(self):
        """Confirm per the channel's policy; a shortage leaves a flagged quotation.

        Not raised as an error: the quotation is kept so the manager sees what
        the buyer wanted, and Retry confirms it once stock allows.
        """
        if self.channel_id.order_policy != "confirm":
            self.write({"state": "imported", "attention_reason": False})
            return
        self._omni_claim_stock(self.sale_order_id.order_line.product_id)
        shortages = self._omni_shortages()
        if shortages:
            self._omni_needs_attention(
                self.env._(
                    "Not enough stock to reserve this order; it stays a quotation: %(lines)s",
                    lines="; ".join(shortages),
                )
            )
            return
        # the deliveries it creates say which order they come from; no "Transfer created"
        self.sale_order_id.with_context(mail_create_nolog=True).action_confirm()
        self.write({"state": "imported", "attention_reason": False})
        self.activity_ids.action_done()

    def _omni_update_sale(self, order):
        sale = self.sale_order_id
        current = sorted(
            (line.product_id.id, line.product_uom_qty) for line in self._omni_channel_lines(sale)
        )
        mapped = self._omni_map_lines(order)
        wanted = sorted((product.id, qty) for product, qty, _p, _n in mapped)
        if current != wanted:
            if sale.state in ("draft", "sent"):
                sale.order_line.unlink()
                sale.write({"order_line": self._omni_prepare_line_commands(mapped, order)})
                self._omni_set_paid_prices(sale, mapped)
            else:
                raise OmniMappingError(
                    self.env._(
                        "The order lines were changed on the channel after the sale "
                        "order was confirmed. Adjust %(sale)s by hand, then press Retry.",
                        sale=sale.name,
                    )
                )
        self._omni_set_commission(sale, order)
        if not (current == wanted and order.state.value == self.last_status_sent):
            # (the echo of a status Odoo itself sent changes nothing worth a message)
            sale.message_post(
                body=self.env._(
                    "Order updated on %(channel)s (status: %(status)s).",
                    channel=self.channel_id.name,
                    status=self.remote_status,
                )
            )
        if sale.state in ("draft", "sent"):
            self._omni_confirm_if_possible()
        else:
            self.write({"state": "imported", "attention_reason": False})
        self._omni_note_paid()

    def _omni_cancel_sale(self, order):
        sale = self.sale_order_id
        if sale and sale.state != "cancel":
            sale.with_context(disable_cancel_warning=True, omni_from_channel=True)._action_cancel()
            reason = order.cancel_reason or order.remote_status
            sale.message_post(
                body=self.env._(
                    "Cancelled on %(channel)s (%(reason)s); stock released.",
                    channel=self.channel_id.name,
                    reason=reason,
                )
                if reason
                else self.env._("Cancelled on %(channel)s; stock released.",
                                channel=self.channel_id.name)
            )
        if sale:
            # a commission the marketplace refunds with the cancellation
            self._omni_set_commission(sale, order)
        self.write({"state": "cancelled", "attention_reason": False})
        self.activity_ids.action_done()

    def _omni_note_paid(self):
        """The channel says the buyer paid (Prom Payment, Rozetka's paid status)."""
        if self.is_paid and self.sale_order_id and self.sale_order_id.state != "cancel":
            self.sale_order_id._omni_register_collected(
                self.paid_amount or self.amount_total,
                self.paid_date or self.order_date or fields.Datetime.now(),
                "channel",
            )

    # ------------------------------------------------------- status out
    def _omni_queue_status(self, state, ttn="", carrier="", cancel_reason="", comment="",
                           remote_status=None, picking=None):
        """Queue telling the channel that the order moved on (a job, never in this transaction).

        One job per order and status (and waybill): the same event raised
        twice in a transaction, or while the job waits, is sent once.
        """
        # raised by whoever confirms, ships or cancels: not always allowed to write here
        for order in self.sudo().filtered(lambda o: o.channel_id.push_order_status):
            state = OrderState(state)
            order.write({"status_sync_state": "pending", "status_sync_error": False})
            order.channel_id._omni_delay(
                "status",
                lambda _, o=order, s=state: _(
                    "Send status %(status)s of order %(number)s to %(channel)s",
                    status=s.value, number=o.external_id, channel=o.channel_id.name,
                ),
                priority=PRIORITY["status"],
                suffix=f":{order.id}:{state.value}:{ttn}",
                record=order,
            )._omni_push_status(
                state.value, ttn=ttn or "", carrier=carrier or "",
                cancel_reason=cancel_reason or "", comment=comment or "",
                remote_status=remote_status, picking_id=picking.id if picking else False,
            )

    def _omni_push_status(self, state, ttn="", carrier="", cancel_reason="", comment="",
                          remote_status=None, picking_id=False):
        """Job: send the status to the channel; a refusal is shown on the order with Retry."""
        self.ensure_one()
        self._omni_lock()
        channel = self.channel_id._omni_in_responsible_lang()
        record = self.env["stock.picking"].browse(picking_id) if picking_id else self
        try:
            with channel._omni_session(record=record) as adapter:
                result = adapter.set_order_status(
                    self.external_id, OrderState(state), ttn=ttn, carrier=carrier,
                    cancel_reason=cancel_reason, comment=comment,
                    remote_status=remote_status,
                )
        except cerr.OmniConnectorError as err:
            if err.retryable:
                raise channel._omni_translate_error(err, in_job=True) from err
            message = channel._omni_error_text(err)
            self.with_context(lang=channel.env.lang)._omni_status_failed(message)
            return f"refused: {err}"
        values = {"status_sync_state": "done", "status_sync_error": False,
                  "last_status_sent": state}
        if result.remote_status:
            values["remote_status"] = result.remote_status
        self.write(values)
        body = channel.env._(
            "Status %(status)s sent to %(channel)s.", status=state, channel=channel.name
        )
        if ttn:
            body = channel.env._(
                "Status %(status)s with waybill %(ttn)s sent to %(channel)s.",
                status=state, ttn=ttn, channel=channel.name,
            )
        for warning in result.warnings:
            body += f" {warning}"
        # a note (as message_post writes it; notes notify no follower)
        (self.sale_order_id or self)._message_log(body=body)
        return f"{state}: {result.remote_status}"

    def _omni_status_failed(self, message):
        self.write({"status_sync_state": "error", "status_sync_error": message})
        activity_type = self.env.ref(
            "omni_channel_base.mail_activity_omni_attention", raise_if_not_found=False
        )
        if activity_type:
            self.activity_schedule(
                activity_type_id=activity_type.id,
                user_id=(self.channel_id.user_id or self.env.user).id,
                note=message,
            )

    def action_retry_status(self):
        """Send the last status again (after fixing what the channel refused)."""
        self._omni_check_manager()
        for order in self.filtered(lambda o: o.status_sync_state == "error"):
            sale = order.sale_order_id
            picking = sale.picking_ids._omni_shipped_pickings()[:1] if sale else None
            if sale and sale.state == "cancel":
                order._omni_queue_status(OrderState.CANCELLED)
            elif picking:
                picking._omni_queue_shipped()
            elif sale and sale.state == "sale":
                order._omni_queue_status(OrderState.CONFIRMED)
        return True

    # ------------------------------------------------------------ buttons
    def _omni_check_manager(self):
        """Only the pipeline and managers change what a channel sent (see the access rules)."""
        self.channel_id._omni_check_manager()

    def action_retry(self):
        self._omni_check_manager()
        for order in self:
            order.write({"state": "received"})
            order.activity_ids.action_done()
        self._omni_enqueue_processing()
        return True

    def action_process_now(self):
        """Map at once (from the form), without waiting for the job runner."""
        self._omni_check_manager()
        for order in self.with_user(SUPERUSER_ID):
            order._omni_process_here()
        return True

    def action_open_sale(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.sale_order_id.id,
            "view_mode": "form",
        }
