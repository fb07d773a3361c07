"""Post text: varied templates per intent, emotion and channel, rendered in vectorised batches.

What is said comes from the scenario's ``Vocabulary`` (``simulator.scenario.content_packs``: the
common templates, the brand's industry pack and the scenario's ``content:`` changes); how it
is said depends on the channel. A tweet-like post is short, starts with or mentions the brand
handle, may carry hashtags, abbreviations ("pls", "u", "bc") and a typo; an email is longer,
greets and is signed with the author's name and customer id; forum posts and reviews sit in
between. A pack's share of security reports is in leetspeak ("pwn3d", "hax0r", "w@r3z");
noise mentions the brand but needs no answer; hidden calls for help read neutral. Fragments
are picked with pre-drawn random integers and filled with numbers, references, products, pack
words and the incident topic, so two posts rarely share text. Reposts quote their parent
(``RT @x: ...``). ``render_rows(scenario, ...)`` renders texts for any rows of a scenario.

Speed: rows are rendered ``TEXT_CHUNK`` at a time. Within a chunk every choice is a numpy
index into a flat fragment pool, each template is filled once per group of rows that use it
(``str.format`` mapped over columns), and fragments are joined as numpy object arrays, so
only the few per-row edits (typos, abbreviations, leetspeak) run a Python loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from simulator.crowd.content_format import (
    Fields,
    FlatPool,
    TemplatePool,
    concat,
    format_groups,
    format_wrapped,
)
from simulator.scenario.content_packs import DEFAULT_INDUSTRY, Vocabulary, vocabulary
from simulator.scenario.content_templates import (
    ABBREVIATIONS,
    CLOSERS,
    EMAIL_CLOSINGS,
    EMAIL_GREETINGS,
    OPENERS,
    QUOTE_COMMENTS,
)
from simulator.scenario.vocab import (
    CHANNELS,
    EMOTIONS,
    INTENTS,
    KINDS,
    LONG_CHANNELS,
    PRIVATE_CHANNELS,
)

if TYPE_CHECKING:
    from simulator.scenario.models import Scenario

__all__ = ["draw_randoms", "render_rows", "render_texts", "scenario_vocabulary"]

RANDOM_COLUMNS = 12
# Rows per rendering chunk: bounds temporary memory. Fixed, so a seed always gives the same text.
TEXT_CHUNK = 65_536
TWEET_LIMIT = 280
# Pack words take the high bits of a random column; the low bits serve the built-in fields.
_WORD_SHIFT = 17
_LEET = str.maketrans({"a": "4", "e": "3", "o": "0", "i": "1", "s": "5", "t": "7"})
_SHORT = frozenset({"twitter", "instagram", "tiktok", "sms", "chat"})
_STARS = {"angry": 1, "frustrated": 1, "sad": 2, "neutral": 3, "happy": 5}
_KIND_REPOST, _KIND_QUOTE, _KIND_REPLY = (KINDS.index(k) for k in ("repost", "quote", "reply"))
_SECURITY = INTENTS.index("security")
_ANGRY, _NEUTRAL = EMOTIONS.index("angry"), EMOTIONS.index("neutral")
_EMAIL, _REVIEW = CHANNELS.index("email"), CHANNELS.index("review")
_IS_SHORT = np.array([c in _SHORT for c in CHANNELS])
_IS_LONG = np.array([c in LONG_CHANNELS for c in CHANNELS])
_IS_PRIVATE = np.array([c in PRIVATE_CHANNELS for c in CHANNELS])


def _typo(text: str, r: int) -> str:
    """Swap two letters in word ``r % words`` (only a plain lowercase word of 5+ letters)."""
    j = r % (text.count(" ") + 1)
    words = text.split(" ", j + 1)  # the words up to j, then the untouched rest
    w = words[j]
    if len(w) > 4 and w.isalpha() and w.islower():  # never misspell names
        k = 1 + (r >> 4) % (len(w) - 2)
        words[j] = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
        return " ".join(words)
    return text


def _leet(text: str, r: int) -> str:
    words = text.split(" ")
    return " ".join(w.translate(_LEET) if (r >> (i % 16)) & 1 else w for i, w in enumerate(words))


def _abbreviate(text: str, r: int) -> str:
    # three of the abbreviations, chosen by r, applied where they occur
    m = len(ABBREVIATIONS)
    for shift in (0, 5, 10):
        long, short = ABBREVIATIONS[(r >> shift) % m]
        if long in text:
            text = text.replace(long, short)
    return text


def _abbreviable(strings: Sequence[str]) -> np.ndarray:
    """Which fragments contain a word ``_abbreviate`` may shorten (padded: keys have spaces)."""
    keys = [long for long, _ in ABBREVIATIONS]
    return np.array([any(k in f" {t} " for k in keys) for t in strings] + [False], dtype=bool)


class _Pools:
    """Everything that does not change from row to row, prepared once per render."""

    def __init__(
        self,
        brand_name: str,
        brand_handle: str,
        products: Sequence[str],
        brand_tags: Sequence[str],
        topics: Sequence[str],
        incident_tags: Sequence[Sequence[str]],
        vocab: Vocabulary,
    ) -> None:
        fixed = {"b": brand_name, "h": brand_handle}
        self.brand_handle = brand_handle
        self.cores = TemplatePool([vocab.cores[i] for i in INTENTS], fixed)
        self.extras = TemplatePool([vocab.extras[i] for i in INTENTS], fixed)
        self.tails = TemplatePool([vocab.tails], fixed)
        self.leet_per_mille = round(1000 * vocab.leetspeak)
        self.words = {k: np.array(v, dtype=object) for k, v in vocab.words.items()}
        self.quips = TemplatePool([QUOTE_COMMENTS], fixed)
        self.greetings = TemplatePool([EMAIL_GREETINGS], fixed)
        self.closings = FlatPool([[f"\n\n{c},\n" for c in EMAIL_CLOSINGS]])
        # openers end with a space and closers start with one, so joining never doubles spaces
        self.openers = FlatPool([[f"{o} " if o else "" for o in OPENERS[e]] for e in EMOTIONS])
        self.closers = FlatPool([[f" {c}" if c else "" for c in CLOSERS[e]] for e in EMOTIONS])
        self.stars = np.array([f"{_STARS[e]}/5 - " for e in EMOTIONS], dtype=object)
        self.products = np.array(list(products), dtype=object)
        # topic pools: one per incident (its topic), then one per intent for baseline posts
        self.topics = FlatPool([[t] for t in topics] + [vocab.baseline_topics(i) for i in INTENTS])
        self.n_incidents = len(topics)
        # hashtag pools: one per incident (its tags or the brand's), then the baseline's
        self.tags = FlatPool([list(t or brand_tags) for t in incident_tags] + [list(brand_tags)])
        # templates naming the reference: an extra sentence must not name it a second time
        self.uses_ref = {"core": _uses(self.cores, {"ref"}), "extra": _uses(self.extras, {"ref"})}
        # abbreviations can only apply to a short post with one of these fragments in it
        wordy = {k for k, v in self.words.items() if _abbreviable(v.tolist())[:-1].any()}
        self.abbreviable = {
            "core": _abbreviable([text for text, _ in self.cores.compiled])
            | _uses(self.cores, wordy),
            "tail": _abbreviable([text for text, _ in self.tails.compiled])
            | _uses(self.tails, wordy),
            "opener": _abbreviable(self.openers.values[:-1].tolist()),
            "closer": _abbreviable(self.closers.values[:-1].tolist()),
            "topic": _abbreviable(self.topics.values[:-1].tolist()),
            "product": _abbreviable(self.products.tolist())[:-1],
        }


def _uses(pool: TemplatePool, names: set[str]) -> np.ndarray:
    """Which templates use one of ``names`` (padded like ``_abbreviable``)."""
    return np.array([bool(names.intersection(n)) for _, n in pool.compiled] + [False])


def scenario_vocabulary(scenario: Scenario) -> Vocabulary:
    """The scenario's text vocabulary: its industry pack with its ``content:`` changes."""
    return vocabulary(scenario.brand.industry, scenario.content)


def render_rows(
    scenario: Scenario,
    *,
    intent: np.ndarray,
    emotion: np.ndarray,
    channel: np.ndarray,
    rng: np.random.Generator,
    incident: np.ndarray | None = None,
    kind: np.ndarray | None = None,
    handles: Sequence[str] | None = None,
    names: Sequence[str] | None = None,
    customer: np.ndarray | None = None,
) -> list[str]:
    """Texts for rows of ``scenario`` given by codes (``simulator.scenario.vocab`` indices).

    The function for anyone adding posts outside the crowd model (reactions, live
    injections): one text per row, in the scenario's industry, brand and incident topics.
    ``incident`` is the incident index per row (-1 baseline, the default); ``kind`` defaults
    to ``message`` on private channels and ``post`` elsewhere (no reposts: they quote a
    parent row). ``handles``/``names`` are the authors' (emails are signed with the name);
    ``customer`` their customer numbers (-1 none).
    """
    channel = np.asarray(channel, dtype=np.int64)
    n = len(channel)
    if kind is None:
        kind = np.where(_IS_PRIVATE[channel], KINDS.index("message"), KINDS.index("post"))
    return render_texts(
        intent=np.asarray(intent, dtype=np.int64),
        emotion=np.asarray(emotion, dtype=np.int64),
        channel=channel,
        kind=np.asarray(kind, dtype=np.int64),
        incident=np.full(n, -1) if incident is None else np.asarray(incident, dtype=np.int64),
        parent=np.full(n, -1),
        author=np.arange(n),
        handles=np.array(list(handles) if handles is not None else [""] * n, dtype=object),
        names=np.array(list(names) if names is not None else [""] * n, dtype=object),
        customer=np.full(n, -1) if customer is None else np.asarray(customer, dtype=np.int64),
        brand_name=scenario.brand.name,
        brand_handle=scenario.brand.handle,
        products=scenario.brand.products,
        brand_tags=scenario.brand.hashtags,
        topics=[i.topic for i in scenario.incidents],
        incident_tags=[i.hashtags for i in scenario.incidents],
        rng=rng,
        vocab=scenario_vocabulary(scenario),
    )


_POOLS_KEPT = 8  # pools of this many brand/storm/vocabulary combinations are kept


def _pools(brand_name: str, brand_handle: str, products: Sequence[str],
           brand_tags: Sequence[str], topics: Sequence[str],
           incident_tags: Sequence[Sequence[str]], vocab: Vocabulary) -> _Pools:
    """The pools of one brand, storm and vocabulary, built once: reactions render a few posts
    at a time, and building the pools costs more than rendering them."""
    key = (brand_name, brand_handle, tuple(products), tuple(brand_tags), tuple(topics),
           tuple(tuple(t) for t in incident_tags), id(vocab))
    kept = _POOL_CACHE.get(key)
    if kept is None or kept[0] is not vocab:
        if len(_POOL_CACHE) >= _POOLS_KEPT:
            _POOL_CACHE.clear()
        kept = _POOL_CACHE[key] = (vocab, _Pools(brand_name, brand_handle, products, brand_tags,
                                                 topics, incident_tags, vocab))
    return kept[1]


_POOL_CACHE: dict[tuple[object, ...], tuple[Vocabulary, _Pools]] = {}


def render_texts(
    *,
    intent: np.ndarray,
    emotion: np.ndarray,
    channel: np.ndarray,
    kind: np.ndarray,
    incident: np.ndarray,
    parent: np.ndarray,
    author: np.ndarray,
    handles: np.ndarray,
    names: np.ndarray,
    customer: np.ndarray,
    brand_name: str,
    brand_handle: str,
    products: Sequence[str],
    brand_tags: Sequence[str],
    topics: Sequence[str],
    incident_tags: Sequence[Sequence[str]],
    rng: np.random.Generator | None = None,
    vocab: Vocabulary | None = None,
    randoms: np.ndarray | None = None,
) -> list[str]:
    """Render one text per row; rows are in time order so a repost's parent comes first.

    ``handles`` and ``names`` are per author (object arrays); ``author`` indexes them per row.
    ``vocab`` is the industry vocabulary (``scenario_vocabulary``; default: the generic pack).
    Every choice comes from ``draw_randoms(rng, n)``; ``randoms`` passes that matrix
    drawn earlier instead (rows drawn apart and rendered together give the same texts).
    """
    vocab = vocab or vocabulary(DEFAULT_INDUSTRY)
    pools = _pools(brand_name, brand_handle, products, brand_tags, topics, incident_tags, vocab)
    people = _People(np.asarray(handles, dtype=object), np.asarray(names, dtype=object), author)
    n = len(intent)
    if randoms is None:
        assert rng is not None, "render_texts needs rng or randoms"
        randoms = draw_randoms(rng, n)
    out = np.empty(n, dtype=object)
    for lo in range(0, n, TEXT_CHUNK):
        hi = min(n, lo + TEXT_CHUNK)
        r = randoms[lo:hi]
        kd, par = kind[lo:hi].astype(np.int64), parent[lo:hi].astype(np.int64)
        reposts = (kd == _KIND_REPOST) & (par >= 0)
        own = np.flatnonzero(~reposts)
        out[lo + own] = _render_own(
            pools,
            r[own],
            intent[lo:hi][own].astype(np.int64),
            emotion[lo:hi][own].astype(np.int64),
            channel[lo:hi][own].astype(np.int64),
            kd[own],
            incident[lo:hi][own].astype(np.int64),
            par[own],
            customer[lo:hi][own].astype(np.int64),
            people,
            lo + own,
        )
        _render_reposts(out, lo + np.flatnonzero(reposts), par[reposts], people)
    return out.tolist()


def draw_randoms(rng: np.random.Generator, n: int) -> np.ndarray:
    """The random numbers ``render_texts`` makes ``n`` rows' choices from (a chunk at a time)."""
    chunks = [rng.integers(0, 2**31, size=(min(n, lo + TEXT_CHUNK) - lo, RANDOM_COLUMNS),
                           dtype=np.int64) for lo in range(0, n, TEXT_CHUNK)]
    return np.concatenate(chunks) if chunks else np.zeros((0, RANDOM_COLUMNS), dtype=np.int64)


class _People:
    """Handles and names per author, looked up per row."""

    def __init__(self, handles: np.ndarray, names: np.ndarray, author: np.ndarray) -> None:
        self.handles, self.names, self.author = handles, names, author

    def handle(self, rows: np.ndarray) -> np.ndarray:
        return self.handles[self.author[rows]]

    def name(self, rows: np.ndarray) -> np.ndarray:
        return self.names[self.author[rows]]


def _render_reposts(out: np.ndarray, rows: np.ndarray, par: np.ndarray, people: _People) -> None:
    """``RT @parent: <parent text>`` for ``rows``, in waves: a repost of a repost waits."""
    while rows.size:
        ready = ~np.isin(par, rows)
        done, src = rows[ready], par[ready]
        texts = concat("RT ", people.handle(src), ": ", out[src])
        lengths = np.fromiter(map(len, texts.tolist()), dtype=np.int64, count=texts.size)
        long = np.flatnonzero(lengths > TWEET_LIMIT)
        texts[long] = [t[:TWEET_LIMIT] for t in texts[long].tolist()]
        out[done] = texts
        rows, par = rows[~ready], par[~ready]


def _render_own(
    pools: _Pools,
    r: np.ndarray,
    it: np.ndarray,
    em: np.ndarray,
    ch: np.ndarray,
    kd: np.ndarray,
    inc: np.ndarray,
    par: np.ndarray,
    cust: np.ndarray,
    people: _People,
    rows: np.ndarray,
) -> np.ndarray:
    """Texts of the rows that are not reposts (all arrays are those rows only)."""
    m = len(it)
    if m == 0:
        return np.zeros(0, dtype=object)
    topic = np.where(
        inc >= 0, pools.topics.offset[inc], pools.topics.index(pools.n_incidents + it, r[:, 0])
    )
    n_products = len(pools.products)
    fields = Fields(
        {
            "p": lambda x: pools.products[r[x, 1] % n_products].tolist(),
            "topic": lambda x: pools.topics.values[topic[x]].tolist(),
            "n": lambda x: (2 + r[x, 2] % 9).tolist(),
            "mins": lambda x: (5 * (1 + r[x, 3] % 48)).tolist(),
            "ref": lambda x: list(map("{:06X}".format, (r[x, 4] & 0xFFFFFF).tolist())),
            "day": lambda x: _DAY_ARR[r[x, 5] % len(_DAY_ARR)].tolist(),
            "amt": lambda x: (20 + r[x, 6] % 980).tolist(),
        }
        | {name: _word_field(values, r, k) for k, (name, values) in enumerate(pools.words.items())}
    )
    rumour = fields.makers["rumour"]  # on incident posts, what is repeated is the incident
    fields.makers["rumour"] = lambda x: np.where(
        inc[x] >= 0, pools.topics.values[topic[x]], np.array(rumour(x), dtype=object)
    ).tolist()
    short, long, private = _IS_SHORT[ch], _IS_LONG[ch], _IS_PRIVATE[ch]
    core_tid = pools.cores.index(it, r[:, 7])
    abbr = pools.abbreviable
    maybe_abbr = (
        abbr["core"][core_tid]
        | abbr["opener"][pools.openers.index(em, r[:, 9])]
        | abbr["closer"][pools.closers.index(em, r[:, 10])]
        | abbr["topic"][topic]
        | abbr["product"][r[:, 1] % len(pools.products)]
    )
    # an extra sentence on long posts, never a second mention of the same reference
    repeats_ref = (
        pools.uses_ref["core"][core_tid] & pools.uses_ref["extra"][pools.extras.index(it, r[:, 8])]
    )
    with_extra = np.flatnonzero(
        (r[:, 8] % 3 != 0) & ~short & (pools.extras.length[it] > 0) & ~repeats_ref
    )
    extra = np.full(m, "", dtype=object)
    if with_extra.size:
        extra[with_extra] = " " + format_groups(pools.extras, it, r[:, 8], fields, with_extra)
    opener = pools.openers.pick(em, r[:, 9])
    opener[(ch == _EMAIL) & (em == _NEUTRAL)] = ""
    closer = pools.closers.pick(em, r[:, 10])
    # most rows: opener, template and the rest in one format call, capitalised in the template
    key = core_tid + len(pools.cores.compiled) * ~short
    leet = (it == _SECURITY) & ((r[:, 2] >> 20) % 1000 < pools.leet_per_mille)
    slow = leet | np.array([w is None for w in pools.cores.wrapped])[key]
    fast = np.flatnonzero(~slow)
    body = np.empty(m, dtype=object)
    body[fast] = format_wrapped(pools.cores, key[fast], fields, fast, (opener, extra, closer))
    rest = np.flatnonzero(slow)
    if rest.size:  # leetspeak rows, and templates starting with a field
        core = format_groups(pools.cores, it, r[:, 7], fields, rest)
        ex = extra[rest]
        sec = np.flatnonzero(leet[rest])
        if sec.size:
            x = r[rest[sec], 2].tolist()
            core[sec] = [_leet(c, v) for c, v in zip(core[sec].tolist(), x, strict=True)]
            ex[sec] = [_leet(e, v >> 8) for e, v in zip(ex[sec].tolist(), x, strict=True)]
        cap = np.flatnonzero(~short[rest])
        core[cap] = [c[:1].upper() + c[1:] for c in core[cap].tolist()]
        body[rest] = concat(opener[rest], core, ex, closer[rest])

    email = np.flatnonzero(ch == _EMAIL)
    if email.size:
        greet = format_groups(pools.greetings, np.zeros(m, np.int64), r[:, 11], fields, email)
        close = pools.closings.pick(np.zeros(email.size, np.int64), r[email, 11] >> 8)
        sig = np.array([x or "A customer" for x in people.name(rows[email]).tolist()], object)
        cid = np.array(
            [f"\nCustomer number C-{c:06d}" if c >= 0 else "" for c in cust[email].tolist()],
            dtype=object,
        )
        body[email] = concat(greet, "\n\n", body[email], close, sig, cid)
    review = np.flatnonzero(ch == _REVIEW)
    body[review] = pools.stars[em[review]] + body[review]

    s = np.flatnonzero(short)
    if s.size:
        tail = s[(r[s, 4] >> 24) % 3 == 0]
        if tail.size:
            zeros = np.zeros(tail.size, np.int64)
            maybe_abbr[tail] |= abbr["tail"][pools.tails.index(zeros, r[tail, 4] >> 26)]
            body[tail] = (
                body[tail]
                + " "
                + format_groups(pools.tails, np.zeros(m, np.int64), r[:, 4] >> 26, fields, tail)
            )
        ab = s[maybe_abbr[s]]
        body[ab] = [
            _abbreviate(b, x)
            for b, x in zip(body[ab].tolist(), (r[ab, 10] >> 6).tolist(), strict=False)
        ]
        ty = s[r[s, 9] % 4 == 0]
        body[ty] = [
            _typo(b, x) for b, x in zip(body[ty].tolist(), (r[ty, 9] >> 3).tolist(), strict=False)
        ]
        shout = s[(em[s] == _ANGRY) & (r[s, 8] % 5 == 0)]
        body[shout] = [b.upper() for b in body[shout].tolist()]
        reply = (kd[s] == _KIND_REPLY) & (par[s] >= 0)
        body[s[reply]] = concat(people.handle(par[s[reply]]), " ", body[s[reply]])
        mention = s[~reply & (r[s, 11] % 4 != 0) & ~private[s]]
        body[mention] = (pools.brand_handle + " ") + body[mention]
        tagged = s[
            (r[s, 11] % 5 == 0) & ~private[s] & (pools.tags.length[_source(pools, inc[s])] > 0)
        ]
        if tagged.size:
            tags = pools.tags.pick(_source(pools, inc[tagged]), r[tagged, 11] >> 3)
            body[tagged] = body[tagged] + " " + tags
    quote = np.flatnonzero(~long & (kd == _KIND_QUOTE) & (par >= 0))
    if quote.size:
        quip = format_groups(pools.quips, np.zeros(m, np.int64), r[:, 6], fields, quote)
        body[quote] = quip + " " + body[quote]
    if s.size:
        lengths = np.fromiter(map(len, body[s].tolist()), dtype=np.int64, count=s.size)
        cut = s[lengths > TWEET_LIMIT]
        body[cut] = [b[: TWEET_LIMIT - 3] + "..." for b in body[cut].tolist()]
    return body


def _word_field(values: np.ndarray, r: np.ndarray, k: int) -> Callable[[np.ndarray], list[object]]:
    """Fill-in column of a pack word: its own bits of a random column (independent draws)."""
    column = (3 + 5 * k) % RANDOM_COLUMNS
    return lambda x: values[(r[x, column] >> _WORD_SHIFT) % len(values)].tolist()


def _source(pools: _Pools, inc: np.ndarray) -> np.ndarray:
    """Hashtag pool per row: the incident's, or the baseline's (the last pool)."""
    return np.where(inc >= 0, inc, pools.n_incidents)


_DAY_ARR = np.array(
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], object
)
