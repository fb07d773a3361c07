"""The run folder: the one home of its files' contracts (docs/architecture.md).

``events.jsonl``: ``write_jsonl(table, path)`` / ``read_jsonl(path)`` round-trip an
``EventTable``; ``Event`` (with ``Author``, ``Expected``) is one event built on its own (a
reaction, a live injection); ``read_columns(run_dir)`` gives the events and actions as
columns for reports; both read with pyarrow and an explicit schema, and the line parser for
a file pyarrow cannot read, which names the bad line. ``read_event_dicts(path)`` gives the
events as dicts (the replay's requests); ``annotate_events`` writes the reactions' marks.
``actions.jsonl``: ``Action`` records, ``ActionLog`` (the platform endpoint, live) and
``write_actions`` (simulate); ``count_actions_on``; ``ActionTail`` follows it live.
``replay.json``, ``team.json``, ``reactions.json``, ``live.json``: ``write_json`` /
``read_json``; ``sends.npz``: ``write_sends`` / ``read_sends`` with the status codes and
the ``counts`` accounting (``send_counts``).
"""

from simulator.runfolder.columns import NO_ROUTE, Actions, Categorical, Events, factorize
from simulator.runfolder.counts import ABORTED, CONNECTION_ERROR, PREVENTED, UNSENT, send_counts
from simulator.runfolder.jsonl_write import write_jsonl
from simulator.runfolder.lines import read_event_dicts
from simulator.runfolder.marks import annotate_events, write_reactions_json
from simulator.runfolder.read import (
    count_actions_on,
    read_columns,
    read_event_ids,
    read_json,
    read_jsonl,
    read_sends,
)
from simulator.runfolder.records import Action, Author, Event, Expected
from simulator.runfolder.tail import ActionTail
from simulator.runfolder.write import (
    ActionLog,
    append_lines,
    write_actions,
    write_json,
    write_sends,
)

__all__ = [
    "ABORTED", "CONNECTION_ERROR", "NO_ROUTE", "PREVENTED", "UNSENT", "Action", "ActionLog",
    "ActionTail", "Actions", "Author", "Categorical", "Event", "Events", "Expected",
    "annotate_events", "append_lines",
    "count_actions_on", "factorize", "read_columns", "read_event_dicts", "read_event_ids",
    "read_json", "read_jsonl", "read_sends", "send_counts", "write_actions", "write_json",
    "write_jsonl", "write_reactions_json", "write_sends",
]
