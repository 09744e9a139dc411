"""A numpy command-line sidecar: what numpy costs in a bundle (freezer audit)."""
import numpy as np


def main():
    print(f"numbers {np.__version__} {int(np.arange(10).sum())}")


if __name__ == "__main__":
    main()
