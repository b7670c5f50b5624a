"""The compute a submission asks for: what its config makes the trainer run, before any GPU runs.

Grading re-trains every submission, so a config that trains for hours is a cost to the class.
Two kinds of work count, both read from the config and the validated data:

- **Trained tokens**: every validated token once per epoch, for ``num_train_epochs`` epochs, or
  for as many epochs as ``max_steps`` optimizer steps make (the HF trainer's step count per
  epoch: sequences / (per-device batch x processes), floored over gradient accumulation).
  Packed sequences are counted at their fewest (every bin full), which makes more epochs out of
  ``max_steps``: the estimate errs high, never low.
- **Evaluated tokens**: the trainer's validation-loss passes (``eval_strategy``), each a forward
  pass over the whole validation split, as often as the trainer runs them: after every
  ``eval_steps`` optimizer steps and once more at the last step (``steps``), or at the end of
  every epoch, a partial last one included (``epoch``). Counted high as well.

The budget is compute, in units of one trained token: a trained token costs a forward and a
backward pass (about 6 x parameters FLOPs), an evaluated token a forward pass only (about 2 x
parameters), so ``compute_tokens = trained + evaluated / 3`` (rounded up). A config that
evaluates every step on a large validation split pays for it, whatever it trains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from grader.submission.config import TrainConfig

EVAL_TOKEN_COST = 3  # evaluated tokens per trained token of compute (forward only vs forward + backward)


def steps_per_epoch(config: TrainConfig, sequences: int, world_size: int = 1) -> int:
    """Optimizer steps per epoch, counted low (floored): more epochs out of ``max_steps``."""
    batches = math.ceil(sequences / max(1, world_size) / config.per_device_train_batch_size)
    return max(1, batches // config.gradient_accumulation_steps)


def _steps_per_epoch_high(config: TrainConfig, sequences: int, world_size: int) -> int:
    """Optimizer steps per epoch as the HF trainer counts them (a last partial accumulation is a step)."""
    batches = math.ceil(sequences / max(1, world_size) / config.per_device_train_batch_size)
    return max(1, math.ceil(batches / config.gradient_accumulation_steps))


def _epoch_based(config: TrainConfig) -> bool:
    return config.max_steps is None or config.max_steps <= 0


def _fewest_sequences(config: TrainConfig, tokens_per_epoch: int, examples: int) -> int:
    return max(1, math.ceil(tokens_per_epoch / config.max_length) if config.packing else examples)


def trained_tokens(config: TrainConfig, tokens_per_epoch: int, examples: int, world_size: int = 1) -> int:
    """Tokens the trainer will train on (prompt tokens included: they cost the same forward/backward)."""
    if _epoch_based(config):
        return math.ceil(tokens_per_epoch * config.num_train_epochs)
    sequences = _fewest_sequences(config, tokens_per_epoch, examples)
    return math.ceil(tokens_per_epoch * config.max_steps / steps_per_epoch(config, sequences, world_size))


def eval_passes(config: TrainConfig, tokens_per_epoch: int, examples: int, world_size: int = 1) -> int:
    """How many times the trainer evaluates the validation split (counted high), with one to evaluate."""
    if config.eval_strategy == "no":
        return 0
    if config.eval_strategy == "epoch":  # every epoch's end, the last partial one included
        if _epoch_based(config):
            return math.ceil(config.num_train_epochs)
        sequences = _fewest_sequences(config, tokens_per_epoch, examples)
        return math.ceil(config.max_steps / steps_per_epoch(config, sequences, world_size))
    # steps: at every eval_steps-th optimizer step, and at the last step when it is not one of them
    if _epoch_based(config):  # the most steps: every example its own sequence
        steps = math.ceil(config.num_train_epochs * _steps_per_epoch_high(config, max(1, examples), world_size))
    else:
        steps = config.max_steps
    return math.ceil(steps / config.eval_steps)


@dataclass(frozen=True)
class Cost:
    """What a config makes the trainer run; ``compute_tokens`` is what the compute budget counts."""

    trained_tokens: int
    eval_passes: int  # validation-loss passes during training
    eval_tokens: int  # tokens those passes run forward (the validation split's tokens x passes)

    @property
    def compute_tokens(self) -> int:
        """Trained tokens + evaluated tokens / EVAL_TOKEN_COST: compute in units of one trained token."""
        return self.trained_tokens + math.ceil(self.eval_tokens / EVAL_TOKEN_COST)


def cost(config: TrainConfig, tokens_per_epoch: int, examples: int, val_tokens: int | None, world_size: int = 1) -> Cost:
    """The config's work on data of ``tokens_per_epoch`` training tokens in ``examples`` examples and a
    validation split of ``val_tokens`` tokens (None or 0: no validation split, nothing is evaluated)."""
    passes = eval_passes(config, tokens_per_epoch, examples, world_size) if val_tokens else 0
    return Cost(trained_tokens(config, tokens_per_epoch, examples, world_size), passes, passes * (val_tokens or 0))
