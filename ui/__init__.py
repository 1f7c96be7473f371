"""What pages share: figures (pure functions of engine data), widget panels that return configs,
the live-training panel, and `state`, the one owner of session-state keys and URL parameters."""
