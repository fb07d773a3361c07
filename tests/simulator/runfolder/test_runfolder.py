"""The run folder package: following actions.jsonl, the counts identity, ids and actions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest

from simulator.errors import InputError
from simulator.runfolder import (
    ABORTED,
    CONNECTION_ERROR,
    PREVENTED,
    UNSENT,
    Action,
    ActionTail,
    read_event_ids,
    send_counts,
    write_actions,
)


def test_action_tail_waits_for_a_half_written_line(tmp_path: Path) -> None:
    path = tmp_path / "actions.jsonl"
    tail = ActionTail(path)
    assert tail.new() == []  # no file yet
    path.write_bytes(b'{"event_id":"ev-0000001","action":"reply"}\n{"event_id":"ev-00')
    assert [a["event_id"] for a in tail.new()] == ["ev-0000001"]
    with path.open("ab") as fh:
        fh.write(b'00002","action":"close"}\nnot json\n[1]\n')
    assert [a["action"] for a in tail.new()] == ["close"]  # the torn lines are skipped
    assert tail.new() == []


def test_counts_account_for_every_generated_event() -> None:
    status = np.array([202, 202, 500, CONNECTION_ERROR, ABORTED, UNSENT, PREVENTED, PREVENTED])
    actual = np.array([0.1, 0.2, 0.3, 0.4, 0.5, np.nan, np.nan, np.nan])
    counts = send_counts(status, actual, [202])
    assert counts == {"generated": 8, "sent": 5, "accepted": 2, "failed": 3, "unsent": 1,
                      "prevented": 2}
    assert counts["generated"] == (counts["accepted"] + counts["failed"] + counts["unsent"]
                                   + counts["prevented"])


def test_actions_are_written_in_the_section_6_key_order(tmp_path: Path) -> None:
    path = tmp_path / "actions.jsonl"
    write_actions(path, [Action("ev-0000003", "escalate", 12.34567, "legal", 3, "p1")])
    write_actions(path, [Action("ev-0000004", "reply", 13.0, text="ok")])
    rows = [orjson.loads(x) for x in path.read_bytes().splitlines()]
    assert list(rows[0]) == ["event_id", "action", "route", "tier", "priority", "agent", "text",
                             "at"]
    assert rows[0]["at"] == 12.346 and rows[1]["text"] == "ok" and rows[1]["route"] is None


def test_event_ids_fall_back_to_the_line_parser_that_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"id":"ev-0000000","t":0}\n{"id":"ev-0000001","t":1}\n')
    assert read_event_ids(path) == ["ev-0000000", "ev-0000001"]
    path.write_bytes(b'{"id":"ev-0000000","t":0}\n{"id":\n')
    with pytest.raises(InputError, match=r"events\.jsonl: line 2 must be one JSON object"):
        read_event_ids(path)
