"""Batch air-quality forecasting: synthetic daily PM2.5 readings and weather, lagged and
rolling features, a LightGBM regression model, a scheduled batch inference pipeline writing
forecasts to an inference table, and a chart of forecast vs actual."""
