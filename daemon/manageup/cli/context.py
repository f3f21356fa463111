"""What every handler needs, loaded lazily so `--help` stays fast."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from manageup.cli.values import parse_now

if TYPE_CHECKING:
    from manageup.config import Config
    from manageup.store import Store


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._config: Config | None = None

    @property
    def config_arg(self) -> str | None:
        value: str | None = self.args.config
        return value

    @property
    def config(self) -> Config:
        if self._config is None:
            from manageup.config import find_config, load_config

            self._config = load_config(find_config(self.config_arg))
            from manageup.cli.output import log_zone

            log_zone(self._config.zone)
        return self._config

    def now(self) -> datetime:
        return parse_now(getattr(self.args, "now", None), self.config.zone)

    def store(self, readonly: bool = False) -> Store:
        from manageup.store import Store

        return Store.open(self.config.store.path, readonly=readonly)
