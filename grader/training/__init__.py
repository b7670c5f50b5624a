"""Training on validated token ids: TRL SFTTrainer under accelerate / DeepSpeed ZeRO-3 (what sft.py runs)."""
