"""The run machinery: an experiment's parameters (config), the experiments by id
(registry), the grid x seeds of one experiment run point by point on an executor (sweep),
finished points by content address (cache), and each replicate's random streams (seeds).

Not named `run`: `flexrepro.run` is the function that runs an experiment.
"""
