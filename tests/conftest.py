import atexit
import os
import shutil
import tempfile

# Set before any test module imports flexrepro (paths.RESULTS is read at import): tests never
# write into the checkout's results/, nor into its result cache — every test run computes afresh.
# Each process of the run (the controller, every xdist worker) removes its own directory when it
# exits (~4.6 MB a process, which used to stay in the temp dir after every run); a child forked
# from it inherits the hook but not the directory.
_TMP, _OWNER = tempfile.mkdtemp(prefix="flexrepro-tests-"), os.getpid()
atexit.register(lambda: os.getpid() == _OWNER and shutil.rmtree(_TMP, ignore_errors=True))
os.environ.setdefault("FLEXREPRO_RESULTS", os.path.join(_TMP, "results"))
os.environ.setdefault("FLEXREPRO_CACHE", os.path.join(_TMP, "cache"))
