"""The package version (``polyflow_argo.__version__``), here so that any stage can read it without
importing the public API module."""

__version__ = "0.1.0"
