"""flexrepro: a mechanistic reproduction of FlexSC / libflexsc (USENIX ATC 2011).

    import flexrepro
    df = flexrepro.run("fig05", quick=True)
"""
from .errors import ConfigError, FlexreproError, UnknownExperiment
from .harness.registry import all_experiments, get
from .harness.sweep import run

__version__ = "0.1.0"
__all__ = ["run", "get", "all_experiments", "ConfigError", "FlexreproError", "UnknownExperiment"]
