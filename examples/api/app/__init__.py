"""An example sidecar backend: a small JSON API on the standard library."""
