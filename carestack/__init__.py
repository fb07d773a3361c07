"""The reference social-care stack: an independent ASGI service drilled by the harness.

Start it with ``python -m carestack --port PORT --platform-url URL --speed S``. It never
imports the harness (``simulator``, ``load``, ``reports``): it stands for a team's own stack.
Importing this package is cheap; the app is built by ``carestack.app.create_app``.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
