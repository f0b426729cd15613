"""Extensions to moto: the operations and behaviour the twin adds, installed once per process."""

from __future__ import annotations

import importlib
import pkgutil

_installed = False


def install() -> None:
    """Import every extension module and call its install(); safe to call more than once."""
    global _installed
    if _installed:
        return
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        importlib.import_module(f"{__name__}.{module.name}").install()
    _installed = True
