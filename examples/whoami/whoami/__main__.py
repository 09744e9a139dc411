import json
import sys

import freezer_runtime


def main():
    backend = freezer_runtime.frozen_backend()
    with open(freezer_runtime.resource_path("whoami/message.json"), encoding="utf-8") as f:
        message = json.load(f)["message"]
    print(f"frozen by {backend}" if backend else "not frozen")
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
