"""Testbeds: a server wired to its benchmark client over the network, measured in a window.

`memcached` (memslap) and `nginx` (ApacheBench, httperf) have one shape: `build(...)` wires
machine + kernel + server + client into a `Bench`, `Bench.run()` returns one row, and
`simulate(...)` does both. `common` holds what they share, `measure` the hardware-counter
columns of the window. This layer sits above `servers` and `workloads` and below the experiments.
"""
