"""Pure office rules: working days, lights, grading, ladders, message templates.

Nothing in this package imports Prefect or touches the database; every rule takes its inputs
(including ``now``) as arguments, so it is tested with plain calls.
"""
