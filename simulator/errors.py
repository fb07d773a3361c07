"""The project's error family: every user-facing failure is a DrillError.

The command line turns a DrillError into one line on stderr and its ``exit_code``
(DESIGN.md section 3): 2 for bad input or usage, 3 when the target could not be
reached or the drill could not run. Anything else escaping is a bug.
"""

from __future__ import annotations

__all__ = ["DrillError", "InputError", "TargetError"]


class DrillError(Exception):
    """Base of all errors the CLI reports as one line."""

    exit_code = 2


class InputError(DrillError):
    """A scenario, profile, gates or results file (or a flag) is wrong.

    The message names the file, the field path, what was expected and what was found,
    e.g. ``payment-outage.yaml: incidents[0].cascade.branching must be < 1 for a
    finite storm, got 1.3``.
    """

    exit_code = 2


class TargetError(DrillError):
    """The target could not be reached, or the drill could not run."""

    exit_code = 3
