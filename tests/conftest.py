import os
import tempfile

# Set before any test module imports flexrepro (paths.RESULTS is read at import): tests never
# write into the checkout's results/, nor into its result cache — every test run computes afresh.
_TMP = tempfile.mkdtemp(prefix="flexrepro-tests-")
os.environ.setdefault("FLEXREPRO_RESULTS", os.path.join(_TMP, "results"))
os.environ.setdefault("FLEXREPRO_CACHE", os.path.join(_TMP, "cache"))
