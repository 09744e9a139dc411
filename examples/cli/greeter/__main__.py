import argparse
import sys

from greeter import __version__


def main(argv=None):
    parser = argparse.ArgumentParser(prog="greeter", description="Greets people.")
    parser.add_argument("--version", action="version", version=f"greeter {__version__}")
    parser.add_argument("name", nargs="?", default="world")
    args = parser.parse_args(argv)
    print(f"Hello, {args.name}!")
    return 0


if __name__ == "__main__":
    sys.exit(main())
