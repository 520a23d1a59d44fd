"""``hive bench quality``: does the vote beat one sample? Measured on checkable questions.

Modules: ``tasks`` and ``capitals`` (the questions), ``scoring`` (is an answer right),
``collect`` (answers through real worker processes) and ``store`` (their JSON file),
``variants`` (which strategies are scored), ``evaluate`` (resampling and bootstrap intervals),
``report`` (table, JSON, chart) and ``run`` (the command). Method: ``docs/quality.md``.
"""
