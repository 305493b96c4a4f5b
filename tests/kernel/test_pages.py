"""The syscall entries (kernel/pages.py): Figure 2's layout, status transitions, scan costs."""
import pytest

import kernel_fixtures as kf
from flexrepro.kernel import ENTRY_DTYPE, EntryStateError, Socket
from flexrepro.kernel.pages import CANCEL, SUBMITTED, SyscallPages, entry_layout


def test_entry_is_figure2():
    assert ENTRY_DTYPE.itemsize == 64
    lay = {r["field"]: (r["offset"], r["bytes"]) for r in entry_layout()}
    assert [lay[f"arg {i}"] for i in range(6)] == [(8 * i, 8) for i in range(6)]
    assert lay["return value"] == (48, 8)
    assert lay["number"][0] == 56 and lay["status"][0] + lay["status"][1] == 64
    assert sum(b for _, b in lay.values()) == 64

def test_cancelling_a_free_entry_is_an_error():
    k, th, fsc = kf.flexsc()
    with pytest.raises(EntryStateError, match="free"):
        fsc.cancel(3)
    assert issubclass(EntryStateError, ValueError)

def test_page_scans_grow_with_outstanding_calls_rings_do_not():
    """User-side poll cost: a page scan reads every entry of the pages in use, a ring only completions."""
    cost = {}
    for interface in ("pages", "queues"):
        for dormant in (0, 300):
            k, th, fsc = kf.flexsc(interface=interface)
            for _ in range(dormant):
                fsc.post("read", Socket(k.env))      # dormant connections: reads that never complete
            th.pending_instructions = 0.0
            fsc.poll()
            cost[interface, dormant] = th.pending_instructions
    assert cost["pages", 300] >= cost["pages", 0] + 256 * k.costs.user_scan_per_entry
    assert cost["queues", 300] == cost["queues", 0]

def test_pages_table_rejects_wrong_transitions():
    t = SyscallPages(1)
    i = t.alloc()
    with pytest.raises(EntryStateError):
        t.free(i)
    t.submit(i, 0, ())
    with pytest.raises(EntryStateError):
        t.submit(i, 0, ())
    assert t.cancel(i) == SUBMITTED and t.status[i] == CANCEL
