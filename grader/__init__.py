"""Fixed code of the math-SFT starter kit: config, sandboxed data, limits, training, grading."""
