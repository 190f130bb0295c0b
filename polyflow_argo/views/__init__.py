"""Views of the resolved pipeline: read-only renderings of the IR (``resolve.Pipeline``).

``graph`` draws the DAG (Mermaid or DOT) with each op's template kind, trigger, skip rule,
condition and retries, and the schedule; ``explain`` applies the run rules (resolve/rules.py) to
given outcomes. Both only read the IR: they change nothing, write nothing and decide no rule of
their own (docs/graph-explain.md).
"""
