"""The Core i7 platform: Table 3 as a validated spec, and the processor model."""
from .spec import PlatformSpec, Structure, load_platform

__all__ = ["PlatformSpec", "Structure", "load_platform"]
