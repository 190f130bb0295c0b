"""``python -m polyflow_argo`` runs the CLI."""

from .cli import main

raise SystemExit(main())
