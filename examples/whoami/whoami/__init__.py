"""An example sidecar that says how it was frozen: the same app, one per backend."""
