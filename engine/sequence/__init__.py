"""Sequence models: a character language model on hand-written RNN/GRU/LSTM cells, gradients through time, memory and decoding."""
