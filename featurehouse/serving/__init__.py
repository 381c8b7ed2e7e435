"""Deployments and the online inference service."""
