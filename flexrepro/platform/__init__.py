"""The Core i7 platform: Table 3 as a validated spec, and the processor model."""
from .machine import Core, Machine, Segment, penalties
from .occupancy import Occupancy
from .params import ModelParams, load_params
from .profile import MODELLED, CodeProfile
from .spec import PlatformSpec, Structure, load_platform

__all__ = ["PlatformSpec", "Structure", "load_platform", "CodeProfile", "MODELLED", "Occupancy",
           "ModelParams", "load_params", "Machine", "Core", "Segment", "penalties"]
