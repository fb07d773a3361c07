"""The scenario's ``reactions:`` section: how the simulated public reacts to the team.

DESIGN.md section 14. The scripted storm is the world in which nobody answers; these numbers
say how an answer (in time or late), silence and wrong handling of a critical post change it
(``simulator.crowd.reactions``). Validated like the rest of the scenario: one-line errors, exit 2.
See docs/scenarios.md for the field reference and the reasoning behind the shipped values.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulator.scenario.distributions import DistSpec
from simulator.scenario.roster import Share

__all__ = ["ANSWER_BACK_KINDS", "AnswerEffect", "Reactions", "WrongHandling"]

# What an answered customer may post back, and the intent each is labelled with.
ANSWER_BACK_KINDS: dict[str, str] = {
    "question": "question",
    "thanks": "praise",
    "still_broken": "complaint",
}
MIX_TOLERANCE = 0.01


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnswerEffect(_Model):
    """What one answer does to its thread (in time, or late)."""

    damp: Share  # each not-yet-sent cascade descendant is kept with this probability
    answer_back: Share  # probability that the customer posts back in the thread
    mix: dict[str, float] = {"question": 0.4, "thanks": 0.4, "still_broken": 0.2}

    @field_validator("mix")
    @classmethod
    def _mix(cls, value: dict[str, float]) -> dict[str, float]:
        for name, share in value.items():
            if name not in ANSWER_BACK_KINDS:
                raise ValueError(
                    f"@{name}: must be one of {', '.join(ANSWER_BACK_KINDS)}, got {name!r}"
                )
            if share < 0:
                raise ValueError(f"@{name}: must be >= 0, got {share:g}")
        total = sum(value.values())
        if not value or abs(total - 1.0) > MIX_TOLERANCE:
            raise ValueError(f"must sum to 1 (within {MIX_TOLERANCE:g}), got {total:g}")
        return {k: v / total for k, v in value.items()}


class WrongHandling(_Model):
    """A p1/p2 post answered by the wrong tier or route, or closed without an answer."""

    backlash: Share  # probability of a backlash post
    delay: DistSpec
    amplify: float = Field(default=1.5, ge=1.0)  # multiplies the incident's branching


class Reactions(_Model):
    """The ``reactions:`` section (every field has a default but ``in_time``)."""

    in_time: AnswerEffect
    late: AnswerEffect = AnswerEffect(damp=0.8, answer_back=0.4,
                                      mix={"question": 0.3, "thanks": 0.2, "still_broken": 0.5})
    answer_back_delay: DistSpec = DistSpec(dist="lognormal", mean=300.0, sd=240.0)
    wrong: WrongHandling = WrongHandling(
        backlash=0.8, delay=DistSpec(dist="lognormal", mean=600.0, sd=300.0))
