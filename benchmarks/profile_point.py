"""Where one simulated point spends its time: cProfile's top functions by cumulative time.

    python benchmarks/profile_point.py nginx-ab      # nginx, ApacheBench, epoll, 1 core, 256 clients
    python benchmarks/profile_point.py memcached     # memcached, libflexsc, 2 cores, 768 connections
    python benchmarks/profile_point.py memcached-epoll   # memcached, epoll, 1 core, 768 connections
    python benchmarks/profile_point.py nginx-ab-16k  # the bench's scaling case: 16,384 ApacheBench clients
    python benchmarks/profile_point.py nginx-httperf # httperf, epoll, 2 cores, 67,500 req/s offered (Figure 9)
    python benchmarks/profile_point.py nginx-ab --top 25 --sort tottime

The point runs once unprofiled first (parameter files and caches load outside the profile).
cProfile inflates the cost of small functions; for a sampling view, where py-spy installs:
`py-spy record -f raw -o out.txt -- python benchmarks/profile_point.py nginx-ab --no-profile`.
"""
import argparse
import cProfile
import pstats

from flexrepro.experiments import _nginx, fig05
from flexrepro.testbed import nginx

POINTS = {
    "nginx-ab": lambda: _nginx.run_ab({"system": "epoll", "cores": 1, "concurrency": 256, "interface": "pages"}, 1),
    "memcached": lambda: fig05.run_point({"system": "flexsc", "cores": 2, "connections": 768, "interface": "pages"}, 1),
    "memcached-epoll": lambda: fig05.run_point({"system": "epoll", "cores": 1, "connections": 768, "interface": "pages"}, 1),
    "nginx-ab-16k": lambda: nginx.simulate("epoll", 1, "apachebench", 16384, 1, warmup=0, measure=16384, interface="pages"),
    "nginx-httperf": lambda: _nginx.run_httperf({"system": "epoll", "cores": 2, "rate": 67500, "interface": "pages"}, 1),
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
