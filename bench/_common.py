"""Shared by the benchmarks: Odoo paths, bench databases, an Odoo server, figures.

Nothing here hard-codes where Odoo lives: the addons path comes from
``ODOO_ADDONS_PATH`` or is derived from ``odoo.__file__`` (as
``scripts/_common.sh`` does), the interpreter from ``PYTHON`` (default: the
one running the benchmark), PostgreSQL from the usual libpq variables.
"""

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# as odoo-bin: Odoo computes in UTC
os.environ["TZ"] = "UTC"
time.tzset()
ADDON = "omni_channel_base"
#: job channel capacities, as odoo.conf.example and data/queue_job_data.xml ship them
DEFAULT_CHANNELS = (
    "root:4,root.omni_stock:3,root.omni_price:1,root.omni_orders:2,root.omni_poll:1,"
    "root.omni_catalog:1"
)
#: HTTP workers of the benchmarks' server, as odoo.conf.example ships them
DEFAULT_WORKERS = 4


def log(*parts):
    """Progress goes to stderr; stdout carries only the JSON result."""
    print(*parts, file=sys.stderr, flush=True)


def python():
    return os.environ.get("PYTHON") or sys.executable


def addons_path():
    if os.environ.get("ODOO_ADDONS_PATH"):
        return os.environ["ODOO_ADDONS_PATH"]
    import odoo

    odoo_root = Path(odoo.__file__).resolve().parent.parent
    parts = [ROOT / "addons"]
    parts += [p for p in (odoo_root / "addons", odoo_root / "odoo" / "addons") if p.is_dir()]
    return ",".join(str(p) for p in parts)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, pct):
    """Nearest-rank percentile (no interpolation): a value that was observed."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


def rounded(value, digits=3):
    return None if value is None else round(float(value), digits)


def load_average():
    """The machine's 1, 5 and 15 minute load averages (the benchmarks share the CPUs)."""
    try:
        return os.getloadavg()
    except OSError:
        return (None, None, None)


def figure(value, target, met, unit=None, **extra):
    """One headline figure with its target; ``met`` is informative, never asserted."""
    out = {"value": value}
    if unit:
        out["unit"] = unit
    out.update(target=target, met=bool(met))
    out.update(extra)
    return out


def emit(name, result):
    """Print the result as one JSON object on stdout."""
    result = {"benchmark": name, **result}
    print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)
    return result


# ----------------------------------------------------------------- databases
def _pg(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def db_exists(name):
    out = _pg("psql", "-d", "postgres", "-Atc",
              f"SELECT 1 FROM pg_database WHERE datname = '{name}'", check=False)
    return out.stdout.strip() == "1"


def install_addon(name):
    cmd = [python(), "-m", "odoo", "-d", name, f"--addons-path={addons_path()}",
           "-i", ADDON, "--stop-after-init", "--without-demo=all", "--log-level=warn"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=sys.stderr)


def create_db(name, template=None):
    if template and db_exists(template):
        _pg("createdb", "-T", template, name)
    else:
        _pg("createdb", name)
    install_addon(name)


def close_registry(name):
    """Close this process's connections to ``name`` (if Odoo was loaded here)."""
    if "odoo.modules.registry" not in sys.modules:
        return
    import odoo

    odoo.modules.registry.Registry.delete(name)
    odoo.sql_db.close_db(name)


def drop_db(name):
    close_registry(name)
    _pg("dropdb", "--if-exists", "--force", name, check=False)
    data_dir = Path(os.environ.get("ODOO_DATA_DIR", Path.home() / ".local/share/Odoo"))
    filestore = data_dir / "filestore" / name
    if filestore.is_dir():
        shutil.rmtree(filestore, ignore_errors=True)


def add_db_arguments(parser, name):
    parser.add_argument(
        "--db", default=os.environ.get("OMNI_BENCH_DB"),
        help="database to use; an existing one is kept, a missing one is created and "
        f"dropped at the end (default: a fresh omni_bench_{name}_<pid>)",
    )
    parser.add_argument(
        "--template", default=os.environ.get("OMNI_BENCH_TEMPLATE", "omni_tpl"),
        help="template database for a fresh database when it exists (default omni_tpl)",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop a created database")


@contextlib.contextmanager
def bench_database(args, name):
    """Yield a database with the addon installed; drop it if this run created it."""
    db = args.db or f"omni_bench_{name}_{os.getpid()}"
    created = False
    if db_exists(db):
        log(f"using existing database {db}")
    else:
        log(f"creating database {db} (template {args.template})")
        created = True
        create_db(db, args.template)
    try:
        yield db
    finally:
        if created and not args.keep_db:
            log(f"dropping database {db}")
            drop_db(db)


def stop_on_sigterm():
    """Turn SIGTERM into SystemExit so that ``finally`` blocks clean up."""

    def handler(signum, _frame):
        # once: a second SIGTERM (``timeout`` passes its own on) must not cut the clean-up
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


# -------------------------------------------------------------- in-process Odoo
def odoo_registry(db):
    """Load Odoo in this process for ``db`` and return its registry."""
    import odoo
    from odoo.tools import config

    config.parse_config([
        f"--addons-path={addons_path()}", "-d", db, "--log-level=warn",
        "--without-demo=all",
    ])
    return odoo.modules.registry.Registry(db)


#: as odoo.service.model: how often a transaction is replayed after a conflict
MAX_TRIES = 5


def concurrency_errors():
    """The exceptions Odoo replays a request for (serialization, deadlock, lock)."""
    from psycopg2 import errors

    return (errors.SerializationFailure, errors.DeadlockDetected,
            errors.LockNotAvailable)


@contextlib.contextmanager
def odoo_env(registry, context=None):
    """A superuser environment on a fresh cursor, committed on success."""
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, dict(context or {}))


# ------------------------------------------------------------------ the server
class OdooServer:
    """A real Odoo server with HTTP workers and the queue_job runner, in its own
    process group (stopped by group id, never by name)."""

    def __init__(self, db, *, workers=DEFAULT_WORKERS, channels=DEFAULT_CHANNELS, log_path=None):
        self.db = db
        self.workers = workers
        self.channels = channels
        self.port = free_port()
        self.gevent_port = free_port()
        self.proc = None
        self.tmpdir = tempfile.mkdtemp(prefix="omni-bench-")
        self.conf = os.path.join(self.tmpdir, "odoo.conf")
        self.log_path = log_path or os.path.join(self.tmpdir, "odoo.log")
        self._log = None

    def write_config(self):
        text = f"""[options]
addons_path = {addons_path()}
db_name = {self.db}
dbfilter = ^{self.db}$
list_db = False
http_interface = 127.0.0.1
http_port = {self.port}
gevent_port = {self.gevent_port}
workers = {self.workers}
max_cron_threads = 0
server_wide_modules = web,queue_job
without_demo = all
log_level = warn
limit_time_cpu = 600
limit_time_real = 1200

[queue_job]
channels = {self.channels}
"""
        with open(self.conf, "w", encoding="utf-8") as fh:
            fh.write(text)

    def write_launcher(self):
        """What ``odoo-bin`` does. Not ``python -m odoo``: with workers, Odoo
        respawns its gevent process as ``python sys.argv[0] gevent``, and
        ``odoo/__main__.py`` cannot run as a script (relative import), so it
        would fail and be respawned every second."""
        path = os.path.join(self.tmpdir, "odoo-server")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write('import os\nos.environ["TZ"] = "UTC"\nimport odoo\n\n'
                     'if __name__ == "__main__":\n    odoo.cli.main()\n')
        return path

    def start(self):
        self.write_config()
        cmd = [python(), self.write_launcher(), "-c", self.conf, "-d", self.db,
               f"--http-port={self.port}", f"--workers={self.workers}",
               "--max-cron-threads=0", "--load=web,queue_job",
               "--log-handler=odoo.addons.queue_job.jobrunner.runner:INFO"]
        env = dict(os.environ, TZ="UTC")
        env.pop("ODOO_QUEUE_JOB_CHANNELS", None)  # the config file is authoritative
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,
        )
        log(f"odoo server pid {self.proc.pid} on port {self.port}, log {self.log_path}")
        return self

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return ""

    def wait_ready(self, timeout=120, runner=True):
        """Until HTTP answers and (``runner``) the job runner says it is ready for the
        database, which only the runner holding queue_job's master lock does."""
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/web/health"
        http_ok = runner_ok = False
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"odoo server exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}"
                )
            if not http_ok:
                with contextlib.suppress(OSError):
                    with urllib.request.urlopen(url, timeout=2) as resp:
                        http_ok = resp.status == 200
            if not runner_ok:
                runner_ok = not runner or self.runner_ready()
            if http_ok and runner_ok:
                return
            time.sleep(0.2)
        raise RuntimeError(f"odoo server not ready after {timeout}s:\n{self.log_text()[-3000:]}")

    def runner_ready(self):
        """Whether this server's job runner is the master one (it then logs it)."""
        return "database connections ready" in self.log_text()

    def kill(self):
        """The machine dies: SIGKILL to the whole process group, no clean-up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def cleanup(self):
        """Remove the configuration and log, unless OMNI_BENCH_KEEP_LOGS is set."""
        if os.environ.get("OMNI_BENCH_KEEP_LOGS"):
            log(f"odoo server log kept: {self.log_path}")
        else:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def errors(self):
        """ERROR and CRITICAL lines of the server log (tracebacks cut)."""
        return [line for line in self.log_text().splitlines()
                if " ERROR " in line or " CRITICAL " in line]

    def concurrency_errors(self):
        """Transactions of the server that failed on a concurrent update, by table.

        Odoo and queue_job replay them (a job is postponed by 5 s); each one is
        work done twice and, for a job, latency added.
        """
        counts = {}
        query = ""
        for line in self.log_text().splitlines():
            if "bad query:" in line:
                query = line
                continue
            if line.startswith("ERROR:") and query:
                kind = ("serialization" if "could not serialize" in line else
                        "deadlock" if "deadlock" in line else
                        "lock" if "could not obtain lock" in line else None)
                if kind:
                    table = next((t for t in ("omni_product_binding", "omni_channel",
                                              "omni_external_order", "stock_quant",
                                              "queue_job")
                                  if t in query), "other")
                    key = f"{kind}:{table}"
                    counts[key] = counts.get(key, 0) + 1
                query = ""
        return counts

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def server_memory_mb(server):
    """Peak resident memory (VmHWM) of every process of the server's group, in MB:
    the largest one (an HTTP worker running jobs) and the sum."""
    peaks = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) != server.proc.pid:
                continue
            with open(f"/proc/{entry}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024.0)
        except (OSError, ValueError):
            continue
    return {"largest_process": rounded(max(peaks), 1) if peaks else None,
            "all_processes": rounded(sum(peaks), 1) if peaks else None,
            "processes": len(peaks)}


def _cpu_seconds(pid):
    """User + system CPU seconds of a process so far (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(server, db):
    """CPU seconds so far, by pid, of the server's processes and of the PostgreSQL
    backends connected to ``db`` (whose work is part of every job)."""
    pids = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.getpgid(int(entry)) == server.proc.pid:
                    pids[int(entry)] = "server"
    out = _pg("psql", "-d", "postgres", "-Atc",
              f"SELECT pid FROM pg_stat_activity WHERE datname = '{db}'", check=False)
    for line in out.stdout.split():
        pids[int(line)] = "postgresql"
    return {pid: (kind, _cpu_seconds(pid)) for pid, kind in pids.items()}


def cpu_used(before, after):
    """CPU seconds used between two snapshots, by kind (a process that started in
    between counts from 0; one that ended in between is lost, which Odoo's pooled
    connections and long-lived workers make rare)."""
    used = {}
    for pid, (kind, seconds) in after.items():
        used[kind] = used.get(kind, 0.0) + seconds - before.get(pid, (kind, 0.0))[1]
    return used


def channel_jobs(env, channel_id):
    """The channel's jobs by state, apart from its next order poll (which waits for later)."""
    env.cr.execute(
        """
        SELECT state, count(*) FROM queue_job
         WHERE identity_key LIKE %s AND identity_key != %s
         GROUP BY state
        """,
        [f"omni:{channel_id}:%", f"omni:{channel_id}:orders"],
    )
    return dict(env.cr.fetchall())


def server_import(registry, server, channel_id, orders, *, timeout=900.0, poll=0.05):
    """Import ``orders`` waiting on the channel's simulator as the shipped set-up does.

    The channel's order import job is queued as the "Import now" button does
    (order import switched on at that moment); from then on the server's job
    runner does everything, with the shipped channel capacities: the import job
    stores the orders and queues one mapping job per order, which the runner
    performs as many at a time as ``root.omni_orders`` allows, together with
    the status jobs (same channel) and the stock pushes (``omni_stock``) the
    confirmations trigger. This process only watches the database.

    Returns the seconds from the click until every order is a confirmed sale
    order or flagged "needs attention" (``orders_seconds``, watched every
    ``poll`` seconds), until the
    channel's other jobs (status, stock) are done too (``all_jobs_seconds``),
    and the counts.
    """
    cpu_before = cpu_snapshot(server, registry.db_name)
    own_before = time.process_time()
    with odoo_env(registry) as env:
        channel = env["omni.channel"].browse(channel_id)
        start = time.monotonic()
        channel.write({"sync_orders": True})
        channel._omni_enqueue_import()
    orders_seconds = all_seconds = cpu = None
    deadline = start + timeout
    while time.monotonic() < deadline:
        with odoo_env(registry) as env:
            # (an order whose status was sent is received again, changed, and mapped
            # again: its sale order stays confirmed)
            env.cr.execute(
                "SELECT count(*) FROM omni_external_order o"
                " LEFT JOIN sale_order s ON s.id = o.sale_order_id"
                " WHERE o.channel_id = %s AND (s.state = 'sale' OR o.state = 'needs_attention')",
                [channel_id])
            settled = env.cr.fetchone()[0]
            now = time.monotonic()
            if orders_seconds is None and settled >= orders:
                orders_seconds = now - start
                cpu = cpu_used(cpu_before, cpu_snapshot(server, registry.db_name))
                cpu["benchmark_process"] = time.process_time() - own_before
                log(f"{orders} orders settled after {orders_seconds:.1f}s")
            if orders_seconds is not None:
                jobs = channel_jobs(env, channel_id)
                busy = ("pending", "enqueued", "started", "wait_dependencies")
                if not any(jobs.get(state) for state in busy):
                    all_seconds = now - start
                    break
        time.sleep(poll)
    with odoo_env(registry) as env:
        # the polling loop ends with its next run
        env["omni.channel"].browse(channel_id).write({"sync_orders": False})
        jobs = channel_jobs(env, channel_id)
        env.cr.execute(
            """
            SELECT split_part(identity_key, ':', 3), state, count(*), sum(retry)
              FROM queue_job WHERE identity_key LIKE %s GROUP BY 1, 2 ORDER BY 1, 2
            """, [f"omni:{channel_id}:%"])
        by_kind = {}
        for kind, state, count, retries in env.cr.fetchall():
            by_kind.setdefault(kind, {})[state] = count
            by_kind[kind]["runs"] = by_kind[kind].get("runs", 0) + int(retries or 0)
        env.cr.execute(
            "SELECT state, count(*) FROM omni_external_order WHERE channel_id = %s GROUP BY 1",
            [channel_id])
        states = dict(env.cr.fetchall())
        env.cr.execute(
            "SELECT count(*) FROM omni_external_order o"
            " LEFT JOIN sale_order s ON s.id = o.sale_order_id"
            " WHERE o.channel_id = %s AND (s.state = 'sale' OR o.state = 'needs_attention')",
            [channel_id])
        settled = env.cr.fetchone()[0]
        env.cr.execute(
            "SELECT count(*) FILTER (WHERE state = 'sale'), count(DISTINCT partner_id)"
            " FROM sale_order WHERE omni_channel_id = %s", [channel_id])
        confirmed, customers = env.cr.fetchone()
    machine_cpu = None
    if cpu:
        odoo_cpu = cpu.get("server", 0.0) + cpu.get("postgresql", 0.0)
        machine_cpu = {
            "seconds": {k: rounded(v, 1) for k, v in cpu.items()},
            # the simulator (the marketplace) runs in the benchmark process: not counted
            "odoo_and_postgresql_ms_per_order": rounded(1000 * odoo_cpu / settled, 1),
            "bound_on_2_idle_cores_orders_per_second": rounded(2 * settled / odoo_cpu, 1)
            if odoo_cpu else None,
        }
    return {
        "orders_seconds": orders_seconds,
        "cpu_until_settled": machine_cpu,
        "all_jobs_seconds": all_seconds,
        "settled": settled,
        "external_states": states,
        "confirmed_sale_orders": confirmed,
        "customers": customers,
        "jobs_by_kind": by_kind,
        "jobs_left": {k: v for k, v in jobs.items() if k != "done"},
    }


def base_parser(description):
    return argparse.ArgumentParser(description=description)


# ------------------------------------------------------------------ simulators
def timed_simulator_class():
    """GenericChannelSimulator that stamps every applied change with
    ``time.monotonic()`` and tells a listener, so arrival times are exact
    (no polling error) and on the benchmark's own clock."""
    from omni_sandbox.generic import GenericChannelSimulator

    class TimedSimulator(GenericChannelSimulator):
        listener = None  # callable(sim, kind, key, value, when)

        def reset_state(self):
            super().reset_state()
            self.applied_at = []  # monotonic time of each entry of self.applied
            self.order_times = {}  # order id -> monotonic time it was placed

        def _log_applied(self, kind, key, value):
            super()._log_applied(kind, key, value)
            now = time.monotonic()
            self.applied_at.append(now)
            if self.listener is not None:
                self.listener(self, kind, key, value, now)

        def place_order(self, customer, lines, **kw):
            with self.lock:  # re-entrant: the order and the quantity it leaves, at once
                order = super().place_order(customer, lines, **kw)
                now = time.monotonic()
                self.order_times[order["id"]] = now
                if self.listener is not None:
                    for line in order["lines"]:
                        sku = line["sku"]
                        self.listener(self, "order", sku, self.offers[sku]["quantity"], now)
                return order

        def stock_requests(self):
            with self.lock:
                return sum(1 for r in self.requests if r["path"] == "/api/stock")

        # the storm's view of a marketplace (the same for every simulator below)
        market_name = "generic"

        def shown(self, sku):
            """The quantity a buyer sees (0 when the offer is not on sale)."""
            offer = self.offers.get(sku)
            return offer["quantity"] if offer and offer["active"] else 0

        def buy(self, index, sku):
            """A buyer orders one unit of ``sku``: (order id, monotonic time)."""
            order = self.place_order(_buyer(index, "generic"), [{"sku": sku, "quantity": 1}])
            return str(order["id"]), self.order_times[order["id"]]

    return TimedSimulator


def _buyer(index, kind):
    """The same 200 buyers in each marketplace's own customer format."""
    who = index % 200
    if kind == "rozetka":
        return {"first_name": "Покупець", "last_name": f"Номер{who}",
                "phone": f"38067{1000000 + who:07d}", "email": f"buyer{who}@example.com"}
    if kind == "prom":
        return {"name": f"Покупець Номер{who}", "phone": f"+38067{1000000 + who:07d}",
                "email": f"buyer{who}@example.com"}
    return {"name": f"Покупець {who}", "phone": f"+38067{1000000 + who:07d}",
            "email": f"buyer{who}@example.com"}


def timed_rozetka_class():
    """RozetkaSimulator telling a listener, with ``time.monotonic()``, every stock
    quantity it applies and every order placed (the listener of
    :func:`timed_simulator_class`), keyed by the seller's offer id."""
    from omni_sandbox.rozetka import RozetkaSimulator

    class TimedRozetka(RozetkaSimulator):
        listener = None
        market_name = "rozetka"

        def _update_item(self, entry, errors, ignore_check):
            before = len(self.applied)
            super()._update_item(entry, errors, ignore_check)
            if self.listener is None:
                return
            for kind, rz_item_id, value, when in self.applied[before:]:
                if kind == "stock":
                    sku = self.items[rz_item_id]["price_offer_id"]
                    self.listener(self, "stock", sku, value, when)

        def shown(self, sku):
            item = self._find_item(sku)
            return item["stock_quantity"] if item else 0

        def buy(self, index, sku):
            with self.lock:
                order = self.place_order([{"sku": sku, "quantity": 1}],
                                         customer=_buyer(index, "rozetka"))
                now = time.monotonic()
                if self.listener is not None:
                    self.listener(self, "order", sku, self.shown(sku), now)
                return str(order["id"]), now

    return TimedRozetka


def timed_prom_class():
    """PromSimulator telling a listener what it shows (presence ``available`` and
    ``quantity_in_stock``) whenever a product edit or an order changes it."""
    from omni_sandbox.prom import PromSimulator

    class TimedProm(PromSimulator):
        listener = None
        market_name = "prom"

        @staticmethod
        def _shown(product):
            if product["presence"] != "available" or product["status"] != "on_display":
                return 0
            return max(0, product["quantity_in_stock"] or 0)

        def _edit(self, req, by_external):
            with self.lock:  # re-entrant: the edit and what it changed, at once
                before = {pid: self._shown(p) for pid, p in self.products.items()}
                answer = super()._edit(req, by_external)
                now = time.monotonic()
                if self.listener is not None:
                    for pid, product in self.products.items():
                        if self._shown(product) != before.get(pid):
                            self.listener(self, "stock", product["external_id"],
                                          self._shown(product), now)
                return answer

        def shown(self, sku):
            product = self._find_product(sku)
            return self._shown(product) if product else 0

        def buy(self, index, sku):
            with self.lock:
                order = self.place_order(_buyer(index, "prom"), [{"key": sku, "quantity": 1}])
                now = time.monotonic()
                if self.listener is not None:
                    self.listener(self, "order", sku, self.shown(sku), now)
                return str(order["id"]), now

    return TimedProm


def order_refused():
    """Every simulator's refusal of a buyer's order (the offer shows too little)."""
    from omni_sandbox.generic import OrderRefused
    from omni_sandbox.prom import OrderRefused as PromRefused
    from omni_sandbox.rozetka import OrderRefused as RozetkaRefused

    return (OrderRefused, PromRefused, RozetkaRefused)
