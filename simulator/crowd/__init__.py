"""The crowd: audience, content and industry packs, cascades, the crowd model, reactions."""

from simulator.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "model": ["Crowd", "generate"],
    "audience": ["Audience", "build_audience"],
    "content_packs": ["Pack", "load_pack", "read_pack"],
    "reactions": ["ReactionEngine", "effective_reactions"],
})
