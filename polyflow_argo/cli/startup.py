"""What the one-shot commands (``compile``, ``lint``) skip at start-up: pydantic's plugin discovery.

The first model pydantic builds imports ``pydantic.plugin._loader``, and with it
``importlib.metadata`` (email, zipfile, csv, ...), to look for plugins in every installed
distribution's entry points: 12-19 ms of a 190 ms compile, for plugins (tracing such as logfire)
that have nothing to observe in a command that runs for a fraction of a second. So, in the process
of such a command only, a stand-in takes the loader's place before pydantic looks: it answers as the
loader does when ``PYDANTIC_DISABLE_PLUGINS=__all__``, with no plugins, and anything else asked of
it loads the real loader in its place. It stays out of the way when the variable has any other
value (``""``, or plugin names to disable, keeping the others): pydantic's own loader then decides.
The long-running commands (``watch``, ``plugin serve``, the cluster commands) and the library keep
pydantic as it is. tests/cli/test_startup.py checks every use pydantic makes of its loader.
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

LOADER = "pydantic.plugin._loader"
PLUGINS_OFF = ("__all__", "1", "true")  # PYDANTIC_DISABLE_PLUGINS values that turn every plugin off


def without_pydantic_plugins() -> None:
    """Put the stand-in in the loader's place, unless pydantic has already loaded plugins or the
    environment asks for its own loader."""
    if LOADER in sys.modules:
        return
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS", "__all__") not in PLUGINS_OFF:
        return
    sys.modules[LOADER] = _NoPlugins(LOADER)


class _NoPlugins(ModuleType):
    """pydantic's plugin loader, answering as it does with every plugin disabled."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "pydantic's plugin loader, with no plugins (polyflow_argo/cli/startup.py)")
        self.__spec__ = ModuleSpec(name, None)

    @staticmethod
    def get_plugins() -> tuple[()]:
        return ()

    def __getattr__(self, name: str) -> Any:
        """Anything else (a later pydantic's new use of its loader): the real loader, from now on."""
        if name.startswith("__"):
            raise AttributeError(name)
        if sys.modules.get(LOADER) is self:
            del sys.modules[LOADER]
        return getattr(importlib.import_module(LOADER), name)
