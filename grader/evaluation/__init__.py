"""A checkpoint answers a problem set: generation (vLLM or transformers), then scoring."""
