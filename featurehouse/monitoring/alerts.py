"""Alerts: a breaching run writes an alert record to the catalog and, when the monitor has
one, posts it to a webhook. The webhook URL may carry a secret, so it is never printed,
logged or put in an error message."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

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


def alert_payload(run: MonitorRun) -> dict[str, Any]:
    return {
        "monitor": run.monitor,
        "run": run.run,
        "at": run.started_at.isoformat(),
        "window": [
            None if run.start is None else run.start.isoformat(),
            None if run.end is None else run.end.isoformat(),
        ],
        "breaches": [b.__dict__ for b in run.breaches],
        "report_path": str(run.report_path),
    }


def raise_alert(catalog: Catalog, run: MonitorRun, webhook: str | None) -> str:
    """Record the alert of a breaching run and call the webhook; returns the webhook outcome."""
    payload = alert_payload(run)
    outcome = "not configured" if webhook is None else post_webhook(webhook, payload)
    catalog.create(ALERT, run.monitor, run.run, {**payload, "webhook": outcome})
    return outcome
