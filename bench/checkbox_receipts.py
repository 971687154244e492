"""500 receipts through the Checkbox simulator with timeouts injected after creation.

Each receipt gets a UUID before its first attempt. A share of the POSTs
(``--timeout-share``, default 10 %) is registered by the simulator and its
answer lost (the core fault ``timeout`` with ``after=True``); the client
settles it by looking the id up, and when even that fails, the receipt is
sent again later with the same id, as the job's retry does. Prints one JSON
object: receipts per second and the duplicates found (receipts registered
more than once for one sale), which must be 0.

    python3 bench/checkbox_receipts.py [--receipts 500] [--timeout-share 0.1]
"""

import argparse
import json
import sys
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _pkg in ("connectors", "sandbox"):
    sys.path.insert(0, str(ROOT / _pkg))

from omni_connectors.checkbox import CheckboxClient, LineSpec, fit_lines  # noqa: E402
from omni_connectors.core import (  # noqa: E402
    OmniConnectorError,
    PaymentKind,
    Receipt,
    ReceiptKind,
    ReceiptPayment,
)
from omni_sandbox.checkbox import CheckboxSimulator  # noqa: E402


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def receipt_for(index):
    specs = [
        LineSpec(code=f"SKU-{index % 37}", name="Товар", quantity=Decimal(1 + index % 3),
                 unit_price=Decimal("199.99"), total=Decimal(1 + index % 3) * Decimal("179.99")),
        LineSpec(code="DELIVERY", name="Доставка", quantity=Decimal(1),
                 unit_price=Decimal("70.00"), total=Decimal("70.00")),
    ]
    lines = fit_lines(specs)
    total = Decimal(sum(line.total_kopecks for line in lines)) / 100
    return Receipt(kind=ReceiptKind.SELL, lines=lines,
                   payments=(ReceiptPayment(PaymentKind.CASHLESS, total),),
                   order_ref=f"S{index:05d}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=500)
    parser.add_argument("--timeout-share", type=float, default=0.1,
                        help="share of receipt POSTs whose answer is lost after creation")
    parser.add_argument("--read-timeout", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    sim = CheckboxSimulator(shift_delay=0.0, receipt_delay=0.0, fault_seed=args.seed)
    sim.start()
    try:
        sim.faults.add("timeout", path="/api/v1/receipts/sell", after=True, times=None,
                       probability=args.timeout_share, seconds=args.read_timeout + 1)
        client = CheckboxClient(
            base_url=sim.url, license_key="test-license-key", pin="1234",
            timeout=(2, args.read_timeout), max_retries=2, backoff_base=0.01,
            poll_interval=0.0, poll_timeout=2,
        )
        client.open_shift()
        ids = [str(uuid.uuid4()) for _ in range(args.receipts)]  # stored before any attempt
        pending = list(range(args.receipts))
        attempts = Counter()
        settled_by_lookup = 0
        started = time.perf_counter()
        rounds = 0
        while pending and rounds < 10:
            rounds += 1
            retry = []
            for index in pending:
                attempts[index] += 1
                try:
                    result = client.issue(receipt_for(index), ids[index])
                except OmniConnectorError:
                    retry.append(index)  # the job would be retried, with the same id
                    continue
                if attempts[index] == 1 and any(
                    r.get("fault") == "timeout" and r["body"] and ids[index] in r["body"]
                    for r in sim.requests[-6:]
                ):
                    settled_by_lookup += 1
                if not result.is_done:
                    retry.append(index)
            pending = retry
        elapsed = time.perf_counter() - started
        done = sim.receipts_by_status("DONE")
        per_sale = Counter(
            (r.get("context") or {}).get("order") for r in sim.receipts_by_status()
        )
        duplicates = sum(count - 1 for count in per_sale.values() if count > 1)
        lost = sum(1 for r in sim.requests if r.get("fault") == "timeout")
        result = {
            "benchmark": "checkbox_receipts",
            "figures": {
                "receipts_per_second": {
                    "value": round(len(done) / elapsed, 1), "target": None, "met": None,
                },
                "duplicates": {"value": duplicates, "target": 0, "met": duplicates == 0},
            },
            "receipts": args.receipts,
            "done": len(done),
            "not_done": len(pending),
            "answers_lost_after_creation": lost,
            "settled_by_lookup_in_the_same_call": settled_by_lookup,
            "sent_again_with_the_same_id": sum(1 for n in attempts.values() if n > 1),
            "sell_posts": sim.sell_posts,
            "elapsed_seconds": round(elapsed, 2),
            "config": {"timeout_share": args.timeout_share, "read_timeout": args.read_timeout,
                       "seed": args.seed},
        }
    finally:
        sim.stop()
    print(json.dumps(result, ensure_ascii=False))
    return 0 if duplicates == 0 and not pending else 1


if __name__ == "__main__":
    sys.exit(main())
