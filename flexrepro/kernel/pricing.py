"""One kernel: the same system call costs the same instructions in both servers.

The catalogue's calls keep their relative lengths (data/kernel/syscalls.csv) on ONE scale, set
by the length of a socket read() that calibration/memcached_fit.py fits to memcached's Table 1
row (stored as the `memcached_kernel` profile's `instructions`). nginx's calls use the same
scale; what Table 1 leaves over for nginx is per-connection work of the network stack
(kernel/netstack.py), fitted by calibration/nginx_fit.py. Each server runs its calls on its own
kernel code profiles: one per catalogue profile, `<server>_kernel.<profile>` (calibration/
server_fit.py builds them), so a socket read() keeps the pread shape and a sendmsg() the pwrite
shape, and all of them run through the kernel's shared core (platform_fit.kernel_core): a batch
of different calls reuses the core's lines, and user code between calls evicts them.
"""
from __future__ import annotations

from . import Kernel, Listener, assumed, load_catalogue
from .netstack import PROFILE as NETSTACK_PROFILE, NetStack, load_netstack
from ..platform import ModelParams

SCALE_PROFILE = "memcached_kernel"     # its `instructions`: the fitted length of one socket read()
REFERENCE_CALL = "read"
EAGAIN_EXIT = "eagain"                  # the early-exit path is on the same scale


def call_profile(server_kernel: str, catalogue_profile: str) -> str:
    """The name of the server's variant of one calibrated kernel call profile."""
    return f"{server_kernel}.{catalogue_profile}"


def server_catalogue(params: ModelParams, calls, profile: str):
    """The catalogue with `calls` (and the EAGAIN exit) on the common scale, each run on the
    server's variant of its own catalogue profile (`profile`.<catalogue profile>)."""
    return assumed.catalogue(load_catalogue()).rescaled((*calls, EAGAIN_EXIT), REFERENCE_CALL,
                                     params.profile(SCALE_PROFILE).instructions,
                                     lambda call: call_profile(profile, call.profile))


def network_stack(kernel: Kernel, listener: Listener, cores: int, profile: str,
                  irq: str | None = None) -> NetStack | None:
    """Attach the kernel's TCP work to the listener's connections, run on the server's kernel
    `profile` (none without a calibrated `netstack` entry, e.g. while the first fits run)."""
    if NETSTACK_PROFILE not in kernel.params.profiles:
        return None
    return NetStack(kernel, assumed.netstack(load_netstack(irq=irq)), cores, profile).attach(listener)
