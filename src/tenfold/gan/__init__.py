"""GAN training: one-stage training by gradient decomposition and data-free distillation."""
