"""The ``counts`` accounting of a drill (``replay.json``), from ``sends.npz``'s status.

Every generated event is accounted for exactly once::

    generated = scripted + reactions = accepted + failed + unsent + prevented

``sent`` = accepted + failed. Status codes: an HTTP status (> 0), ``UNSENT`` (0),
``CONNECTION_ERROR`` (-1), ``ABORTED`` (-2, in flight when the run ended) and
``PREVENTED`` (-3, cancelled by the team's answers before it was due).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["ABORTED", "CONNECTION_ERROR", "PREVENTED", "UNSENT", "send_counts"]

UNSENT = 0
CONNECTION_ERROR = -1
ABORTED = -2
PREVENTED = -3


def send_counts(status: np.ndarray, actual_s: np.ndarray, accept: Iterable[int]) -> dict[str, int]:
    """``generated``, ``sent``, ``accepted``, ``failed``, ``unsent``, ``prevented``.

    ``actual_s`` is NaN for an event never sent; ``accept`` are the statuses that accept.
    """
    n = len(status)
    sent = int((~np.isnan(actual_s)).sum())
    accepted = int(np.isin(status, list(accept)).sum())
    prevented = int((status == PREVENTED).sum())
    return {"generated": n, "sent": sent, "accepted": accepted, "failed": sent - accepted,
            "unsent": n - sent - prevented, "prevented": prevented}
