from . import models


def post_init_hook(env):
    """Every existing website gets its own-shop channel."""
    env["website"].search([])._omni_ensure_channel()
