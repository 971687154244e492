from odoo import fields, models


class OmniChannel(models.Model):
    """The channel's health card: counts, waiting jobs and their age, and why it is red.

    The card tells the current state: a job that failed before a later
    success of the same work (a push, a poll) no longer makes it red, and a
    job scheduled for later (the next order poll) is not waiting work.
    """

    _inherit = "omni.channel"

    binding_count = fields.Integer(compute="_compute_health")
    pending_binding_count = fields.Integer("Waiting to Be Sent", compute="_compute_health")
    failed_binding_count = fields.Integer("Failed Products", compute="_compute_health")
    blocked_binding_count = fields.Integer(
        "Products Never Sent",
        compute="_compute_health",
        help="Products on the channel whose stock is never sent: archived (shown as 0) or "
        "not tracking inventory.",
    )
    attention_order_count = fields.Integer(
        "Orders Needing Attention", compute="_compute_health"
    )
    queue_depth = fields.Integer("Jobs Waiting", compute="_compute_health")
    failed_job_count = fields.Integer("Failed Jobs", compute="_compute_health")
    oldest_job_age = fields.Integer(
        "Oldest Waiting Job (min)",
        compute="_compute_health",
        help="A job waiting for long means the job runner is not running or is "
        "overloaded.",
    )
    health = fields.Selection(
        [("ok", "Healthy"), ("warning", "Lagging"), ("error", "Failing")],
        compute="_compute_health",
    )
    health_reason = fields.Text("Why", compute="_compute_health")

    def _compute_health(self):
        empty = {
            "binding_count": 0, "pending_binding_count": 0, "failed_binding_count": 0,
            "blocked_binding_count": 0, "attention_order_count": 0, "queue_depth": 0,
            "failed_job_count": 0, "oldest_job_age": 0, "health": "ok", "health_reason": False,
        }
        if not self.ids:
            for channel in self:
                channel.update(empty)
            return
        cr = self.env.cr
        cr.execute(
            """
            SELECT b.channel_id, count(*),
                   count(*) FILTER (WHERE b.sync_state = 'error'),
                   count(*) FILTER (WHERE NOT p.active OR NOT t.is_storable)
              FROM omni_product_binding b
              JOIN product_product p ON p.id = b.product_id
              JOIN product_template t ON t.id = p.product_tmpl_id
             WHERE b.channel_id = ANY(%s) AND b.active
             GROUP BY b.channel_id
            """,
            [self.ids],
        )
        bindings = {row[0]: row[1:] for row in cr.fetchall()}
        cr.execute(
            """
            SELECT channel_id, count(DISTINCT product_id) FROM omni_binding_change
             WHERE channel_id = ANY(%s) GROUP BY channel_id
            """,
            [self.ids],
        )
        waiting = dict(cr.fetchall())
        attention = dict(
            self.env["omni.external.order"]._read_group(
                [("channel_id", "in", self.ids), ("state", "=", "needs_attention")],
                ["channel_id"],
                ["__count"],
            )
        )
        # waiting work: due now (the next order poll, scheduled for later, is not);
        # failures: only those no later success of the same work has resolved
        cr.execute(
            """
            WITH all_jobs AS (
                SELECT j.id, j.identity_key,
                       split_part(j.identity_key, ':', 2)::int AS channel_id,
                       split_part(j.identity_key, ':', 3) AS kind,
                       j.state, j.date_created, j.eta, j.exc_message, j.exc_name,
                       COALESCE(j.date_done, j.date_started, j.date_created) AS moment
                  FROM queue_job j
                 WHERE j.identity_key LIKE 'omni:%%'
                   AND split_part(j.identity_key, ':', 2) = ANY(%(ids)s)
            ), jobs AS (
                -- a failure that a later run of the same work resolved is history
                SELECT f.* FROM all_jobs f
                 WHERE f.state != 'done'
                   AND NOT (f.state = 'failed' AND EXISTS (
                       SELECT 1 FROM all_jobs later
                        WHERE later.identity_key = f.identity_key
                          AND later.id > f.id AND later.state = 'done'))
            )
            , due AS (
                SELECT *, (jobs.kind != 'orders' OR jobs.eta IS NULL
                           OR jobs.eta <= now() AT TIME ZONE 'UTC') AS is_due
                  FROM jobs
            )
            SELECT jobs.channel_id,
                   count(*) FILTER (WHERE jobs.state = 'started' OR (
                       jobs.state IN ('pending', 'enqueued', 'wait_dependencies')
                       AND jobs.is_due)),
                   count(*) FILTER (WHERE jobs.state = 'failed' AND (
                       s.last_success IS NULL OR s.last_success <= jobs.moment)),
                   min(CASE WHEN jobs.kind = 'orders'
                            THEN GREATEST(jobs.date_created, COALESCE(jobs.eta, jobs.date_created))
                            ELSE jobs.date_created END)
                       FILTER (WHERE jobs.state IN ('pending', 'enqueued') AND jobs.is_due),
                   (array_agg(COALESCE(jobs.exc_message, jobs.exc_name) ORDER BY jobs.moment DESC)
                       FILTER (WHERE jobs.state = 'failed' AND (
                           s.last_success IS NULL OR s.last_success <= jobs.moment)))[1]
              FROM due jobs
              LEFT JOIN omni_channel_status s
                ON s.channel_id = jobs.channel_id AND s.kind = jobs.kind
             GROUP BY jobs.channel_id
            """,
            {"ids": [str(i) for i in self.ids]},
        )
        jobs = {row[0]: row[1:] for row in cr.fetchall()}
        now = fields.Datetime.now()
        for channel in self:
            total, failed, blocked = bindings.get(channel.id, (0, 0, 0))
            pending = waiting.get(channel.id, 0)
            depth, failed_jobs, oldest, job_error = jobs.get(channel.id, (0, 0, None, None))
            age = max(0, int((now - oldest).total_seconds() // 60)) if oldest else 0
            attention_count = attention.get(channel, 0)
            reason = False
            if failed_jobs or (oldest and age >= 15):
                health = "error"
                if failed_jobs:
                    # the channel's own failure note is in its responsible's words
                    reason = channel.last_error or job_error or False
                else:
                    reason = self.env._(
                        "Jobs have waited %(minutes)s minutes: is the job runner running?",
                        minutes=age,
                    )
            elif failed or attention_count or (oldest and age >= 2):
                health = "warning"
            else:
                health = "ok"
            channel.update({
                "binding_count": total,
                "pending_binding_count": pending,
                "failed_binding_count": failed,
                "blocked_binding_count": blocked,
                "attention_order_count": attention_count,
                "queue_depth": depth,
                "failed_job_count": failed_jobs,
                "oldest_job_age": age,
                "health": health,
                "health_reason": reason,
            })
