from odoo import fields, models


class OmniChannel(models.Model):
    """The channel's health card: counts, waiting jobs and their age."""

    _inherit = "omni.channel"

    # health
    binding_count = fields.Integer(compute="_compute_health")
    pending_binding_count = fields.Integer("Waiting to Be Sent", compute="_compute_health")
    failed_binding_count = fields.Integer("Failed Products", compute="_compute_health")
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


    def _compute_health(self):
        if not self.ids:
            for channel in self:
                channel.update({
                    "binding_count": 0, "pending_binding_count": 0,
                    "failed_binding_count": 0, "attention_order_count": 0,
                    "queue_depth": 0, "failed_job_count": 0, "oldest_job_age": 0,
                    "health": "ok",
                })
            return
        cr = self.env.cr
        cr.execute(
            """
            SELECT b.channel_id, count(*), count(*) FILTER (WHERE b.sync_state = 'error')
              FROM omni_product_binding b
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
        cr.execute(
            """
            SELECT split_part(identity_key, ':', 2)::int,
                   count(*) FILTER (WHERE state IN ('pending', 'enqueued', 'started',
                                                    'wait_dependencies')),
                   count(*) FILTER (WHERE state = 'failed'),
                   min(date_created) FILTER (WHERE state IN ('pending', 'enqueued'))
              FROM queue_job
             WHERE identity_key LIKE 'omni:%%'
               AND split_part(identity_key, ':', 2) = ANY(%s)
               AND state != 'done'
             GROUP BY 1
            """,
            [[str(i) for i in self.ids]],
        )
        jobs = {row[0]: row[1:] for row in cr.fetchall()}
        now = fields.Datetime.now()
        for channel in self:
            total, failed = bindings.get(channel.id, (0, 0))
            pending = waiting.get(channel.id, 0)
            depth, failed_jobs, oldest = jobs.get(channel.id, (0, 0, None))
            age = int((now - oldest).total_seconds() // 60) if oldest else 0
            attention_count = attention.get(channel, 0)
            if failed_jobs or (oldest and age >= 15):
                health = "error"
            elif failed or attention_count or (oldest and age >= 2):
                health = "warning"
            else:
                health = "ok"
            channel.update({
                "binding_count": total,
                "pending_binding_count": pending,
                "failed_binding_count": failed,
                "attention_order_count": attention_count,
                "queue_depth": depth,
                "failed_job_count": failed_jobs,
                "oldest_job_age": age,
                "health": health,
            })
