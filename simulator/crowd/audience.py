"""Who posts: a pool of customers and anonymous posters, built once per run.

Faker is called only to fill small name pools (a few hundred first and last names and user
names); every person is a row of integer columns (name indices, handle style, followers,
segment, customer number) and authors are drawn with numpy. Handles, names and customer
ids (``C-000123``) are rendered as strings only when an event table is written.

Rows ``0 .. customers-1`` are known customers; the rest are anonymous posters (no customer
id). Followers come from the scenario's follower distribution, influencers (a share of all
rows) from theirs and are verified; VIPs are a share of customers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from faker import Faker
from faker.providers.person.en_US import Provider as PersonProvider

from simulator.scenario.models import Audience as AudienceSpec
from simulator.scenario.vocab import SEGMENTS

__all__ = ["Audience", "build_audience"]

NAME_POOL = 600  # distinct first and last names drawn from Faker
USERNAME_POOL = 150
HANDLE_STYLES = 6
MIN_ANONYMOUS_ROWS = 500
VERIFIED_SHARE = 0.004  # ordinary accounts that are verified anyway
_CLEAN = re.compile(r"[^a-z0-9]")

SEG_REGULAR, SEG_VIP, SEG_INFLUENCER, SEG_ANONYMOUS = (SEGMENTS.index(s) for s in SEGMENTS)


@dataclass(frozen=True)
class Audience:
    """The people of one run, as columns; row ``i`` is one person."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    usernames: tuple[str, ...]
    first: np.ndarray  # int32 index into first_names
    last: np.ndarray  # int32 index into last_names
    style: np.ndarray  # int8 handle style
    number: np.ndarray  # int32 used in handles
    followers: np.ndarray  # int64
    verified: np.ndarray  # bool
    segment: np.ndarray  # int8 code into SEGMENTS
    customer: np.ndarray  # int64 customer number, -1 for anonymous posters
    customers: int
    anonymous_share: float

    @property
    def size(self) -> int:
        return len(self.followers)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` authors: anonymous with ``anonymous_share``, else a customer."""
        anon = rng.random(n) < self.anonymous_share
        out = rng.integers(0, self.customers, n)
        n_anon = int(anon.sum())
        if n_anon:
            out[anon] = rng.integers(self.customers, self.size, n_anon)
        return out

    def influence_weights(self, influence: float) -> np.ndarray:
        """Per-person child-count multiplier ``(followers/median)^influence``, mean 1.

        The mean is taken under the author distribution of ``sample`` so that a cascade's
        mean branching ratio equals the scenario's ``branching``.
        """
        if influence == 0:
            return np.ones(self.size)
        med = float(np.median(self.followers)) or 1.0
        w = (np.maximum(self.followers, 1) / med) ** influence
        c = self.customers
        z = (1 - self.anonymous_share) * w[:c].mean() + self.anonymous_share * w[c:].mean()
        return w / z

    def handle(self, i: int) -> str:
        """The person's handle, e.g. ``@jane_doe84``."""
        first = _CLEAN.sub("", self.first_names[self.first[i]].lower())
        last = _CLEAN.sub("", self.last_names[self.last[i]].lower())
        num, style = int(self.number[i]), int(self.style[i])
        if style == 0:
            return f"@{first}{last}"
        if style == 1:
            return f"@{first}_{last}{num % 100}"
        if style == 2:
            return f"@{first}{num}"
        if style == 3:
            return f"@{first[:1]}{last}{num % 1000}"
        if style == 4:
            return f"@{self.usernames[num % len(self.usernames)]}"
        return f"@{last}_{first[:3]}{num % 10000}"

    def name(self, i: int) -> str:
        return f"{self.first_names[self.first[i]]} {self.last_names[self.last[i]]}"

    def handles(self, people: np.ndarray) -> np.ndarray:
        """``handle(i)`` for many people at once (an object array), one format per style."""
        people = np.asarray(people, dtype=np.int64)
        clean_first = np.array([_CLEAN.sub("", f.lower()) for f in self.first_names], object)
        clean_last = np.array([_CLEAN.sub("", f.lower()) for f in self.last_names], object)
        first_1 = np.array([f[:1] for f in clean_first.tolist()], object)
        first_3 = np.array([f[:3] for f in clean_first.tolist()], object)
        users = np.array(self.usernames, dtype=object)
        fi, la = self.first[people], self.last[people]
        num, style = self.number[people].astype(np.int64), self.style[people]
        out = np.empty(len(people), dtype=object)
        cols: tuple[np.ndarray, ...]
        for s in range(HANDLE_STYLES):
            rows = np.flatnonzero(style == s)
            if not rows.size:
                continue
            f, la_s, n = fi[rows], la[rows], num[rows]
            if s == 0:
                cols, fmt = (clean_first[f], clean_last[la_s]), "@{}{}"
            elif s == 1:
                cols, fmt = (clean_first[f], clean_last[la_s], n % 100), "@{}_{}{}"
            elif s == 2:
                cols, fmt = (clean_first[f], n), "@{}{}"
            elif s == 3:
                cols, fmt = (first_1[f], clean_last[la_s], n % 1000), "@{}{}{}"
            elif s == 4:
                cols, fmt = (users[n % len(users)],), "@{}"
            else:
                cols, fmt = (clean_last[la_s], first_3[f], n % 10000), "@{}_{}{}"
            out[rows] = list(map(fmt.format, *(c.tolist() for c in cols)))
        return out

    def names(self, people: np.ndarray) -> np.ndarray:
        """``name(i)`` for many people at once (an object array)."""
        people = np.asarray(people, dtype=np.int64)
        firsts = np.array(self.first_names, dtype=object)[self.first[people]]
        lasts = np.array(self.last_names, dtype=object)[self.last[people]]
        return np.array(list(map("{} {}".format, firsts.tolist(), lasts.tolist())), object)


def customer_id(number: int) -> str | None:
    """``C-000123`` for a customer number, None for -1 (anonymous)."""
    return None if number < 0 else f"C-{number:06d}"


def _weighted_pool(weights: dict[str, float], n: int, rng: np.random.Generator) -> tuple[str, ...]:
    """``n`` distinct names drawn by Faker's own frequency weights (common names likelier)."""
    names = list(weights)
    p = np.array([float(weights[k]) for k in names])
    k = min(n, len(names))
    picks = rng.choice(len(names), size=k, replace=False, p=p / p.sum())
    return tuple(names[i] for i in sorted(picks.tolist()))


def build_audience(spec: AudienceSpec, rng: np.random.Generator) -> Audience:
    """Build the run's people from the scenario's audience section."""
    # Faker's name tables, read once; a few hundred Faker user names for handle variety.
    fake = Faker("en_US")
    fake.seed_instance(int(rng.integers(0, 2**31)))
    firsts_w = {**PersonProvider.first_names_female, **PersonProvider.first_names_male}
    firsts = _weighted_pool(firsts_w, NAME_POOL, rng)
    lasts = _weighted_pool(dict(PersonProvider.last_names), NAME_POOL, rng)
    users = tuple(
        dict.fromkeys(_CLEAN.sub("", fake.user_name().lower()) for _ in range(USERNAME_POOL))
    )
    customers = spec.customers
    anon_rows = max(MIN_ANONYMOUS_ROWS, int(customers * 0.5))
    size = customers + anon_rows
    followers = spec.followers.distribution.sample(rng, size)
    segment = np.full(size, SEG_REGULAR, dtype=np.int8)
    segment[customers:] = SEG_ANONYMOUS
    verified = rng.random(size) < VERIFIED_SHARE
    if spec.influencers is not None and spec.influencers.share > 0:
        infl = rng.random(size) < spec.influencers.share
        followers[infl] = spec.influencers.followers.distribution.sample(rng, int(infl.sum()))
        segment[infl] = SEG_INFLUENCER
        verified |= infl
    if spec.vip_share > 0:
        vip = rng.random(customers) < spec.vip_share
        segment[:customers][vip] = SEG_VIP
    customer = np.full(size, -1, dtype=np.int64)
    customer[:customers] = rng.permutation(customers) + 1
    return Audience(
        first_names=firsts,
        last_names=lasts,
        usernames=users,
        first=rng.integers(0, len(firsts), size).astype(np.int32),
        last=rng.integers(0, len(lasts), size).astype(np.int32),
        style=rng.integers(0, HANDLE_STYLES, size).astype(np.int8),
        number=rng.integers(1, 100_000, size).astype(np.int32),
        followers=np.round(followers).astype(np.int64),
        verified=verified,
        segment=segment,
        customer=customer,
        customers=customers,
        anonymous_share=spec.anonymous_share,
    )
