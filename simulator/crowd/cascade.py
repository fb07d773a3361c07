"""Hawkes branching, vectorised: every post's reposts, replies and quotes, all generations.

Each post of an incident gets Poisson(branching * w[author]) children, where
``w = (followers/median)^influence`` normalised to mean 1 over the author distribution (so
the mean branching ratio is ``branching``); each child appears after a delay drawn from
the kernel and is written by a fresh author. With a constant mean (influence 0) cascade
sizes are Borel(branching): mean ``1/(1-n)``, ``P(size 1) = e^-n``. Children at or after
``end`` are dropped, and with them their descendants (always later still).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulator.scenario.distributions import Distribution
from simulator.scenario.vocab import KINDS

__all__ = ["CascadeModel", "Offspring", "grow"]

MAX_NODES_PER_BATCH = 5_000_000  # a guard against runaway trees when branching is near 1
_REPOST = KINDS.index("repost")
_CHILD_KINDS = np.array([KINDS.index(k) for k in KINDS], dtype=np.int8)


@dataclass(frozen=True)
class CascadeModel:
    """The cascade parameters of one incident, ready to sample."""

    branching: float
    kernel: Distribution
    weights: np.ndarray  # per audience row, mean 1 under the author distribution
    kind_probs: np.ndarray  # over KINDS


@dataclass
class Offspring:
    """Descendants of a set of root rows; ``parent`` and ``root`` index the combined rows."""

    t: np.ndarray
    author: np.ndarray
    parent: np.ndarray
    root: np.ndarray
    kind: np.ndarray


def grow(
    model: CascadeModel,
    rng: np.random.Generator,
    t: np.ndarray,
    author: np.ndarray,
    eligible: np.ndarray,
    end: float,
    sample_authors: Callable[[np.random.Generator, int], np.ndarray],
) -> Offspring:
    """All descendants of roots ``(t, author)``; only ``eligible`` roots spread.

    Rows of the result are numbered after the roots: the first child is row ``len(t)``.
    """
    n_roots = len(t)
    all_t, all_author = [t], [author]
    parents: list[np.ndarray] = []
    roots: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    root_of = np.arange(n_roots)
    frontier = np.flatnonzero(eligible)
    f_t, f_author, f_root = t[frontier], author[frontier], root_of[frontier]
    offset = n_roots
    while frontier.size and model.branching > 0:
        counts = rng.poisson(model.branching * model.weights[f_author])
        total = int(counts.sum())
        if total == 0:
            break
        rep = np.repeat(np.arange(frontier.size), counts)
        child_t = f_t[rep] + model.kernel.sample(rng, total)
        keep = child_t < end
        rep, child_t = rep[keep], child_t[keep]
        m = len(rep)
        if m == 0:
            break
        if offset + m - n_roots > MAX_NODES_PER_BATCH:
            raise OverflowError("cascade grew beyond the per-batch guard")
        child_author = sample_authors(rng, m)
        child_kind = _CHILD_KINDS[
            np.minimum(np.searchsorted(np.cumsum(model.kind_probs), rng.random(m)), len(KINDS) - 1)
        ]
        all_t.append(child_t)
        all_author.append(child_author)
        parents.append(frontier[rep])
        roots.append(f_root[rep])
        kinds.append(child_kind)
        frontier = np.arange(offset, offset + m)
        f_t, f_author, f_root = child_t, child_author, f_root[rep]
        offset += m
    if not parents:
        empty = np.zeros(0, dtype=np.int64)
        return Offspring(np.zeros(0), empty, empty, empty, np.zeros(0, dtype=np.int8))
    return Offspring(
        t=np.concatenate(all_t[1:]),
        author=np.concatenate(all_author[1:]),
        parent=np.concatenate(parents),
        root=np.concatenate(roots),
        kind=np.concatenate(kinds),
    )
