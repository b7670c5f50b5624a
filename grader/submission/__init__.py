"""A submission becomes validated data: config schema, sandboxed sft_utils.py, prompt format, exact tokens, limits."""
