"""The care team: the team model, queue simulation, statistics, the closed loop."""

from simulator.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "model": ["TeamModel"],
    "run": ["TeamRun"],
    "statistics": ["tier_figures", "class_levels", "conversation_figures"],
    "closed_loop": ["ClosedLoop", "run_closed_loop"],
    "simulation": ["SimResult", "simulate"],
})
