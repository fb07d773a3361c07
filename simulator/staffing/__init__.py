"""Staffing: Erlang B/C/A, the requirement by simulation (``plan`` over simulated runs and
the ``simulate`` run folder), the shift-plan optimiser."""

from simulator.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "erlang": ["erlang_b", "erlang_c", "erlang_c_required", "erlang_a_required"],
    "requirement": ["StaffingPlan", "staffing_plan"],
    "simulated_runs": ["plan", "team_json", "write_run"],
    "shift_plan": ["ShiftPlan", "solve_shifts"],
    "shift_schedule": ["Schedule", "ScheduleOptions", "schedule"],
})
