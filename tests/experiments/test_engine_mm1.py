"""Queueing-theory check of the engine: M/M/1 response time and Little's law over seeded replications."""
import flexrepro
from flexrepro.stats import mean_ci


def test_mm1_mean_response_matches_theory():
    df = flexrepro.run("engine_mm1", seeds=5, executor="serial", progress=False,
                       arrival_rate=[0.3, 0.7], customers=20000)
    for lam, g in df.groupby("arrival_rate"):
        mean, lo, hi = mean_ci(g.mean_response)
        theory = g.theory_response.iloc[0]
        # 95% CI over 5 seeds, widened by 3% for the finite-run (transient) bias
        assert lo * 0.97 <= theory <= hi * 1.03, (lam, mean, lo, hi, theory)


def test_littles_law():
    df = flexrepro.run("engine_mm1", seeds=3, executor="serial", progress=False, arrival_rate=0.6, customers=20000)
    for row in df.itertuples():
        throughput = row.served / row.sim_time
        in_system = throughput * row.mean_response      # L = lambda W
        assert abs(in_system - 0.6 / 0.4) / 1.5 < 0.1   # rho / (1 - rho) for M/M/1
