"""Vectorised byte rendering: one ``bytes`` per row from constants, numbers and choices.

A layout is a list of segments: ``bytes`` constants, ``Int`` (decimal integers), ``Ref``
(``"ev-0000123"``-style quoted references, ``null`` when negative) and ``Choice`` (one of a
few pre-encoded options). Rows are grouped by their variant (digit counts, null or not,
option), each group is filled as one ``uint8`` matrix with column slices (no Python loop per
row), and the matrix rows become ``bytes`` objects in one numpy conversion. Output equals
``str(int)`` / ``f'"{prefix}{v:0{width}d}"'`` formatting byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Choice", "Int", "Ref", "json_inner", "render_rows"]

_POWERS = 10 ** np.arange(1, 19, dtype=np.int64)  # 10 .. 10**18


@dataclass(frozen=True)
class Int:
    """A decimal integer (``str(v)``), any sign."""

    values: np.ndarray


@dataclass(frozen=True)
class Ref:
    """``"<prefix><v zero-padded to width>"`` for ``v >= 0``, else ``null``."""

    values: np.ndarray
    prefix: bytes
    width: int


@dataclass(frozen=True)
class Choice:
    """``options[code]`` per row (codes index ``options``)."""

    codes: np.ndarray
    options: Sequence[bytes]


Segment = bytes | Int | Ref | Choice


def _ndigits(v: np.ndarray, at_least: int = 1) -> np.ndarray:
    """Decimal digits of non-negative int64 values (0 has one), but at least ``at_least``."""
    d = np.full(v.shape, at_least, dtype=np.int64)
    top = int(v.max()) if v.size else 0
    for power in _POWERS[at_least - 1 :].tolist():
        if power > top:
            break
        d += v >= power
    return d


def _variants(seg: Segment) -> tuple[np.ndarray | None, int]:
    """Per-row variant code of a segment and the number of possible codes."""
    if isinstance(seg, bytes):
        return None, 1
    if isinstance(seg, Int):
        v = seg.values.astype(np.int64)
        return _ndigits(np.abs(v)) * 2 + (v < 0), 40
    if isinstance(seg, Ref):
        v = seg.values.astype(np.int64)
        return np.where(v < 0, 0, _ndigits(v, seg.width)), 20
    return seg.codes.astype(np.int64), len(seg.options)


def _fill_digits(buf: np.ndarray, at: int, values: np.ndarray, width: int) -> None:
    """Zero-padded decimal digits of non-negative ``values`` into ``buf[:, at:at+width]``."""
    v = values.astype(np.uint32) if values.size and values.max() < 2**32 else values.copy()
    for j in range(width - 1, -1, -1):
        q = v // 10
        buf[:, at + j] = v - q * 10 + 48
        v = q


def _render_group(
    segments: Sequence[Segment], variant: Sequence[int], rows: np.ndarray | slice, count: int
) -> Any:
    """Rows sharing one variant per segment: a numpy ``S`` array (or one bytes for all)."""
    template = bytearray()
    digits: list[tuple[int, np.ndarray, int]] = []  # (offset, values, width)
    for seg, var in zip(segments, variant, strict=True):
        if isinstance(seg, bytes):
            template += seg
        elif isinstance(seg, Choice):
            template += seg.options[var]
        elif isinstance(seg, Int):
            width, neg = var // 2, var % 2
            template += b"-" * neg
            digits.append((len(template), np.abs(seg.values[rows].astype(np.int64)), width))
            template += b"0" * width
        elif var == 0:
            template += b"null"
        else:
            template += b'"' + seg.prefix
            digits.append((len(template), seg.values[rows].astype(np.int64), var))
            template += b"0" * var + b'"'
    if not digits:
        return bytes(template)
    buf = np.empty((count, len(template)), dtype=np.uint8)
    buf[:] = np.frombuffer(bytes(template), dtype=np.uint8)
    for at, values, width in digits:
        _fill_digits(buf, at, values, width)
    return buf.view(f"S{buf.shape[1]}").ravel()


def render_rows(m: int, segments: Sequence[Segment]) -> np.ndarray:
    """One ``bytes`` per row (an object array of length ``m``) for the layout ``segments``.

    Every array in the segments has length ``m``. A row's bytes never end in NUL (numpy
    strips trailing NULs), so constants must not end with one.
    """
    out = np.empty(m, dtype=object)
    if m == 0:
        return out
    code = np.zeros(m, dtype=np.int64)
    radix = []
    for seg in segments:
        var, k = _variants(seg)
        radix.append(k)
        if var is not None:
            code = code * k + var
    lo, hi = int(code.min()), int(code.max())
    groups: list[Any]
    if lo == hi:
        uniq, groups = [lo], [slice(None)]
    else:
        if hi < 1 << 16:
            counts = np.bincount(code, minlength=hi + 1)
            present = np.flatnonzero(counts)
            uniq, counts = present.tolist(), counts[present]
        else:
            present, counts = np.unique(code, return_counts=True)
            uniq = present.tolist()
        order = np.argsort(code, kind="stable")
        groups = np.split(order, np.cumsum(counts)[:-1])
    for c, rows in zip(uniq, groups, strict=True):
        variant = []
        for seg, k in zip(reversed(segments), reversed(radix), strict=True):
            if isinstance(seg, bytes):
                variant.append(0)
            else:
                variant.append(c % k)
                c //= k
        variant.reverse()
        out[rows] = _render_group(
            segments, variant, rows, m if isinstance(rows, slice) else len(rows)
        )
    return out


def json_inner(values: Sequence[str]) -> list[bytes]:
    """JSON-encode many strings at once, without their quotes (the layout supplies them).

    Splitting orjson's array on ``","`` is exact: inside an encoded string every ``"`` is
    preceded by a backslash, so that sequence only ever separates two elements.
    """
    import orjson

    if not len(values):
        return []
    return orjson.dumps(values)[2:-2].split(b'","')
