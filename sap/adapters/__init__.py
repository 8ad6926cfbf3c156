"""Adapters: one plan analysis -> the pure statistics in ``analyses/`` -> :class:`sap.results.AnalysisResult`.

Each method's entry in the method table (:mod:`sap.registry`) names its adapter function
``(ctx, analysis) -> AnalysisResult``; an ``after_all`` method (multiplicity) also receives the other results.
An adapter selects the analysis frame, calls ``analyses/`` and returns data; it formats no text (the table
shells in ``reports/shells/`` do).
"""
