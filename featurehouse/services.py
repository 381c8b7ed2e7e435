"""The services a project runs on, opened once by ``connect`` and shared by its objects."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from featurehouse.catalog.base import Catalog, open_catalog
from featurehouse.config import Settings
from featurehouse.offline.delta import DeltaOfflineStore
from featurehouse.online.base import OnlineStore, open_online_store

if TYPE_CHECKING:
    from featurehouse.engine.base import Engine


@dataclass
class Services:
    """Catalog, offline store, online store and engine, each opened on first use."""

    settings: Settings

    @cached_property
    def catalog(self) -> Catalog:
        return open_catalog(self.settings.catalog)

    @cached_property
    def offline(self) -> DeltaOfflineStore:
        return DeltaOfflineStore(self.settings.offline)

    @cached_property
    def online(self) -> OnlineStore:
        return open_online_store(self.settings.online)

    @cached_property
    def engine(self) -> Engine:
        from featurehouse.engine.duckdb import DuckDBEngine

        return DuckDBEngine(
            memory_limit=self.settings.duckdb_memory_limit,
            temp_directory=str(self.settings.home / "tmp"),
        )

    def close(self) -> None:
        for name in ("catalog", "online", "engine"):
            service = self.__dict__.pop(name, None)
            if service is not None:
                service.close()
