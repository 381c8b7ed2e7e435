"""Transformations without training/serving skew: on-demand features computed from the
request and stored features, and model-dependent transforms fitted once on a training
dataset and applied with the same statistics everywhere."""
