"""Reports: the class report, per-submission feedback pages and Gradescope ``results.json``.

Everything here reads the files of a batch folder (``grader.batch.layout``) or of one
``evaluate`` run and writes self-contained files: HTML pages that open from disk with no
network (rendered from ``templates/``; plots inline as SVG, one small inline script for sorting,
allowed by its hash), and JSON for Gradescope.
"""
