"""The offline store: the full history of each feature group version, behind the
``OfflineStore`` protocol (``base.py``); Delta Lake tables implement it (``delta.py``)."""
