"""Convolutional networks: arithmetic, hand kernels, the architecture zoo, a live CNN on generated shapes."""
