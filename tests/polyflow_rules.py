"""The reference for Polyflow's trigger rules (docs/semantics.md), written apart from the compiler so
the argo-sim tests compare Argo's behaviour with the spec, not with our own translation."""

from __future__ import annotations


def trigger_met(trigger: str, states: list[str]) -> bool:
    """Does ``trigger`` hold over the upstream ``states`` (succeeded, failed, upstream_failed; a
    skipped upstream has already been counted as succeeded)? Every upstream is done here."""
    if trigger == "all_succeeded":
        return all(s == "succeeded" for s in states)
    if trigger == "all_failed":
        return all(s in ("failed", "upstream_failed") for s in states)
    if trigger in ("all_done", "one_done"):
        return bool(states)
    if trigger == "one_succeeded":
        return any(s == "succeeded" for s in states)
    if trigger == "one_failed":
        return any(s == "failed" for s in states)
    raise ValueError(trigger)
