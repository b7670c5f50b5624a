"""The command line: one module per command, each ``add_arguments(parser)`` and ``run(args) -> int``.

Only these modules (and ``grader.cli``, which dispatches to them) know argparse. Each parses,
calls the keyword API in ``grader.api`` and prints; everything a command does can be done from
Python without building a Namespace.
"""
