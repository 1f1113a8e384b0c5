"""``python -m grader``: the ``grader`` command without the installed script."""

from __future__ import annotations

from grader.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
