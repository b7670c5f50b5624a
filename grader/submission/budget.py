"""The compute a submission asks for: how many tokens its config trains, before any GPU runs.

Grading re-trains every submission, so a config that trains for hours is a cost to the class.
The estimate is what the trainer will do: every validated token once per epoch, for
``num_train_epochs`` epochs, or for as many epochs as ``max_steps`` optimizer steps make (the
HF trainer's step count per epoch: sequences / (per-device batch x processes), floored over
gradient accumulation). Packed sequences are counted at their fewest (every bin full), which
makes more epochs out of ``max_steps``: the estimate errs high, never low.
"""

from __future__ import annotations

import math

from grader.submission.config import TrainConfig


def steps_per_epoch(config: TrainConfig, sequences: int, world_size: int = 1) -> int:
    batches = math.ceil(sequences / max(1, world_size) / config.per_device_train_batch_size)
    return max(1, batches // config.gradient_accumulation_steps)


def trained_tokens(config: TrainConfig, tokens_per_epoch: int, examples: int, world_size: int = 1) -> int:
    """Tokens the trainer will process (prompt tokens included: they cost the same forward/backward)."""
    if config.max_steps is None or config.max_steps <= 0:
        return math.ceil(tokens_per_epoch * config.num_train_epochs)
    sequences = math.ceil(tokens_per_epoch / config.max_length) if config.packing else examples
    return math.ceil(tokens_per_epoch * config.max_steps / steps_per_epoch(config, max(1, sequences), world_size))
