"""Staffing: Erlang B/C/A, the requirement by simulation, the shift-plan optimiser."""

from simulator.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "erlang": ["erlang_b", "erlang_c", "erlang_c_required", "erlang_a_required"],
    "requirement": ["StaffingPlan", "staffing_plan"],
    "shift_plan": ["ShiftPlan", "solve_shifts"],
    "shift_schedule": ["Schedule", "ScheduleOptions", "schedule"],
})
