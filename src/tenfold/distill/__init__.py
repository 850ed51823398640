"""Knowledge distillation: NetGraft progressive network grafting and its baselines."""
