"""A project with its model registry and deployments: what serving and monitoring run on."""

from __future__ import annotations

from functools import cached_property

from featurehouse.core.project import Project
from featurehouse.models.deployments import Deployments
from featurehouse.models.registry import ModelRegistry


class Platform(Project):
    """Feature groups and views (``Project``), plus models and deployments."""

    @cached_property
    def models(self) -> ModelRegistry:
        """The model registry of this project."""
        return ModelRegistry(self._services)

    @cached_property
    def deployments(self) -> Deployments:
        """Deployment revisions: what serves under each name."""
        return Deployments(self._services, self.models)
