"""Batch grading of a whole class: intake, per-submission stages, scheduling (local GPUs or Slurm), gradebook."""
