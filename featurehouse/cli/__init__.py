"""The ``featurehouse`` command (alias ``fh``): one module per noun."""
