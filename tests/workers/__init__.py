"""Child-process entry points for the crash-safety and concurrency tests."""
