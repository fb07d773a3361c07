"""Assembling the crowd's emitted batches into one ``EventTable`` (in emission order).

Emission is in time order, so row ``i`` of the table is the ``i``-th post emitted. Parents,
threads and journey links are rewritten from batch rows to table rows; authors become
follower, segment and customer columns plus an ``author`` code into per-author handle and
name pools (rendered once per author, on first use); sentiment is drawn around each
emotion's centre; the text is rendered lazily (on first access, e.g. by ``write_jsonl``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simulator.crowd.audience import Audience
from simulator.crowd.batch import Batch
from simulator.crowd.content import render_texts, scenario_vocabulary
from simulator.runfolder.event_table import EventTable
from simulator.scenario.models import Scenario
from simulator.scenario.vocab import EMOTIONS

__all__ = ["assemble"]

SENTIMENT_CENTRE = {"angry": -0.8, "frustrated": -0.55, "sad": -0.45, "neutral": 0.0, "happy": 0.75}
SENTIMENT_SD = 0.12
_CENTRES = np.array([SENTIMENT_CENTRE[e] for e in EMOTIONS])


def assemble(
    scenario: Scenario,
    audience: Audience,
    batches: Sequence[Batch],
    emitted_batch: np.ndarray,
    emitted_row: np.ndarray,
    routes: tuple[str, ...],
    rng: np.random.Generator,
) -> EventTable:
    """Gather emitted rows of every batch into a table; ``rng`` draws sentiment and text."""
    n = len(emitted_batch)
    sizes = np.array([len(b) for b in batches], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])[:-1] if len(batches) else np.zeros(0)
    take = (offsets[emitted_batch] + emitted_row).astype(np.int64) if n else np.zeros(0, np.int64)

    def col(name: str, dtype: type | np.dtype | None = None) -> np.ndarray:
        if not batches:
            return np.zeros(0, dtype=dtype or np.int64)
        return np.concatenate([getattr(b, name) for b in batches])[take]

    index_all = np.concatenate([b.index for b in batches]) if batches else np.zeros(0, np.int64)

    def link(name: str) -> np.ndarray:
        rows = col(name)
        out = np.full(n, -1, dtype=np.int64)
        ok = rows >= 0
        base = offsets[emitted_batch] if n else np.zeros(0, np.int64)
        out[ok] = index_all[(base[ok] + rows[ok]).astype(np.int64)]
        return out

    parent, thread = link("parent"), link("root")
    follows = np.full(n, -1, dtype=np.int64)
    if n:
        prev_row = col("prev_row")
        for i in np.flatnonzero(prev_row >= 0).tolist():
            prev = batches[int(emitted_batch[i])].prev
            if prev is not None:
                follows[i] = prev.index[prev_row[i]]
    # route codes are per policy and identical across batches
    assert all(b.routes == routes for b in batches)
    author = col("author")
    emotion = col("emotion").astype(np.int8)
    sentiment = np.clip(_CENTRES[emotion] + rng.normal(0, SENTIMENT_SD, n), -1, 1)
    table = EventTable(
        t=col("t").astype(np.float64),
        channel=col("channel").astype(np.int8),
        kind=col("kind").astype(np.int8),
        parent=parent,
        thread=thread,
        followers=audience.followers[author],
        verified=audience.verified[author],
        segment=audience.segment[author],
        customer=audience.customer[author],
        incident=col("incident").astype(np.int16),
        intent=col("intent").astype(np.int8),
        emotion=emotion,
        sentiment=sentiment.astype(np.float32),
        route=col("route").astype(np.int16),
        tier=col("tier").astype(np.int8),
        priority=col("priority").astype(np.int8),
        respond=col("respond").astype(bool),
        respond_within_s=col("respond_within_s").astype(np.float64),
        journey=col("journey").astype(np.int8),
        follows=follows,
        incidents=scenario.incident_ids,
        routes=routes,
    )
    uniq, inverse = np.unique(author, return_inverse=True)
    table.author = inverse.reshape(-1).astype(np.int64)
    text_seed = int(rng.integers(0, 2**63))

    def texts() -> list[str]:
        brand = scenario.brand
        handle_pool, name_pool = table.pool("handle"), table.pool("name")
        author_codes = table.author
        if handle_pool is None or name_pool is None or author_codes is None:
            # the columns were turned into (editable) lists: quote those
            handle_pool = np.array(table.handle, dtype=object)
            name_pool = np.array(table.name, dtype=object)
            author_codes = np.arange(len(table))
        return render_texts(
            intent=table.intent,
            emotion=table.emotion,
            channel=table.channel,
            kind=table.kind,
            incident=table.incident,
            parent=table.parent,
            author=author_codes,
            handles=handle_pool,
            names=name_pool,
            customer=table.customer,
            brand_name=brand.name,
            brand_handle=brand.handle,
            products=brand.products,
            brand_tags=brand.hashtags,
            topics=[i.topic for i in scenario.incidents],
            incident_tags=[i.hashtags for i in scenario.incidents],
            rng=np.random.default_rng(text_seed),
            vocab=scenario_vocabulary(scenario),
        )

    table._lazy_pools.update(
        handle=lambda: audience.handles(uniq), name=lambda: audience.names(uniq)
    )
    table._lazy.update(text=texts)
    return table
