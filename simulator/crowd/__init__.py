"""The crowd: audience, content, cascades, the crowd model, reactions."""

from simulator.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "model": ["Crowd", "generate"],
    "audience": ["Audience", "build_audience"],
    "reactions": ["ReactionEngine", "effective_reactions"],
})
