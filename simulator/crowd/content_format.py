"""Template pools and the vectorised ``str.format`` helpers the text renderer is built on.

A ``FlatPool`` holds groups of values in one flat object array so a choice per row is one
numpy index; a ``TemplatePool`` also compiles each template to a positional format string
with the brand's name and handle already filled in. ``format_groups`` / ``format_wrapped``
fill each template once per group of rows that use it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import repeat
from string import Formatter

import numpy as np

__all__ = ["Fields", "FlatPool", "TemplatePool", "concat", "format_groups", "format_wrapped"]


class FlatPool:
    """Groups of values in one flat object array; ``pick(group, r)`` takes ``r % len`` of each."""

    def __init__(self, groups: Sequence[Sequence[object]]) -> None:
        lengths = [len(g) for g in groups]
        self.values = np.array([v for g in groups for v in g] + [""], dtype=object)
        self.length = np.array(lengths, dtype=np.int64)
        self.offset = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)

    def index(self, group: np.ndarray, r: np.ndarray) -> np.ndarray:
        return self.offset[group] + r % np.maximum(self.length[group], 1)

    def pick(self, group: np.ndarray, r: np.ndarray) -> np.ndarray:
        return self.values[self.index(group, r)]


class TemplatePool(FlatPool):
    """Templates as positional ``str.format`` strings, brand name and handle filled in."""

    def __init__(self, groups: Sequence[Sequence[str]], fixed: dict[str, str]) -> None:
        super().__init__(groups)
        self.compiled: list[tuple[str, tuple[str, ...]]] = []
        for template in self.values.tolist():
            text, names = "", []
            for literal, name, spec, conv in Formatter().parse(template):
                text += literal.replace("{", "{{").replace("}", "}}")
                if name is None:
                    continue
                if name in fixed:
                    text += fixed[name].replace("{", "{{").replace("}", "}}")
                else:
                    text += "{" + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
                    names.append(name)
            self.compiled.append((text, tuple(names)))
        # "{opener}<template>{extra}{closer}" as one format: plain, then first letter capital
        # (None when the template starts with a field, which cannot be capitalised here)
        self.wrapped: list[tuple[str, tuple[str, ...]] | None] = [
            ("{}" + text + "{}{}", names) for text, names in self.compiled
        ]
        self.wrapped += [
            None
            if _starts_with_field(text)
            else ("{}" + text[:1].upper() + text[1:] + "{}{}", names)
            for text, names in self.compiled
        ]


def _starts_with_field(text: str) -> bool:
    return text.startswith("{") and not text.startswith("{{")


class Fields:
    """Fill-in columns for one chunk, computed only for the rows a template group needs."""

    def __init__(self, makers: dict[str, Callable[[np.ndarray], list[object]]]) -> None:
        self.makers = makers

    def column(self, name: str, rows: np.ndarray) -> list[object]:
        return self.makers[name](rows)


def format_groups(
    pool: TemplatePool, group: np.ndarray, r: np.ndarray, fields: Fields, rows: np.ndarray
) -> np.ndarray:
    """Fill the template each of ``rows`` picks; each template is mapped over its rows at once."""
    out = np.empty(len(rows), dtype=object)
    if not len(rows):
        return out
    chosen = pool.index(group[rows], r[rows])
    order = np.argsort(chosen, kind="stable")
    uniq, starts = np.unique(chosen[order], return_index=True)
    for tid, at in zip(uniq.tolist(), np.split(order, starts[1:]), strict=False):
        fmt, names = pool.compiled[tid]
        if names:
            src = rows[at]
            out[at] = list(map(fmt.format, *(fields.column(nm, src) for nm in names)))
        else:
            out[at] = fmt.format()
    return out


def format_wrapped(
    pool: TemplatePool,
    chosen: np.ndarray,
    fields: Fields,
    rows: np.ndarray,
    around: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """``opener + template + extra + closer`` for ``rows``, one ``str.format`` per row.

    ``chosen`` is each row's key into ``pool.wrapped`` (all of them not None); ``around``
    holds the opener, extra and closer columns (indexed by row like the fields).
    """
    out = np.empty(len(rows), dtype=object)
    if not len(rows):
        return out
    opener, extra, closer = around
    order = np.argsort(chosen, kind="stable")
    uniq, starts = np.unique(chosen[order], return_index=True)
    for key, at in zip(uniq.tolist(), np.split(order, starts[1:]), strict=False):
        wrapped = pool.wrapped[key]
        assert wrapped is not None
        fmt, names = wrapped
        src = rows[at]
        out[at] = list(
            map(
                fmt.format,
                opener[src].tolist(),
                *(fields.column(nm, src) for nm in names),
                extra[src].tolist(),
                closer[src].tolist(),
            )
        )
    return out


def concat(*parts: np.ndarray | str) -> np.ndarray:
    """Row-wise string concatenation of object arrays (a ``str`` part is the same every row).

    One ``str.join`` per row instead of one intermediate string per ``+``.
    """
    m = next(len(p) for p in parts if not isinstance(p, str))
    cols = [repeat(p, m) if isinstance(p, str) else p.tolist() for p in parts]
    out = np.empty(m, dtype=object)
    out[:] = list(map("".join, zip(*cols, strict=False)))
    return out
