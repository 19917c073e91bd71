"""`make contracts`: compile contracts/*.sol into the committed artifacts in contracts/build/."""

from __future__ import annotations

import sys

from node.chain.compiler import BUILD_DIR, write_artifacts
from node.errors import RegistryError


def main() -> int:
    try:
        names = write_artifacts()
    except RegistryError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    print(f"wrote {len(names)} artifacts to {BUILD_DIR}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
