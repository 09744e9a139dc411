"""Entry point of the example HTTP sidecar: `api --port 8123`."""
from app.server import main

if __name__ == "__main__":
    raise SystemExit(main())
