"""Graph uncertainty: which edges the data leave in doubt, and what that does to effects and generations.

`contested` reads the doubts a discovered graph already records (bootstrap stability, directions set
by the prior); `rediscover` reruns discovery on bootstrap resamples for an effect; `ida` bounds an
effect over the orientations the equivalence class allows; `refit` fits a model on another graph.
"""
