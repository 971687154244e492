def migrate(cr, version):
    """Orders imported before statuses were sent back have nothing to send."""
    if not version:
        return
    cr.execute(
        "UPDATE omni_external_order SET status_sync_state = 'none' WHERE status_sync_state IS NULL"
    )
