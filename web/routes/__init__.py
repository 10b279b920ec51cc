"""The pages, a module per screen or group of screens; each module's `router` is included by web/pages.py.

A new screen is a new module here with its own templates: nothing else needs to change to include it.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules() -> list[ModuleType]:
    """Every route module of this package, in name order (FastAPI matches routes in the order included)."""
    return [importlib.import_module(f"{__name__}.{info.name}") for info in sorted(pkgutil.iter_modules(__path__),
                                                                                  key=lambda info: info.name)]
