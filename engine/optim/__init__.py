"""The Optimizers page's engine: test surfaces, the optimizer race, the learning-rate sweep,
exponentially weighted averages and a real network's loss landscape."""
