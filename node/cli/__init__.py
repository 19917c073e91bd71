"""`credreg`: the command line (typer + rich). One module per topic registers its commands on the shared app."""

from node.cli import (
    accreditation,  # noqa: F401 - registers issuers, keys add/rotate/cutoff, bodies
    certificate,  # noqa: F401 - registers certificate
    disclose,  # noqa: F401 - registers disclose
    governance,  # noqa: F401 - registers governance (proposals)
    issue,  # noqa: F401 - registers issue
    keys,  # noqa: F401 - registers keys and apikeys
    lifecycle,  # noqa: F401 - registers credentials and batches (revoke, suspend, reinstate, supersede)
    network,  # noqa: F401 - registers network init, add-validator, add-account
    ops,  # noqa: F401 - registers the commands
    verify,  # noqa: F401 - registers verify and checkpoint
)
from node.cli._app import app

__all__ = ["app"]
