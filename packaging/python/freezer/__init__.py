"""freezer's native executable and plugins, installed as a Python package.

The `freezer` command runs freezer/bin/freezer; `python -m freezer` does the same.
"""
import os

__all__ = ["executable"]


def executable() -> str:
    """The path of the native `freezer` executable inside this package."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "freezer")
