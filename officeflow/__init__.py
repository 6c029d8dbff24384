"""officeflow: the general office's processes as Prefect workflows over a SQL ledger."""

__version__ = "0.1.0"
