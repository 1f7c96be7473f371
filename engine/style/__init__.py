"""Neural style transfer (Gatys et al.): Gram-matrix style losses, backbones, and the live StyleTrainer."""
