"""A FastAPI sidecar that loads its services by name: the names come from a bundled JSON
file, the modules through importlib, so no packager's import analysis can see them."""
import argparse

import uvicorn

from app.main import create_app


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8008)
    args = parser.parse_args()
    uvicorn.run(create_app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
