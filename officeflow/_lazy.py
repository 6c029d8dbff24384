"""Lazy package exports: a process package names its public functions without importing them.

``officeflow.supervision.plan_sweep`` still works, but importing ``officeflow.supervision.views``
(as `officeflow decision show` does) no longer loads the sweep, the delivery layer and Apprise.
The names are the ``from … import …`` statements under ``if TYPE_CHECKING:`` in the package's
``__init__.py`` (so type checkers and readers see ordinary imports); `exports` reads them once.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any


def _targets(init_file: str, package: str) -> dict[str, tuple[str, str]]:
    tree = ast.parse(Path(init_file).read_text(encoding="utf-8"))
    names: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    module = stmt.module
                    if stmt.level:  # a relative import
                        module = f"{package}.{module}"
                    for alias in stmt.names:
                        names[alias.asname or alias.name] = (module, alias.name)
    return names


def exports(package: str, init_file: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: import a name's module on first use."""
    targets = _targets(init_file, package)
    namespace = import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        try:
            module, attr = targets[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(import_module(module), attr)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(targets))

    return __getattr__, __dir__
