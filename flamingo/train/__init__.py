"""Training: the trainer, its config, checkpoints, schedule, DDP/FSDP."""
