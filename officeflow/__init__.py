"""officeflow: the general office's processes as Prefect workflows over a SQL ledger."""

import os

__version__ = "0.1.0"

# A government office's machine does not phone home. Every Prefect server a process of this
# project starts has analytics off: `officeflow up`'s (officeflow/stack.py), and the temporary
# server Prefect starts by itself when a command runs a flow with no server configured (it is a
# subprocess that inherits this environment). Set on import, before anything starts a server;
# an operator cannot turn it back on by accident.
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
