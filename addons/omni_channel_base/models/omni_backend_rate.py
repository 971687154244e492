from odoo import api, fields, models

from .. import tools


class OmniBackendRate(models.Model):
    """The request budget of one remote service, shared by every process.

    One row per backend holds a GCRA "theoretical arrival time" (``tat``, in
    epoch seconds of the database clock): requests are spaced ``1 / rate``
    apart, with up to ``burst`` of them at once. A request reserves its slot
    with one atomic UPSERT (the row is locked for that statement only) and
    then waits for the slot without holding anything, so workers and job
    runners on any machine share one limit. The same arithmetic, in Python,
    is ``omni_connectors.core.ratelimit.gcra_next``.
    """

    _name = "omni.backend.rate"
    _description = "Remote Service Request Budget"
    _log_access = False

    key = fields.Char(required=True, readonly=True)
    tat = fields.Float("Next Free Slot", digits=(16, 6), readonly=True)

    _sql_constraints = [("key_uniq", "unique(key)", "One budget per remote service.")]

    @api.model
    def _omni_take_slot(self, key, rate, burst=1):
        """Reserve a slot in a short transaction of its own; return the seconds to wait.

        READ COMMITTED, so that workers reserving at once queue on the row
        for a moment instead of failing to serialize.
        """
        if tools.same_transaction(self.env):
            return self._omni_reserve(key, rate, burst)
        with self.env.registry.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            return self.with_env(self.env(cr=cr))._omni_reserve(key, rate, burst)

    @api.model
    def _omni_reserve(self, key, rate, burst=1):
        """Reserve the next request slot of ``key``; return the seconds to wait for it."""
        interval = 1.0 / float(rate)
        burst = max(1, int(burst))
        self.env.cr.execute(
            """
            WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
            INSERT INTO omni_backend_rate AS r (key, tat)
            SELECT %(key)s, clock.now + %(interval)s FROM clock
            ON CONFLICT (key) DO UPDATE
               SET tat = GREATEST(r.tat, (SELECT now FROM clock)) + %(interval)s
            RETURNING GREATEST(0.0, r.tat - %(burst)s * %(interval)s
                                    - (SELECT now FROM clock))
            """,
            {"key": key, "interval": interval, "burst": burst},
        )
        return self.env.cr.fetchone()[0]
