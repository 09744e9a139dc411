"""An example command-line sidecar."""
__version__ = "1.2.0"
