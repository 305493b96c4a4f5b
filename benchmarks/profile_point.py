"""Where one simulated point spends its time: cProfile's top functions by cumulative time.

    python benchmarks/profile_point.py nginx-ab      # nginx, ApacheBench, epoll, 1 core, 256 clients
    python benchmarks/profile_point.py memcached     # memcached, libflexsc, 2 cores, 768 connections
    python benchmarks/profile_point.py memcached-epoll   # memcached, epoll, 1 core, 768 connections
    python benchmarks/profile_point.py nginx-ab --top 25 --sort tottime

The point runs once unprofiled first (parameter files and caches load outside the profile).
cProfile inflates the cost of small functions; for a sampling view, where py-spy installs:
`py-spy record -f raw -o out.txt -- python benchmarks/profile_point.py nginx-ab --no-profile`.
"""
import argparse
import cProfile
import pstats

from flexrepro.experiments import _nginx, fig05

POINTS = {
    "nginx-ab": lambda: _nginx.run_ab({"system": "epoll", "cores": 1, "concurrency": 256, "interface": "pages"}, 1),
    "memcached": lambda: fig05.run_point({"system": "flexsc", "cores": 2, "connections": 768, "interface": "pages"}, 1),
    "memcached-epoll": lambda: fig05.run_point({"system": "epoll", "cores": 1, "connections": 768, "interface": "pages"}, 1),
}

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("point", choices=POINTS)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime", "ncalls"))
    ap.add_argument("--no-profile", action="store_true", help="just run the point (for an outside profiler)")
    args = ap.parse_args()
    run = POINTS[args.point]
    run()
    if not args.no_profile:
        pr = cProfile.Profile()
        pr.enable()
        run()
        pr.disable()
        pstats.Stats(pr).strip_dirs().sort_stats(args.sort).print_stats(args.top)
