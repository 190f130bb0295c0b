"""``python -m polyflow_argo`` runs the CLI (Ctrl-C while it loads: exit 130, no traceback)."""

import sys

try:
    from .cli import main
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
