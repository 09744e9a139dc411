"""Services, each a module with apply(text), loaded by name (see services.json)."""
