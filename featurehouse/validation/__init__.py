"""Data validation on ingest: expectations declared on a feature group, checked vectorized
on every insert before the offline commit, reports kept in the catalog, and a quarantine
table for the rows that fail.

>>> from featurehouse.validation import expect
>>> fg.set_expectations([expect.not_null("amount"), expect.between("amount", 0, 10_000)])
"""
