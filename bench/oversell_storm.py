#!/usr/bin/env python3
"""Oversell storm: two marketplaces sell scarce stock; omni versus a 15-minute batch sync.

Products with few units each (default 80 products, 1-3 units) are offered on
two simulated marketplaces (GenericChannelSimulator). Buyers arrive as a
seeded Poisson stream at a steady rate; each comes to one of the two
marketplaces (at random) and buys one unit of a random product that this
marketplace shows as available (the first one of a random order of
preference that is shown, which is a uniform choice among those shown). A
buyer who finds nothing shown leaves. The same buyers are played, at the same
real moments, against two arms running side by side:

omni
    A real Odoo server with the queue_job runner and real HTTP to the two
    simulators. The benchmark polls the marketplaces' order feeds every
    ``--import-every`` real seconds (``--import-mode queue``: calls
    ``action_import_orders_now``, which queues the import job of each
    channel, run by the job runner; ``direct``: calls ``_omni_import_orders``
    in a bench thread with its own cursor). Each order is then mapped in its
    own job, which confirms the sale order, so Odoo reserves the stock, and
    the coalesced stock job (sync delay 1 s, as shipped) pushes the new
    quantity to both marketplaces.
baseline
    A batch sync every 15 simulated minutes: both marketplaces are set to the
    real remaining stock (units minus units sold on both), nothing in between.
    The first batch runs when the storm starts, the last when it ends (that
    one sells nothing; it closes the last exposure windows).

Time is compressed by ``--compression`` (default 2: 1 real second = 2
simulated seconds) for the buyers' rate and the baseline's period alike;
omni's own latencies (job runner, order import, sync delay, HTTP) stay real.
The storm lasts ``--periods`` baseline periods (default 2: 2 x 450 real
seconds), so a default run takes about 15-16 minutes.

Oversold = accepted marketplace orders beyond the units that existed, per
product, per arm. Every omni order that could not be reserved must be left
"needs attention" (a quotation and an activity for the channel's
responsible): per product, as many as omni oversold. No confirmed sale order
may take more units than existed. Prints one JSON object on stdout.
"""

import math
import random
import statistics
import sys
import threading
import time
from datetime import timezone

import _common as bc

NAME = "oversell_storm"
MARKETS = 2


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--products", type=int, default=80, help="products on sale (80)")
    parser.add_argument("--units", type=int, nargs=2, default=(1, 3), metavar=("MIN", "MAX"),
                        help="units in stock per product (1 3)")
    parser.add_argument("--rate", type=float, default=6.0,
                        help="buyers per simulated minute, both marketplaces together (6)")
    parser.add_argument("--compression", type=float, default=2.0,
                        help="simulated seconds per real second, the same for both arms (2)")
    parser.add_argument("--periods", type=float, default=2.0,
                        help="length of the storm in baseline periods (2)")
    parser.add_argument("--baseline-period", type=float, default=15.0,
                        help="baseline batch sync period, simulated minutes (15)")
    parser.add_argument("--import-every", type=float, default=0.0,
                        help="real seconds between two polls of the order feeds by the "
                        "benchmark; 0 (default): none, the addon polls by itself as shipped")
    parser.add_argument("--poll-interval", type=int, default=None,
                        help="the channels' own order polling interval, s (default: the "
                        "addon's); with --import-every 0 the addon's polling is measured")
    parser.add_argument("--import-mode", choices=("queue", "direct"), default="queue",
                        help="queue: action_import_orders_now (the import job, run by the "
                        "job runner); direct: _omni_import_orders in a bench thread (queue)")
    parser.add_argument("--delay", type=int, default=None,
                        help="channel sync delay, s (default: as shipped)")
    parser.add_argument("--workers", type=int, default=bc.DEFAULT_WORKERS,
                        help="Odoo HTTP workers (4, as odoo.conf.example)")
    parser.add_argument("--channels-config", default=bc.DEFAULT_CHANNELS,
                        help="[queue_job] channels of the server")
    parser.add_argument("--drain-timeout", type=float, default=180.0,
                        help="real seconds to wait, after the storm, for omni to map every "
                        "order (180)")
    parser.add_argument("--markets", choices=("generic", "marketplaces"), default="generic",
                        help="generic: two generic channels (GenericChannelSimulator); "
                        "marketplaces: one Rozetka and one Prom.ua channel with their "
                        "simulators, adapters and shipped settings (installs both addons)")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--target-ratio", type=float, default=100.0)
    args = parser.parse_args(argv)
    for name in ("products", "rate", "compression", "periods", "baseline_period"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.poll_interval is not None and args.poll_interval < 0:
        parser.error("--poll-interval must be 0 or positive")
    if args.import_every < 0:
        parser.error("--import-every must be 0 (the addon's own polling) or positive")
    if not 0 <= args.units[0] <= args.units[1]:
        parser.error("--units MIN MAX with 0 <= MIN <= MAX")
    return args


def period_real_s(args):
    return args.baseline_period * 60.0 / args.compression


def storm_real_s(args):
    return args.periods * period_real_s(args)


def buyers_per_real_s(args):
    return args.rate / 60.0 * args.compression


# ------------------------------------------------------------------ the buyers
class Buyer:
    __slots__ = ("index", "at", "market", "prefs")

    def __init__(self, index, at, market, prefs):
        self.index, self.at, self.market, self.prefs = index, at, market, prefs


def buyer_stream(args, skus):
    """The seeded Poisson stream, in real seconds from the start of the storm."""
    rng = random.Random(f"{args.seed}:buyers")
    rate, length = buyers_per_real_s(args), storm_real_s(args)
    stream, at = [], 0.0
    while True:
        at += rng.expovariate(rate)
        if at >= length:
            return stream
        prefs = rng.sample(skus, len(skus))
        stream.append(Buyer(len(stream), at, rng.randrange(MARKETS), prefs))


class Display:
    """Every change of a quantity shown on a marketplace, with its time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.changes = []  # (time, seq, market, sku, qty)

    def note(self, market, sku, qty, when):
        with self.lock:
            self.changes.append((when, len(self.changes), market, sku, qty))

    def by_key(self):
        with self.lock:
            changes = sorted(self.changes)
        out = {}
        for when, _seq, market, sku, qty in changes:
            out.setdefault((market, sku), []).append((when, qty))
        return out

    def sorted_changes(self):
        with self.lock:
            return sorted(self.changes)


class Arm:
    """One side of the comparison: two marketplaces and what buyers did there."""

    def __init__(self, name, sims, display):
        self.name, self.sims, self.display = name, sims, display
        self.accepted = []  # (time, market, sku, order id)
        self.found_nothing = 0
        self.refused = 0

    def buy(self, buyer):
        sim = self.sims[buyer.market]
        with sim.lock:  # what the buyer sees and the order, at once
            sku = next((s for s in buyer.prefs if sim.shown(s) > 0), None)
            if sku is None:
                self.found_nothing += 1
                return
            try:
                order_id, when = sim.buy(buyer.index, sku)
            except bc.order_refused():
                self.refused += 1
                return
        self.accepted.append((when, buyer.market, sku, order_id))


class BatchSync:
    """The baseline: every period, both marketplaces show the real remaining stock."""

    def __init__(self, arm, stock):
        self.arm, self.stock = arm, stock
        self.times = []

    def run(self):
        sold = dict.fromkeys(self.stock, 0)
        for _when, _market, sku, _oid in self.arm.accepted:
            sold[sku] += 1
        for market, sim in enumerate(self.arm.sims):
            with sim.lock:
                for sku, units in self.stock.items():
                    qty = max(0, units - sold[sku])
                    sim.add_offer(sku, quantity=qty, price="1.00")
                    self.arm.display.note(market, sku, qty, time.monotonic())
        self.times.append(time.monotonic())


# ----------------------------------------------------------------- omni's side
MARKETPLACE_ADDONS = ("omni_marketplace_rozetka", "omni_marketplace_prom")


def make_markets(args):
    """The omni arm's marketplaces (serving HTTP) and the baseline's (no HTTP)."""
    if args.markets == "marketplaces":
        omni = [bc.timed_rozetka_class()(market_title="Rozetka storm").start(),
                bc.timed_prom_class()(token="storm-prom-token-x9").start()]
    else:
        sim_cls = bc.timed_simulator_class()
        omni = [sim_cls(api_key=f"storm-key-{i}-x9", shop=f"Marketplace {chr(65 + i)}")
                .start() for i in range(MARKETS)]
    base_cls = bc.timed_simulator_class()
    base = [base_cls(api_key=f"batch-key-{i}-x9") for i in range(MARKETS)]
    return omni, base


def market_names(args):
    return ["Rozetka", "Prom"] if args.markets == "marketplaces" else ["A", "B"]


def ensure_addons(db, addons):
    """Install the marketplace addons in the bench database when missing."""
    import subprocess

    names = ",".join(f"'{a}'" for a in addons)
    out = subprocess.run(
        ["psql", "-d", db, "-Atc",
         f"SELECT count(*) FROM ir_module_module WHERE state = 'installed' AND name IN ({names})"],
        capture_output=True, text=True, check=False)
    if out.stdout.strip() == str(len(addons)):
        return
    bc.log(f"installing {', '.join(addons)} in {db}")
    subprocess.run(
        [bc.python(), "-m", "odoo", "-d", db, f"--addons-path={bc.addons_path()}",
         "-i", ",".join(addons), "--stop-after-init", "--without-demo=all",
         "--log-level=warn"],
        check=True, stdout=subprocess.DEVNULL, stderr=sys.stderr)


def channel_vals(args, env, sims, warehouse):
    """Each marketplace's channel, as a seller would create it (shipped defaults)."""
    common = {"warehouse_ids": [(6, 0, warehouse.ids)],
              **({"sync_delay": args.delay} if args.delay is not None else {}),
              "sync_price": False, "sync_orders": True, "order_policy": "confirm",
              **({"order_poll_interval": args.poll_interval}
                 if args.poll_interval is not None else {})}
    if args.markets == "marketplaces":
        rozetka, prom = sims
        pricelist = env["product.pricelist"].create({"name": "Storm prices"})
        return [
            {"name": "Rozetka", "channel_type": "rozetka", "rozetka_api_url": rozetka.url,
             "rozetka_login": rozetka.username, "rozetka_password": rozetka.password,
             "pricelist_id": pricelist.id, "order_import_days": 1, **common},
            {"name": "Prom.ua", "channel_type": "prom", "api_url": f"{prom.url}/api/v1",
             "prom_token": prom.api_key, "pricelist_id": pricelist.id,
             "order_import_days": 1, **common},
        ]
    return [{"name": f"Marketplace {chr(65 + i)}", "channel_type": "generic",
             "api_url": sim.url, "api_key": sim.api_key, **common}
            for i, sim in enumerate(sims)]


def list_offers(args, sims, products):
    """The products on the marketplaces (nothing shown yet); binding values per market."""
    if args.markets != "marketplaces":
        for sim in sims:
            for product in products:
                sim.add_offer(product.default_code, quantity=0, price="1.00")
        return [{} for _sim in sims]
    rozetka, prom = sims
    keys = [{}, {}]
    for product in products:
        code = product.default_code
        item = rozetka.add_item(code, product.name, quantity=0, price=product.list_price)
        keys[0][product.id] = {"sku": code, "external_id": str(item["rz_item_id"])}
        found = prom.add_product(code, name=product.name, quantity=0,
                                 price=str(product.list_price))
        keys[1][product.id] = {"sku": code, "external_id": str(found["id"])}
    return keys


def setup(registry, args, sims):
    rng = random.Random(f"{args.seed}:stock")
    with bc.odoo_env(registry, {"tracking_disable": True}) as env:
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", env.company.id)], limit=1)
        products = env["product.product"].create([
            {"name": f"Storm product {i}", "default_code": f"STORM-{i:03d}",
             "is_storable": True, "list_price": 500.0 + 10 * i}
            for i in range(args.products)
        ])
        stock = {p.default_code: rng.randint(*args.units) for p in products}
        quants = env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": warehouse.lot_stock_id.id,
             "inventory_quantity": stock[p.default_code]}
            for p in products
        ])
        quants.action_apply_inventory()
        keys = list_offers(args, sims, products)
        channels = env["omni.channel"].create(channel_vals(args, env, sims, warehouse))
        env["omni.product.binding"].create([
            {"channel_id": c.id, "product_id": p.id, **keys[i].get(p.id, {})}
            for i, c in enumerate(channels) for p in products
        ])
        cron = env.ref("omni_channel_base.ir_cron_omni_import_orders",
                       raise_if_not_found=False)
        shipped = {"cron": f"{cron.interval_number} {cron.interval_type}" if cron else None}
        shipped["channel_order_poll_interval_s"] = {
            c.name: c.order_poll_interval for c in channels}
        shipped["channel_sync_delay_s"] = channels[0].sync_delay
        shipped["channel_types"] = {c.name: c.channel_type for c in channels}
        if args.markets == "marketplaces":
            shipped["rozetka_full_check_every_s"] = channels[0].rozetka_full_check_every
        return {"stock": stock, "channel_ids": channels.ids,
                "products": {p.default_code: p.id for p in products},
                "import_shipped": shipped}


class Importer(threading.Thread):
    """Polls the order feeds of every channel at a fixed real interval."""

    def __init__(self, registry, channel_ids, every, mode):
        super().__init__(name="omni-bench-importer", daemon=True)
        self.registry, self.channel_ids = registry, channel_ids
        self.every, self.mode = every, mode
        self.stopping = threading.Event()
        self.requests = 0
        self.errors = []
        self.late = []  # how late each poll started against its schedule

    def poll(self):
        if self.mode == "queue":
            with bc.odoo_env(self.registry) as env:
                env["omni.channel"].browse(self.channel_ids).action_import_orders_now()
            return
        for channel_id in self.channel_ids:  # one transaction per channel, as a job
            with bc.odoo_env(self.registry) as env:
                env["omni.channel"].browse(channel_id)._omni_import_orders()

    def run(self):
        if self.every <= 0:
            # shipped behaviour: one kick starts each channel's own polling loop
            # (order_poll_interval), which then runs by itself in the job runner
            try:
                self.poll()
                self.requests += 1
            except Exception as err:  # reported at the end
                self.errors.append(repr(err)[:300])
            self.stopping.wait()
            return
        due = time.monotonic()
        while not self.stopping.is_set():
            self.late.append(time.monotonic() - due)
            try:
                self.poll()
                self.requests += 1
            except Exception as err:  # keep polling; reported at the end
                self.errors.append(repr(err)[:300])
            due += self.every
            self.stopping.wait(max(0.0, due - time.monotonic()))

    def stop(self):
        self.stopping.set()
        if self.ident is not None:
            self.join(timeout=30)


def wait_shown(sims, expected, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(sim.shown(sku) == qty for sim in sims for sku, qty in expected.items()):
            return True
        time.sleep(0.05)
    return False


def omni_orders(registry, channel_ids):
    """Every stored order with its state, sale order state and open activity."""
    with bc.odoo_env(registry) as env:
        cr = env.cr
        cr.execute(
            """
            SELECT o.channel_id, o.external_id, o.state, s.state,
                   EXISTS (SELECT 1 FROM mail_activity a
                            WHERE a.res_model = 'omni.external.order' AND a.res_id = o.id)
              FROM omni_external_order o
              LEFT JOIN sale_order s ON s.id = o.sale_order_id
             WHERE o.channel_id = ANY(%s)
            """,
            [channel_ids],
        )
        return cr.fetchall()


def omni_jobs(registry):
    """Omni's jobs by method and state; a pending job due later (a push waiting
    for its sync delay, the next poll of an order feed that the addon schedules
    itself) is counted apart, as "scheduled"."""
    with bc.odoo_env(registry) as env:
        env.cr.execute(
            """
            SELECT method_name,
                   CASE WHEN state = 'pending' AND eta > now() AT TIME ZONE 'UTC'
                        THEN 'scheduled' ELSE state END,
                   count(*)
              FROM queue_job
             WHERE identity_key LIKE 'omni:%%' GROUP BY 1, 2
            """
        )
        jobs = {}
        for method, state, count in env.cr.fetchall():
            jobs.setdefault(method, {})[state] = count
        return jobs


def jobs_waiting(jobs):
    """Jobs waiting or running, except the order polls scheduled for later."""
    return sum(n for method, states in jobs.items() for state, n in states.items()
               if state in ("pending", "enqueued", "started", "wait_dependencies")
               or (state == "scheduled" and method != "_omni_import_orders"))


def drain(registry, args, ctx, accepted, importer):
    """Wait (bounded) until omni stored and mapped every accepted order, then for its jobs."""
    want = len(accepted)
    deadline = time.monotonic() + args.drain_timeout
    orders = omni_orders(registry, ctx["channel_ids"])
    while time.monotonic() < deadline:
        settled = [o for o in orders if o[2] in ("imported", "needs_attention")]
        if len(settled) >= want:
            break
        time.sleep(0.5)
        orders = omni_orders(registry, ctx["channel_ids"])
    importer.stop()
    while True:
        jobs = omni_jobs(registry)
        if not jobs_waiting(jobs) or time.monotonic() > deadline:
            return omni_orders(registry, ctx["channel_ids"]), jobs
        time.sleep(0.5)


def confirmed_units(registry, ctx):
    """Units on confirmed sale orders per product (what Odoo promised to deliver)."""
    with bc.odoo_env(registry) as env:
        env.cr.execute(
            """
            SELECT l.product_id, SUM(l.product_uom_qty)
              FROM sale_order_line l JOIN sale_order s ON s.id = l.order_id
             WHERE s.state = 'sale' AND s.omni_channel_id = ANY(%s)
             GROUP BY l.product_id
            """,
            [ctx["channel_ids"]],
        )
        return dict(env.cr.fetchall())


def process_latency(registry, ctx, accepted, clock_offset):
    """Per order: (market, accepted -> stored, accepted -> first mapping job done).

    Stored: the ``create_date`` of the external order, i.e. the start of the
    import job's transaction that fetched it (a little before the fetch
    itself), so it stands for the wait for the channel's next poll. Mapped:
    the first mapping job done (the sale order confirmed, so the stock
    reserved, or the order flagged); a later one re-reads an order the
    marketplace changed (e.g. after omni sent it the status "confirmed").
    """
    with bc.odoo_env(registry) as env:
        env.cr.execute(
            """
            SELECT o.channel_id, o.external_id, o.create_date, min(j.date_done)
              FROM omni_external_order o
              LEFT JOIN queue_job j ON j.identity_key =
                   'omni:' || o.channel_id || ':order:' || o.id AND j.state = 'done'
             WHERE o.channel_id = ANY(%s)
             GROUP BY o.channel_id, o.external_id, o.create_date
            """,
            [ctx["channel_ids"]],
        )
        rows = {(cid, ext): (stored, done) for cid, ext, stored, done in env.cr.fetchall()}

    def since(moment, when):
        if moment is None:
            return None
        return moment.replace(tzinfo=timezone.utc).timestamp() - (when + clock_offset)

    out = []
    for when, market, _sku, order_id in accepted:
        stored, done = rows.get((ctx["channel_ids"][market], order_id), (None, None))
        out.append((market, since(stored, when), since(done, when), order_id))
    return out


# ------------------------------------------------------------------- analysis
def oversold(stock, accepted):
    sold = dict.fromkeys(stock, 0)
    for _when, _market, sku, _oid in accepted:
        sold[sku] += 1
    over = {sku: max(0, sold[sku] - stock[sku]) for sku in stock}
    within = sum(min(sold[sku], stock[sku]) for sku in stock)
    return sum(over.values()), over, within


def first_zero_at_or_after(changes, moment):
    """First time >= moment at which a marketplace showed 0, or None."""
    shown = None
    for when, qty in changes:
        if when <= moment:
            shown = qty
            continue
        if shown == 0:
            return moment
        if qty == 0:
            return when
        shown = qty
    return moment if shown == 0 else None


def exposure_windows(stock, accepted, display):
    """Per sold-out product: from the sale of its last unit until both marketplaces show 0.

    Returns (window or None, sku, marketplace of the last sale, time of that sale,
    its order id).
    """
    by_key = display.by_key()
    sold = dict.fromkeys(stock, 0)
    windows = []
    for when, market, sku, oid in sorted(accepted):
        sold[sku] += 1
        if sold[sku] != stock[sku]:
            continue
        zeros = [first_zero_at_or_after(by_key.get((m, sku), []), when)
                 for m in range(MARKETS)]
        windows.append((None if None in zeros else max(zeros) - when, sku, market, when, oid))
    return windows


def slowest_windows(windows, start, names, steps, count=3):
    """The longest exposure windows, to find what held them up (seconds into the storm),
    with the steps of the order that sold the last unit (seconds after its sale)."""
    complete = sorted((w for w in windows if w[0] is not None), reverse=True)[:count]
    out = []
    for window, sku, market, when, oid in complete:
        stored, mapped = steps.get((market, oid), (None, None))
        out.append({"sku": sku, "window_s": bc.rounded(window), "sold_on": names[market],
                    "last_unit_sold_at_s": bc.rounded(when - start, 1),
                    "order_stored_after_s": bc.rounded(stored),
                    "order_mapped_after_s": bc.rounded(mapped)})
    return out


def window_breakdown(windows, names, steps):
    """Where the windows went, by marketplace of the last sale (means, real seconds):
    waiting for the poll that stored the order, mapping it (the sale order confirmed
    and the stock reserved), then the stock push until both marketplaces show 0."""
    out = {}
    for m, name in enumerate(names):
        parts = [(steps[(m, oid)][0], steps[(m, oid)][1], window)
                 for window, _sku, market, _when, oid in windows
                 if market == m and window is not None
                 and None not in steps.get((m, oid), (None, None))]
        if not parts:
            out[name] = None
            continue
        out[name] = {
            "windows": len(parts),
            "mean_until_stored_s": bc.rounded(statistics.fmean(p[0] for p in parts)),
            "mean_stored_to_mapped_s": bc.rounded(statistics.fmean(p[1] - p[0] for p in parts)),
            "mean_mapped_to_shown_0_s": bc.rounded(statistics.fmean(p[2] - p[1]
                                                                   for p in parts)),
            "mean_window_s": bc.rounded(statistics.fmean(p[2] for p in parts)),
        }
    return out


def window_stats(windows, compression=None):
    complete = [w[0] for w in windows if w[0] is not None]
    out = {
        "p50": bc.rounded(bc.percentile(complete, 50)),
        "p95": bc.rounded(bc.percentile(complete, 95)),
        "max": bc.rounded(max(complete) if complete else None),
        "mean": bc.rounded(statistics.fmean(complete) if complete else None),
        "sold_out_products": len(windows),
        "still_shown_at_the_end": len(windows) - len(complete),
    }
    if compression is not None:
        out["p50_simulated_s"] = bc.rounded(
            out["p50"] * compression if out["p50"] is not None else None, 1)
        out["p95_simulated_s"] = bc.rounded(
            out["p95"] * compression if out["p95"] is not None else None, 1)
    return out


def exposure_integrals(stock, accepted, display, start, end, market_rate):
    """What the displays exposed, integrated over the storm (real seconds).

    ``expected_oversold``: the expected number of oversold units given what the
    marketplaces showed, with this benchmark's buyers (``market_rate`` per real
    second per marketplace, each choosing uniformly among the products shown):
    the integral of market_rate x (products shown but already sold out) /
    (products shown). By the compensator of the Poisson stream it has the same
    mean as the oversold count, with much less noise when the count is small.
    ``overshown_unit_s``: units shown beyond the real remaining stock, times
    seconds, summed over both marketplaces.
    """
    timeline = [(when, 0, market, sku, qty)
                for when, _seq, market, sku, qty in display.sorted_changes()]
    timeline += [(when, 1, market, sku, None) for when, market, sku, _oid in accepted]
    timeline.sort(key=lambda ev: (ev[0], ev[1]))
    shown = {(m, sku): 0 for m in range(MARKETS) for sku in stock}
    sold = dict.fromkeys(stock, 0)
    expected = overshown = 0.0
    by_market = [0.0] * MARKETS

    def integrate(t0, t1):
        nonlocal expected, overshown
        t0, t1 = max(t0, start), min(t1, end)
        if t1 <= t0:
            return
        for m in range(MARKETS):
            on_sale = sold_out_shown = 0
            for sku, units in stock.items():
                qty = shown[(m, sku)]
                if qty > 0:
                    on_sale += 1
                    if sold[sku] >= units:
                        sold_out_shown += 1
                overshown += max(0, qty - max(0, units - sold[sku])) * (t1 - t0)
            if on_sale:
                part = market_rate * sold_out_shown / on_sale * (t1 - t0)
                expected += part
                by_market[m] += part

    previous = start
    for when, kind, market, sku, qty in timeline:
        integrate(previous, when)
        previous = max(previous, when)
        if kind == 0:
            shown[(market, sku)] = qty
        else:
            sold[sku] += 1
    integrate(previous, end)
    return {"expected_oversold": bc.rounded(expected, 3),
            "expected_oversold_by_market_shown": [bc.rounded(x, 3) for x in by_market],
            "overshown_unit_s": bc.rounded(overshown, 1)}


def poisson_upper(count, confidence=0.95):
    """One-sided upper confidence bound of a Poisson mean after observing ``count``."""
    def cdf(mean):
        term = total = math.exp(-mean)
        for k in range(1, count + 1):
            term *= mean / k
            total += term
        return total

    low, high = 0.0, count + 10.0 * math.sqrt(count + 1) + 10.0
    for _ in range(100):
        mid = (low + high) / 2
        if cdf(mid) > 1 - confidence:
            low = mid
        else:
            high = mid
    return high


def flag_check(ctx, accepted, over_by_sku, orders):
    """Flagged orders per product against the units omni oversold per product."""
    stored = {(cid, ext): (state, sale_state, activity)
              for cid, ext, state, sale_state, activity in orders}
    flagged_by_sku, states, missing = {}, {}, 0
    quotation = activity = 0
    for _when, market, sku, oid in accepted:
        row = stored.get((ctx["channel_ids"][market], oid))
        if row is None:
            missing += 1
            continue
        state, sale_state, has_activity = row
        states[state] = states.get(state, 0) + 1
        if state == "needs_attention":
            flagged_by_sku[sku] = flagged_by_sku.get(sku, 0) + 1
            quotation += sale_state in ("draft", "sent")
            activity += bool(has_activity)
    flagged = sum(flagged_by_sku.values())
    wanted = {sku: n for sku, n in over_by_sku.items() if n}
    return {
        "flagged": flagged,
        "flagged_by_product": flagged_by_sku,
        "per_product_equal": flagged_by_sku == wanted,
        "flagged_kept_as_quotation": quotation,
        "flagged_with_activity": activity,
        "accepted_orders_not_stored": missing,
        "accepted_orders_by_state": states,
    }


def summarize(args, ctx, arms, parts):
    stock = ctx["stock"]
    omni, base = arms["omni"], arms["baseline"]
    omni_over, omni_by_sku, omni_within = oversold(stock, omni.accepted)
    base_over, base_by_sku, base_within = oversold(stock, base.accepted)
    flags = flag_check(ctx, omni.accepted, omni_by_sku, parts["orders"])
    reserved = parts["confirmed"]
    over_reserved = {
        sku: reserved.get(pid, 0.0) - stock[sku]
        for sku, pid in ctx["products"].items() if reserved.get(pid, 0.0) > stock[sku]
    }
    upper = poisson_upper(omni_over)
    if omni_over:
        ratio = base_over / omni_over
        ratio_figure = bc.figure(bc.rounded(ratio, 2), f">= {args.target_ratio:g}",
                                 ratio >= args.target_ratio)
    else:
        ratio_figure = bc.figure(None, f">= {args.target_ratio:g}", base_over > 0)
        ratio_figure["omni_oversold"] = 0
        ratio_figure["note"] = (
            f"omni oversold 0 units and the baseline {base_over}: the ratio is unbounded, "
            "so it is reported as null; the target (baseline >= 100 x omni) holds "
            "whenever the baseline oversold anything")
    ratio_figure["baseline_oversold"] = base_over
    ratio_figure["ratio_lower_bound_95"] = bc.rounded(base_over / upper, 2)
    ratio_figure["lower_bound_note"] = (
        f"with {omni_over} oversold units observed, omni's mean is below {upper:.2f} "
        "units per run (one-sided 95% Poisson bound); a run this size can show a ratio "
        "of at least this much, not more")
    integrals = parts["integrals"]
    e_omni, e_base = (integrals[a]["expected_oversold"] for a in ("omni", "baseline"))
    ratio_figure["ratio_of_expected_from_exposure"] = (
        bc.rounded(e_base / e_omni, 1) if e_omni else None)
    windows = {"omni": window_stats(parts["windows"]["omni"]),  # real latency: no scaling
               "baseline": window_stats(parts["windows"]["baseline"], args.compression)}
    names = market_names(args)
    steps = {(market, oid): (stored, mapped)
             for market, stored, mapped, oid in parts["latencies"]}
    windows["omni"]["slowest"] = slowest_windows(parts["windows"]["omni"], parts["start"],
                                                 names, steps)
    windows["omni"]["breakdown_by_market_of_the_last_sale"] = window_breakdown(
        parts["windows"]["omni"], names, steps)
    windows["omni"]["by_market_of_the_last_sale"] = {
        names[m]: window_stats([w for w in parts["windows"]["omni"] if w[2] == m])
        for m in range(MARKETS)}
    flagged_ok = (flags["flagged"] == omni_over and flags["per_product_equal"]
                  and flags["flagged_with_activity"] == flags["flagged"])
    latencies = [mapped for _m, _stored, mapped, _o in parts["latencies"] if mapped is not None]

    def latency_stats(values):
        return {"p50": bc.rounded(bc.percentile(values, 50)),
                "p95": bc.rounded(bc.percentile(values, 95)),
                "max": bc.rounded(max(values) if values else None),
                "mean": bc.rounded(statistics.fmean(values) if values else None),
                "measured": len(values)}
    importer = parts["importer"]
    jobs = parts["jobs"]
    reference = (args.compression == 2 and args.periods >= 2 and list(args.units) == [1, 3]
                 and args.rate == 6.0 and args.products == 80
                 and args.baseline_period == 15 and args.delay is None
                 and args.poll_interval is None and args.import_every == 0)

    def arm_report(arm, over, by_sku, within):
        return {
            "orders_accepted": len(arm.accepted),
            "units_sold_within_stock": within,
            "oversold_units": over,
            "oversold_by_product": {k: v for k, v in by_sku.items() if v},
            "buyers_who_found_nothing_shown": arm.found_nothing,
            "exposure_windows_real_s": windows[arm.name],
            "expected_oversold_from_exposure": integrals[arm.name]["expected_oversold"],
            "overshown_unit_seconds_real": integrals[arm.name]["overshown_unit_s"],
        }

    omni_detail = arm_report(omni, omni_over, omni_by_sku, omni_within)
    omni_detail.update({
        "flag_check": flags,
        "confirmed_units_beyond_stock_by_product": over_reserved,
        "jobs_by_method_and_state": jobs,
        "jobs_still_waiting": jobs_waiting(jobs),
        "order_feed_polls": importer.requests,
        "order_feed_poll_errors": len(importer.errors),
        "order_feed_poll_error_samples": importer.errors[:3],
        "order_feed_poll_late_p95_s": bc.rounded(bc.percentile(importer.late, 95)),
        "order_accepted_to_mapped_real_s": latency_stats(latencies),
        "order_accepted_to_stored_real_s_by_market": {
            names[m]: latency_stats([stored for market, stored, _d, _o in parts["latencies"]
                                     if market == m and stored is not None])
            for m in range(MARKETS)},
        "order_accepted_to_mapped_real_s_by_market": {
            names[m]: latency_stats([done for market, _s, done, _o in parts["latencies"]
                                     if market == m and done is not None])
            for m in range(MARKETS)},
        "order_latency_note": "stored: the import job's transaction that stored the order "
        "began (the wait for the channel's next poll); mapped: its first mapping job done "
        "(sale order confirmed, stock reserved, or the order flagged); the window of a "
        "product sold out ends when the stock push after that reaches the other marketplace",
        "expected_oversold_by_market_shown": dict(zip(
            names, integrals["omni"]["expected_oversold_by_market_shown"], strict=True)),
        "expected_oversold_by_market_note": "exposure on each marketplace: a product it "
        "still shows after its last unit sold (mostly on the other marketplace, whose "
        "order omni has not yet imported and reserved)",
        "server_error_lines": parts["server_errors"],
        "server_transactions_replayed": parts["server_replays"],
    })
    base_detail = arm_report(base, base_over, base_by_sku, base_within)
    base_detail["batch_syncs"] = len(parts["syncs"])
    base_detail["batch_syncs_note"] = (
        "at the start, every period, and one at the end of the storm (the next period's), "
        "which closes the last exposure windows and sells nothing")
    return {
        "figures": {
            "oversold_ratio_baseline_over_omni": ratio_figure,
            "omni_oversold_units": bc.figure(omni_over, "informative (0 is ideal)",
                                             omni_over == 0),
            "baseline_oversold_units": bc.figure(
                base_over, "informative: tens of units, so that the ratio means something",
                base_over >= 10),
            "unreservable_orders_flagged": bc.figure(
                flags["flagged"],
                f"= omni oversold ({omni_over}), per product, each with an activity",
                flagged_ok),
            "confirmed_units_beyond_stock": bc.figure(
                sum(over_reserved.values()),
                "0 (no sale order over-reserved: Odoo never promises more than exists)",
                not over_reserved),
        },
        "units_that_existed": sum(stock.values()),
        "products": len(stock),
        "buyers": parts["buyers"],
        "omni": omni_detail,
        "baseline": base_detail,
        "exposure": {
            "what": "exposure windows: from the sale of a product's last unit until both "
            "marketplaces show 0 (oversells can only happen inside them), in real seconds; "
            "expected_oversold_from_exposure: the mean oversold count implied by what the "
            "marketplaces showed and the buyers' rate (same mean as the count, less noise)",
            "window_p50_ratio_baseline_over_omni": bc.rounded(
                windows["baseline"]["p50"] / windows["omni"]["p50"], 1)
            if windows["omni"]["p50"] and windows["baseline"]["p50"] is not None else None,
            "expected_oversold_ratio_baseline_over_omni":
                ratio_figure["ratio_of_expected_from_exposure"],
            "note": "omni's latency is real while the buyers' rate and the baseline's period "
            "are compressed; at compression c, omni's window weighs c times more against "
            "the buyers than it would uncompressed, so an uncompressed ratio would be about "
            "c times the one measured here",
        },
        "config": {
            "markets": args.markets,
            "market_names": names,
            "compression": args.compression,
            "compression_meaning": f"1 real s = {args.compression:g} simulated s, for the "
            "buyers' rate and the baseline's period alike; omni's own latency is real",
            "both_arms": "simultaneous, in one run, the same buyers at the same real moments",
            "periods": args.periods,
            "baseline_period_simulated_min": args.baseline_period,
            "baseline_period_real_s": bc.rounded(period_real_s(args), 1),
            "storm_real_s_planned": bc.rounded(storm_real_s(args), 1),
            "storm_real_s_measured": bc.rounded(parts["storm_s"], 1),
            "storm_simulated_min": bc.rounded(storm_real_s(args) * args.compression / 60, 1),
            "expected_total_runtime": "storm + about 1 minute of setup and drain "
            f"(about {storm_real_s(args) / 60 + 1:.0f} minutes; plus database creation "
            "when the script creates its own)",
            "buyers_per_simulated_minute": args.rate,
            "buyers_per_real_s": bc.rounded(buyers_per_real_s(args)),
            "buyer_model": "seeded Poisson arrivals; a marketplace at random; one unit of "
            "a product chosen uniformly among those the marketplace shows; nothing shown "
            "-> the buyer leaves",
            "buyers_played_late_max_s": bc.rounded(parts["late_max"]),
            "omni_order_import": {
                "mode": args.import_mode,
                "how": "action_import_orders_now from a bench thread (own cursor): queues "
                "the import job of each channel, run by the real job runner"
                if args.import_mode == "queue" else
                "_omni_import_orders called in a bench thread, its own cursor, one "
                "transaction per channel; mapping and stock jobs run by the job runner",
                "every_real_s": args.import_every,
                "shipped": ctx["import_shipped"],
                "shipped_note": "the addon's own order polling as installed (its cron, and "
                "the channel's poll interval), left as is"
                + ("; the benchmark polls nothing itself" if not args.import_every else
                   "; this benchmark also polls every_real_s, as a deployment with order "
                   "webhooks would"),
                "channel_poll_interval_set_s": args.poll_interval,
                "channel_poll_interval_note": "when set (--poll-interval), the channels' own "
                "polling interval replaces the addon's default, and 'shipped' shows it",
            },
            "sync_delay_s": ctx["import_shipped"]["channel_sync_delay_s"],
            "sync_delay_shipped": args.delay is None,
            "baseline_sync": "sets both marketplaces to units minus units sold on both, at "
            "the start of the storm, every period and at its end",
            "units_per_product": list(args.units),
            "units_per_order": 1,
            "workers": args.workers,
            "queue_job_channels": args.channels_config,
            "seed": args.seed,
            "reference_settings": reference,
            "load_average_start_end": parts["load"],
        },
        "setup_seconds": bc.rounded(parts["setup_s"], 1),
        "drain_seconds": bc.rounded(parts["drain_s"], 1),
    }


# ----------------------------------------------------------------------- main
def run_storm(args, stream, arms, batch, start):
    """Play the buyers on both arms; the baseline syncs on its period."""
    period, length = period_real_s(args), storm_real_s(args)
    end = start + length
    syncs, late_max = 0, 0.0  # batch syncs at 0, P, 2P, ... up to the end included

    def next_sync():
        return start + syncs * period if syncs * period <= length + 1e-6 else math.inf

    for buyer in stream + [None]:
        due = end if buyer is None else start + buyer.at
        while True:
            now = time.monotonic()
            if now >= next_sync():
                batch.run()
                syncs += 1
                continue
            if now >= due:
                break
            time.sleep(min(due, next_sync()) - now)
        if buyer is None:
            break
        late_max = max(late_max, time.monotonic() - due)
        for arm in arms:
            arm.buy(buyer)
        if buyer.index % 20 == 19:
            bc.log(f"  {buyer.index + 1}/{len(stream)} buyers, {now - start:.0f}s; accepted "
                   + ", ".join(f"{a.name} {len(a.accepted)}" for a in arms))
    return time.monotonic() - start, late_max


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    bc.stop_on_sigterm()
    omni_sims, base_sims = make_markets(args)
    arms = {"omni": Arm("omni", omni_sims, Display()),
            "baseline": Arm("baseline", base_sims, Display())}

    def listener(arm):
        def on_change(sim, kind, key, value, when):
            if kind in ("stock", "order"):
                arm.display.note(arm.sims.index(sim), key, value, when)
        return on_change

    t0 = time.monotonic()
    clock_offset = time.time() - time.monotonic()
    load = [bc.rounded(x, 2) for x in bc.load_average()]
    bc.log(f"storm: {args.periods:g} x {period_real_s(args):.0f}s real "
           f"(compression {args.compression:g}), about {storm_real_s(args) / 60:.1f} minutes")
    try:
        with bc.bench_database(args, NAME) as db:
            if args.markets == "marketplaces":
                ensure_addons(db, MARKETPLACE_ADDONS)
            registry = bc.odoo_registry(db)
            skus = [f"STORM-{i:03d}" for i in range(args.products)]
            for sku in skus:
                for sim in base_sims:
                    sim.add_offer(sku, quantity=0, price="1.00")
            ctx = setup(registry, args, omni_sims)
            stock = ctx["stock"]
            for arm in arms.values():
                for sim in arm.sims:
                    sim.listener = listener(arm)
            stream = buyer_stream(args, skus)
            server = bc.OdooServer(db, workers=args.workers, channels=args.channels_config)
            importer = Importer(registry, ctx["channel_ids"], args.import_every,
                                args.import_mode)
            try:
                server.start()
                server.wait_ready()
                if not wait_shown(omni_sims, stock, 120):
                    raise RuntimeError("the initial stock did not reach the marketplaces")
                importer.start()  # warm the workers on the import path before the storm
                time.sleep(3.0)
                setup_s = time.monotonic() - t0
                bc.log(f"ready after {setup_s:.1f}s: {len(stock)} products, "
                       f"{sum(stock.values())} units, {len(stream)} buyers to come")
                batch = BatchSync(arms["baseline"], stock)
                start = time.monotonic()
                storm_s, late_max = run_storm(args, stream, list(arms.values()), batch, start)
                end = start + storm_s
                bc.log("storm over: accepted " + ", ".join(
                    f"{a.name} {len(a.accepted)}" for a in arms.values()) + "; draining")
                drain_t0 = time.monotonic()
                orders, jobs = drain(registry, args, ctx, arms["omni"].accepted, importer)
                drain_s = time.monotonic() - drain_t0
                market_rate = buyers_per_real_s(args) / MARKETS
                parts = {
                    "orders": orders,
                    "jobs": jobs,
                    "confirmed": confirmed_units(registry, ctx),
                    "latencies": process_latency(registry, ctx, arms["omni"].accepted,
                                                 clock_offset),
                    "windows": {name: exposure_windows(stock, arm.accepted, arm.display)
                                for name, arm in arms.items()},
                    "integrals": {
                        name: exposure_integrals(stock, arm.accepted, arm.display,
                                                 start, end, market_rate)
                        for name, arm in arms.items()},
                    "importer": importer,
                    "start": start,
                    "syncs": batch.times,
                    "buyers": len(stream),
                    "storm_s": storm_s,
                    "late_max": late_max,
                    "setup_s": setup_s,
                    "drain_s": drain_s,
                    "server_errors": len(server.errors()),
                    "server_replays": server.concurrency_errors(),
                    "load": [load, [bc.rounded(x, 2) for x in bc.load_average()]],
                }
                result = summarize(args, ctx, arms, parts)
            finally:
                importer.stop()
                server.stop()
                server.cleanup()
            registry = None
    finally:
        for sim in omni_sims:
            sim.stop()
    result["total_seconds"] = bc.rounded(time.monotonic() - t0, 1)
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
