"""Two example ML systems built on the public API, each a set of separate programs
(pipelines) with clear inputs and outputs, runnable by any orchestrator:

- ``fraud``: real-time credit-card fraud (windowed aggregates, on-demand features, an
  XGBoost model served over HTTP, prediction logs and outcomes);
- ``air_quality``: batch air-quality forecasting (lagged and rolling features, a
  regression model, scheduled batch inference, a chart of forecast vs actual).

Run one as ``python -m featurehouse.examples.fraud.feature_pipeline --project DIR`` or
``featurehouse run fraud feature --project DIR``.
"""

# example -> its pipelines, in the order they run; each is a module of the example
# with ``main(argv)`` (a program) and ``run(project, ...)`` (a function)
PIPELINES: dict[str, tuple[str, ...]] = {
    "fraud": ("generate", "feature", "training", "inference"),
    "air_quality": ("generate", "feature", "training", "inference"),
}


def module_name(example: str, pipeline: str) -> str:
    """The module that runs ``pipeline`` of ``example``."""
    suffix = "generate" if pipeline == "generate" else f"{pipeline}_pipeline"
    return f"featurehouse.examples.{example}.{suffix}"
