"""table1: the memcached row is the calibration condition; checks compare against Table 1."""
import pandas as pd

import flexrepro
from flexrepro.experiments.table1 import CLAIMS, METRICS, SERVERS
from flexrepro.claims import checks


def test_memcached_row_matches_table1_after_calibration():
    df = flexrepro.run("table1", seeds=1, executor="serial", progress=False, cache=False)
    row = df[df.server == "memcached"].iloc[0]
    assert set(METRICS) <= set(df.columns)
    assert 1.9 <= row.syscalls_per_request <= 2.2          # an output of the state machine
    ck = checks()
    for cid in CLAIMS["memcached"]:
        assert ck[cid].fn({"table1": df}).reproduced, cid


def test_checks_fail_when_far_from_the_paper():
    bad = pd.DataFrame([{"server": "memcached", "syscalls_per_request": 3.0, "user_instructions_per_syscall": 2000.0,
                         "user_ipc": 1.2, "kernel_instructions_per_syscall": 9000.0, "kernel_ipc": 0.3}])
    ck = checks()
    assert not any(ck[cid].fn({"table1": bad}).reproduced for cid in CLAIMS["memcached"])


def test_adding_a_server_is_one_entry():
    assert set(SERVERS) == set(CLAIMS)
