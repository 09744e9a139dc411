"""`freezer` and `python -m freezer`: replaces this Python process with the native
executable, so that signals, exit codes and the terminal are freezer's own."""
import os
import sys

from freezer import executable


def main() -> None:
    exe = executable()
    try:
        os.execv(exe, [exe, *sys.argv[1:]])
    except OSError as e:
        sys.stderr.write(f"freezer: cannot run {exe}: {e.strerror}; reinstall the freezer package\n")
        sys.exit(127)


if __name__ == "__main__":
    main()
