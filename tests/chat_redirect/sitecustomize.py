"""Loaded by Python at start-up when this folder is on PYTHONPATH (tests/chat_hosts.py puts it
there for CLI subprocesses): redirects the chat plugins to the test's local server."""

import os

_base = os.environ.get("OFFICEFLOW_TEST_CHAT_BASE")
if _base:
    import importlib.util
    from pathlib import Path

    _spec = importlib.util.spec_from_file_location(
        "_officeflow_test_chat_hosts", Path(__file__).resolve().parent.parent / "chat_hosts.py"
    )
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    _module.redirect(_base)
