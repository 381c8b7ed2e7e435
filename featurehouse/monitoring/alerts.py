"""Alerts: a breaching run writes an alert record to the catalog and, when the monitor has
one, posts it to a webhook. The webhook URL may carry a secret, so it is never printed,
logged or put in an error message."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from featurehouse.catalog.codec import Record
from featurehouse.monitoring.monitors import Breach

if TYPE_CHECKING:
    from featurehouse.catalog.base import Catalog
    from featurehouse.monitoring.monitors import MonitorRun

ALERT = "alert"
TIMEOUT_SECONDS = 5.0


def post_webhook(url: str, payload: dict[str, Any]) -> str:
    """POST ``payload`` as JSON; what happened, in words that do not contain the URL."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, default=str).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "featurehouse-monitor"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return f"delivered (HTTP {response.status})"
    except urllib.error.HTTPError as exc:
        return f"failed (HTTP {exc.code})"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"failed ({type(exc).__name__})"


@dataclass(frozen=True)
class Alert(Record):
    """The record of a breaching run; without ``webhook``, what the webhook is sent."""

    monitor: str
    run: int
    at: datetime
    window: tuple[datetime | None, datetime | None]
    breaches: tuple[Breach, ...]
    report_path: Path
    webhook: str = "not configured"  # what happened when the webhook was called


def raise_alert(catalog: Catalog, run: MonitorRun, webhook: str | None) -> str:
    """Record the alert of a breaching run and call the webhook; returns the webhook outcome."""
    alert = Alert(
        monitor=run.monitor,
        run=run.run,
        at=run.started_at,
        window=(run.start, run.end),
        breaches=tuple(run.breaches),
        report_path=run.report_path,
    )
    payload = {k: v for k, v in alert.to_json().items() if k != "webhook"}
    outcome = "not configured" if webhook is None else post_webhook(webhook, payload)
    catalog.create(ALERT, run.monitor, run.run, replace(alert, webhook=outcome).to_json())
    return outcome
