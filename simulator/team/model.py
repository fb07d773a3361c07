"""The care-team model: tiers of agents working priority queues in a SimPy environment.

``TeamModel(env, team, rng)`` attaches to an environment; call ``arrive(...)`` at the
moment a post reaches the team (the crowd's ``on_post`` hook, or ``feed`` for a prepared
arrival stream). What the model does, in order:

- **Triage** (instant, at arrival): with probability ``team.triage_accuracy`` the post gets
  its policy decision (route, tier, priority); otherwise it is misrouted to another tier
  chosen uniformly (a post that needs no answer is then answered, at priority p4).
- **Queues**: one per tier; lower priority number first (p1 before p2), FIFO within one.
  Posts that need no answer (``respond: false``) queue after p4 and take ``NOISE_HANDLE_S``.
- **Agents** come and go with the tier's shifts; an agent whose shift ends finishes the
  threads in hand first. Handle times come from the tier's distribution.
- **Concurrency**: an agent holds up to ``tier.concurrency`` threads at once and takes a new
  one whenever it holds fewer (waiting work goes to the on-duty agent holding the fewest
  threads). A thread started while the agent holds ``k`` threads (it included) takes its
  drawn handle time times ``tier.stretch(k) = 1 + slowdown * (k - 1)``, fixed at the start.
- **Service-level classes** (``team.service_level`` per class): private posts (email, chat,
  sms, DMs) are deferred work: they start only after every public post waiting, and only
  while the tier's busy threads are below ``private.max_occupancy`` of its on-duty slots.
- **Conversations**: ``answer_back(index)`` is a customer answering on the thread of post
  ``index`` (issue 12's reaction model calls it). The turn goes to the agent who last
  handled the thread when that agent is on duty with a free slot, otherwise to that tier's
  queue at the thread's priority. Turns neither abandon nor escalate; the agent replies.
  ``on_reply(index, turn)`` is called at every reply (turn 0 is the first response).
- **Escalation** after handling: to the next tier up when the policy tier is higher than the
  tier that handled it, or with the tier's ``escalates`` probability; otherwise the agent
  replies (or closes a noise post).
- **Patience**: a customer still waiting for the FIRST agent after a patience draw abandons;
  ``on_abandon(index)`` is called then (the crowd posts again, angrier). Escalated posts have
  been answered once and do not abandon. Noise posters never abandon.

Random draws are made per post at arrival, in arrival order, from ``rng``: runs with the same
arrivals and seed see the same handle times and patience whatever the staffing (common random
numbers). Turns draw their handle times from a stream spawned at the first turn, so a run
without turns draws exactly what it did before conversations existed. Results are columns
(``TeamRun``); metrics live in ``simulator.team.statistics``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import simpy
from simpy.events import Timeout

from simulator.scenario.roster import Team
from simulator.team.routing import (
    NO_ROUTE,
    NOISE_PRIORITY,
    decide,
    misroute,
    next_tier,
    tier_for,
)
from simulator.team.run import TeamRun
from simulator.team.slots import TierState

__all__ = ["NOISE_HANDLE_S", "NOISE_PRIORITY", "TeamModel", "TeamRun", "feed", "ACTIONS"]

NOISE_HANDLE_S = 30.0  # triaging and closing a post that needs no answer
DRAW_BLOCK = 4096  # random draws are made in blocks for speed
ACTIONS = ("triage", "reply", "escalate", "close")
TRIAGE_AGENT = "triage"  # the agent id on triage actions (the team's routing rules)
WAITING, STARTED, ABANDONED = 0, 1, 2


class TeamModel:
    """The care team as a SimPy model; see the module docstring for its behaviour.

    ``agents`` overrides every shift with a constant count per tier name (used by tests and
    the staffing search). ``record_actions=False`` skips the action log (faster).
    """

    def __init__(
        self,
        env: simpy.Environment,
        team: Team,
        rng: np.random.Generator,
        *,
        on_abandon: Callable[[int], None] | None = None,
        on_reply: Callable[[int, int], None] | None = None,
        agents: Mapping[str, int] | None = None,
        record_actions: bool = True,
    ) -> None:
        self.env = env
        self.team = team
        self.tiers = tuple(sorted(team.tiers, key=lambda t: t.tier))
        self._state = [TierState(t) for t in self.tiers]
        self._on_abandon = on_abandon
        self._on_reply = on_reply
        self._finish_cb, self._abandon_cb = self._finish, self._abandon  # bound once (hot path)
        self._record = record_actions
        self._agents = dict(agents) if agents is not None else None
        self._accuracy = team.triage_accuracy
        self._classes = team.classes
        self._cap = self._classes.private.max_occupancy if self._classes is not None else 1.0
        self._rng = rng
        self._turn_rng: np.random.Generator | None = None  # spawned at the first turn
        self._handle_dists = [t.handle_time.build() for t in self.tiers]
        self._patience_dist = team.patience.build() if team.patience is not None else None
        self._numbers = [t.tier for t in self.tiers]
        self._escalates = [t.escalates for t in self.tiers]
        self._stretch = [t.slowdown if t.concurrency > 1 else 0.0 for t in self.tiers]
        # per-post random draws as columns, drawn DRAW_BLOCK posts at a time (post p's draws
        # are row p whatever the staffing: common random numbers)
        self._drawn = 0
        self._u_triage: list[float] = []
        self._u_pick: list[float] = []
        self._u_esc: list[list[float]] = [[] for _ in self.tiers]
        self._handles: list[list[float]] = [[] for _ in self.tiers]
        self._turn_handles: list[list[float]] = [[] for _ in self.tiers]
        self._patience: list[float] = []
        # routing decisions are few: cache them
        self._decisions: dict[tuple[str, int, int, bool], tuple[int, int, str, int]] = {}
        self._up: dict[tuple[int, str], int | None] = {}
        # posts (threads)
        self.index: list[int] = []
        self.arrival: list[float] = []
        self.private: list[bool] = []
        self._local: dict[int, int] = {}  # caller's index -> local post number
        self._route: list[str] = []
        self._true_tier: list[int] = []
        self._answer: list[bool] = []
        self._last_visit: list[int] = []  # the thread's latest visit
        self._turns: list[int] = []  # answer-backs so far
        # visits
        self.v_post: list[int] = []
        self.v_tier: list[int] = []
        self.v_priority: list[int] = []
        self.v_answer: list[bool] = []
        self.v_enqueue: list[float] = []
        self.v_start: list[float] = []
        self.v_end: list[float] = []
        self.v_abandon: list[float] = []
        self.v_handle: list[float] = []
        self.v_patience: list[float] = []
        self.v_agent: list[str] = []
        self.v_turn: list[int] = []
        self.v_private: list[bool] = []
        self.v_reply: list[bool] = []
        self._v_state: list[int] = []
        self.actions: list[tuple[int, str, str, int, int, str, float]] = []
        for k, state in enumerate(self._state):
            if agents is not None:
                self._set_agents(k, int(agents.get(state.tier.name, 0)))
            else:
                for shift in state.tier.shifts:
                    if shift.start <= 0.0:
                        self._set_agents(k, shift.agents)
                    else:
                        ev = env.timeout(shift.start, value=(k, shift.agents))
                        ev.callbacks.append(self._shift_change)

    # --- arrivals ------------------------------------------------------------------------

    def _draw_block(self) -> None:
        """Draw the random numbers of the next ``DRAW_BLOCK`` posts."""
        rng, n = self._rng, DRAW_BLOCK
        u = rng.random((n, 2 + len(self.tiers)))
        self._u_triage.extend(u[:, 0].tolist())
        self._u_pick.extend(u[:, 1].tolist())
        for k, dist in enumerate(self._handle_dists):
            self._u_esc[k].extend(u[:, 2 + k].tolist())
            self._handles[k].extend(dist.sample(rng, n).tolist())
        if self._patience_dist is not None:
            self._patience.extend(self._patience_dist.sample(rng, n).tolist())
        self._drawn += n

    def arrive(
        self, index: int, route: str, tier: int, priority: int, respond: bool,
        private: bool = False,
    ) -> int:
        """A post reaches the team now; returns its local post number.

        ``route``/``tier``/``priority`` (1-4) are the policy's expected handling; ``respond``
        is False for posts that need no answer; ``private`` marks email, chat, sms and DMs
        (deferred work when the team has per-class service levels).
        """
        p = len(self.index)
        if p >= self._drawn:
            self._draw_block()
        now = self.env.now
        self.index.append(index)
        self._local[index] = p
        self.arrival.append(now)
        self.private.append(private)
        self._answer.append(respond)
        self._turns.append(0)
        self._last_visit.append(-1)
        key = (route, tier, priority, respond)
        decision = self._decisions.get(key)
        if decision is None:
            if respond:
                decision = decide(self.tiers, tier_for(self.tiers, route, tier), priority, route)
            else:
                decision = decide(self.tiers, 0, NOISE_PRIORITY, route)
            self._decisions[key] = decision
        if self._u_triage[p] >= self._accuracy:
            decision = misroute(self.tiers, decision[0], decision[1], route, self._u_pick[p])
        k, prio, decided_route, number = decision
        self._route.append(decided_route)
        self._true_tier.append(tier if respond else 0)
        if self._record:
            self.actions.append((p, "triage", decided_route, number, prio, TRIAGE_AGENT, now))
        patience = self._patience[p] if respond and self._patience_dist is not None else math.inf
        self._enqueue(p, k, prio, patience, self._handles[k][p], 0)
        return p

    def answer_back(self, index: int, at: float | None = None) -> None:
        """The customer of post ``index`` answers back on its thread, now or at time ``at``.

        The turn goes to the agent who last handled the thread when that agent is on duty
        with a free slot, otherwise to that tier's queue at the thread's priority. Unknown
        indexes raise KeyError (a coupling error, not a user mistake).
        """
        p = self._local[index]
        if at is not None and at > self.env.now:
            Timeout(self.env, at - self.env.now, p).callbacks.append(self._turn_due)
            return
        self._turn(p)

    def _turn_due(self, event: Any) -> None:
        self._turn(event.value)

    def _turn(self, p: int) -> None:
        last = self._last_visit[p]
        k, prio = self.v_tier[last], self.v_priority[last]
        self._turns[p] += 1
        handles = self._turn_handles[k]
        if not handles:
            if self._turn_rng is None:
                self._turn_rng = self._rng.spawn(1)[0]
            handles.extend(self._handle_dists[k].sample(self._turn_rng, 256).tolist()[::-1])
        handle = NOISE_HANDLE_S if prio == NOISE_PRIORITY else handles.pop()
        self._enqueue(p, k, prio, math.inf, handle, self._turns[p], self.v_agent[last])

    def _enqueue(
        self, p: int, k: int, prio: int, patience: float, handle: float, turn: int,
        agent: str = "",
    ) -> None:
        v = len(self.v_post)
        private = self.private[p]
        self.v_post.append(p)
        self.v_tier.append(k)
        self.v_priority.append(prio)
        self.v_answer.append(prio != NOISE_PRIORITY and self._answer[p])
        self.v_enqueue.append(self.env.now)
        self.v_start.append(math.nan)
        self.v_end.append(math.nan)
        self.v_abandon.append(math.nan)
        self.v_handle.append(NOISE_HANDLE_S if prio == NOISE_PRIORITY else handle)
        self.v_patience.append(patience)
        self.v_agent.append("")
        self.v_turn.append(turn)
        self.v_private.append(private)
        self.v_reply.append(False)
        self._v_state.append(WAITING)
        self._last_visit[p] = v
        state = self._state[k]
        deferred = private and self._classes is not None and prio != NOISE_PRIORITY
        if not deferred or state.busy < self._cap * state.slots * (state.duty - state.release):
            if agent and state.load.get(agent, state.slots) < state.slots:
                bucket = state.ready[state.load[agent]]
                if agent in bucket:  # the thread's own agent: on duty with a free slot
                    del bucket[agent]
                    self._take(state, v, agent)
                    return
            for bucket in state.ready:
                if bucket:
                    self._take(state, v, bucket.popitem()[0])
                    return
        queues = state.deferred if deferred else state.queues
        while prio >= len(queues):
            queues.append(deque())
        queues[prio].append(v)
        if patience < math.inf:
            Timeout(self.env, patience, v).callbacks.append(self._abandon_cb)

    def _take(self, state: TierState, v: int, agent: str) -> None:
        """``agent`` (in no ready bucket) starts ``v``; back in a bucket if a slot is left."""
        self._start(state, v, agent)
        held = state.load[agent]
        if held < state.slots:
            state.ready[held][agent] = None

    def _start(self, state: TierState, v: int, agent: str) -> None:
        held = state.load.get(agent, 0) + 1
        state.load[agent] = held
        state.busy += 1
        self._v_state[v] = STARTED
        self.v_start[v] = self.env.now
        self.v_agent[v] = agent
        work = self.v_handle[v]
        if held > 1:
            work *= state.tier.stretch(held)
        Timeout(self.env, work, v).callbacks.append(self._finish_cb)

    def _abandon(self, event: Any) -> None:
        v = event.value
        if self._v_state[v] != WAITING:
            return
        self._v_state[v] = ABANDONED
        self.v_abandon[v] = self.env.now
        if self._on_abandon is not None:
            self._on_abandon(self.index[self.v_post[v]])

    def _finish(self, event: Any) -> None:
        v = event.value
        now = self.env.now
        self.v_end[v] = now
        p, k, prio, agent = self.v_post[v], self.v_tier[v], self.v_priority[v], self.v_agent[v]
        route = self._route[p]
        up = None
        if prio != NOISE_PRIORITY and self.v_turn[v] == 0 and (
            self._true_tier[p] > self._numbers[k] or self._u_esc[k][p] < self._escalates[k]
        ):
            key = (k, route)
            up = self._up[key] if key in self._up else self._up.setdefault(
                key, next_tier(self.tiers, k, route))
        if up is not None:
            if route not in self.tiers[up].routes:
                route = self._route[p] = self.tiers[up].routes[0]
            if self._record:
                self.actions.append((p, "escalate", route, self._numbers[up], prio, agent, now))
            self._enqueue(p, up, prio, math.inf, self._handles[up][p], 0)
        elif prio == NOISE_PRIORITY:
            if self._record:
                self.actions.append((p, "close", NO_ROUTE, 0, prio, agent, now))
        else:
            self.v_reply[v] = True
            if self._record:
                self.actions.append((p, "reply", route, self._numbers[k], prio, agent, now))
            if self._on_reply is not None:
                self._on_reply(self.index[p], self.v_turn[v])
        self._free(k, agent)

    def _free(self, k: int, agent: str) -> None:
        """``agent`` finished a thread: leave, or offer its free slot to waiting work."""
        state = self._state[k]
        held = state.load[agent] - 1
        state.load[agent] = held
        state.busy -= 1
        if agent in state.leaving:
            if held == 0:
                del state.leaving[agent]
                state.offline.append(agent)
            return
        if held + 1 < state.slots:
            del state.ready[held + 1][agent]
        if state.release > 0:
            state.release -= 1
            state.duty -= 1
            if held == 0:
                state.offline.append(agent)
            else:
                state.leaving[agent] = None
            return
        self._offer(state, agent)

    def _offer(self, state: TierState, agent: str) -> None:
        """Fill ``agent``'s free slots (it is in no ready bucket) from the waiting work."""
        vstate = self._v_state
        while True:
            held = state.load.get(agent, 0)
            if held >= state.slots:
                return
            found = -1
            for queue in state.queues:
                while queue:
                    v = queue.popleft()
                    if vstate[v] == WAITING:
                        found = v
                        break
                if found >= 0:
                    break
            if found < 0 and state.busy < self._cap * state.slots * (state.duty - state.release):
                for queue in state.deferred:
                    while queue:
                        v = queue.popleft()
                        if vstate[v] == WAITING:
                            found = v
                            break
                    if found >= 0:
                        break
            if found < 0:
                state.ready[held][agent] = None
                return
            self._start(state, found, agent)

    # --- shifts --------------------------------------------------------------------------

    def _shift_change(self, event: Any) -> None:
        k, n = event.value
        self._set_agents(k, n)

    def _set_agents(self, k: int, n: int) -> None:
        state = self._state[k]
        current = state.duty - state.release
        if n < current:
            drop = current - n
            for held, bucket in enumerate(state.ready):  # the least loaded go first
                while drop and bucket:
                    agent = bucket.popitem()[0]
                    state.duty -= 1
                    drop -= 1
                    if held == 0:
                        state.offline.append(agent)
                    else:
                        state.leaving[agent] = None
            state.release += drop
            return
        add = n - current
        keep = min(add, state.release)
        state.release -= keep
        for _ in range(add - keep):
            if state.leaving:  # an agent finishing up before leaving stays on instead
                agent = next(iter(state.leaving))
                del state.leaving[agent]
            elif state.offline:
                agent = state.offline.pop()
            else:
                state.made += 1
                agent = f"{state.tier.name}-{state.made:02d}"
            state.duty += 1
            self._offer(state, agent)

    # --- results -------------------------------------------------------------------------

    def result(self) -> TeamRun:
        """Freeze what happened so far into columns (call after ``env.run``)."""
        f = np.asarray
        return TeamRun(
            tiers=self.tiers,
            horizon=float(self.env.now),
            index=f(self.index, dtype=np.int64),
            arrival=f(self.arrival, dtype=float),
            v_post=f(self.v_post, dtype=np.int64),
            v_tier=f(self.v_tier, dtype=np.int64),
            v_priority=f(self.v_priority, dtype=np.int64),
            v_answer=f(self.v_answer, dtype=bool),
            v_enqueue=f(self.v_enqueue, dtype=float),
            v_start=f(self.v_start, dtype=float),
            v_end=f(self.v_end, dtype=float),
            v_abandon=f(self.v_abandon, dtype=float),
            v_handle=f(self.v_handle, dtype=float),
            v_patience=f(self.v_patience, dtype=float),
            agents=self._agents,
            actions=self.actions,
            v_turn=f(self.v_turn, dtype=np.int64),
            v_private=f(self.v_private, dtype=bool),
            v_reply=f(self.v_reply, dtype=bool),
            private=f(self.private, dtype=bool),
            classes=self._classes,
        )


def feed(
    env: simpy.Environment,
    model: TeamModel,
    times: Sequence[float] | np.ndarray,
    route: Sequence[str],
    tier: Sequence[int] | np.ndarray,
    priority: Sequence[int] | np.ndarray,
    respond: Sequence[bool] | np.ndarray,
    private: Sequence[bool] | np.ndarray | None = None,
) -> simpy.Process:
    """Start a process that delivers prepared posts (sorted ``times``) to ``model``."""

    def run():
        ts = np.asarray(times, dtype=float).tolist()
        tiers = [int(x) for x in tier]
        prios = [int(x) for x in priority]
        answers = [bool(x) for x in respond]
        privates = [False] * len(ts) if private is None else [bool(x) for x in private]
        for i, t in enumerate(ts):
            if t > env.now:
                yield env.timeout(t - env.now)
            model.arrive(i, route[i], tiers[i], prios[i], answers[i], privates[i])

    return env.process(run())
