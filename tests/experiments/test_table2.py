"""Table 2 for our ports: measured from source (ast + difflib), not typed in."""
from __future__ import annotations

import flexrepro
from flexrepro.experiments import table2

EPOLL_ONLY = '''
from x import EpollRuntime, LibFlexSC


class Shared:
    """Docstring lines are not code."""
    def handle(self, rt):
        rt.user(10)          # a comment


class Helper:
    def lock(self):
        return 1


class EpollServer(Shared):
    def __init__(self):
        self.rt = EpollRuntime()
        self.h = Helper()


class FlexServer(Shared):
    def __init__(self):
        self.rt = LibFlexSC()


def build(system):
    if system == "epoll":
        return EpollServer()
    return FlexServer()
'''


def test_classify_and_measure(tmp_path):
    (tmp_path / "srv.py").write_text(EPOLL_ONLY)
    m = table2.measure(("srv.py",), tmp_path)
    assert m["epoll_specific"] == "EpollServer, Helper"       # Helper: used by the epoll version only
    assert m["flexsc_specific"] == "FlexServer"
    assert m["switch_lines"] == 2                              # the two returns naming a version's class
    assert m["files_modified"] == 1
    # FlexServer adds its class line and its LibFlexSC line; "def __init__(self):" exists in both
    assert m["lines_of_code_modified"] == m["switch_lines"] + 2
    assert m["total_lines_of_code"] == len(table2.code_lines(EPOLL_ONLY))


def test_code_lines_skip_docstrings_and_comments():
    src = 'def f():\n    """doc\n    more"""\n    # c\n\n    return "s"\n'
    assert table2.code_lines(src) == {1, 6}


def test_rows_for_both_ports():
    df = flexrepro.run("table2", executor="serial", progress=False)
    ours = df[df.source == "this model"].set_index("server")
    assert set(ours.index) == {"memcached", "nginx"}
    assert (ours.lines_of_code_modified > 0).all() and (ours.files_modified >= 1).all()
    assert "FlexscNginx" in ours.loc["nginx", "flexsc_specific"]
