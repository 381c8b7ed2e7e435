"""The services a project runs on, opened once by ``connect`` and shared by its objects."""

from __future__ import annotations

import uuid
from contextlib import suppress
from dataclasses import dataclass
from functools import cached_property

from featurehouse.catalog.base import Catalog, open_catalog
from featurehouse.config import Settings
from featurehouse.engine.base import Engine, open_engine
from featurehouse.errors import AlreadyExistsError, NotFoundError
from featurehouse.offline.base import OfflineStore, open_offline_store
from featurehouse.online.base import OnlineStore, open_online_store


@dataclass
class Services:
    """Catalog, offline store, online store and engine, each opened on first use."""

    settings: Settings

    @cached_property
    def catalog(self) -> Catalog:
        return open_catalog(self.settings.catalog)

    @cached_property
    def offline(self) -> OfflineStore:
        return open_offline_store(self.settings.offline)

    @cached_property
    def online(self) -> OnlineStore:
        prefix = self.settings.online_key_prefix
        if prefix is None:
            prefix = f"{project_id(self.catalog)}:"
        return open_online_store(self.settings.online, key_prefix=prefix)

    @cached_property
    def engine(self) -> Engine:
        return open_engine(
            self.settings.engine,
            memory_limit=self.settings.duckdb_memory_limit,
            temp_directory=str(self.settings.home / "tmp"),
        )

    def close(self) -> None:
        for name in ("catalog", "online", "engine"):
            service = self.__dict__.pop(name, None)
            if service is not None:
                service.close()


PROJECT = "project"  # the catalog kind (and name) of the project's own entry


def project_id(catalog: Catalog) -> str:
    """The project's id, made once and kept in its catalog: stable wherever it moves."""
    try:
        return str(catalog.get(PROJECT, PROJECT, 1).body["id"])
    except NotFoundError:
        pass
    with suppress(AlreadyExistsError):  # another process may make it first
        catalog.create(PROJECT, PROJECT, 1, {"id": uuid.uuid4().hex[:16]})
    return str(catalog.get(PROJECT, PROJECT, 1).body["id"])
