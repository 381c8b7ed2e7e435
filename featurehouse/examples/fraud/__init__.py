"""Real-time credit-card fraud: a synthetic card network, feature pipelines (card
profiles, merchants, windowed transaction aggregates), on-demand features (distance from
home, time since the last transaction), an XGBoost training pipeline and online inference
over HTTP with prediction logs and outcomes. See ``featurehouse.examples.fraud.system``."""
