"""The default process group: every process of an MPI job, with PyTorch's
``torch.distributed`` names for setting it up and asking about it.

MPI's launcher (``mpiexec -n N python script.py``, or a batch system) starts
the processes and tells each its rank; ``init_process_group(backend="mpi")``
takes that group (``MPI.COMM_WORLD``) as the default one, so there is no
address, port or rendezvous to configure.  A script run without a launcher
is a group of one.

Faults: once the group is up, an exception that no code catches in any rank
aborts the whole job (``MPI_Abort``) after the traceback is printed, so the
other ranks never wait forever in a collective for a rank that is gone; a
rank that dies (a signal, the OOM killer) is cleaned up by the launcher,
which ends the others.  Every wait on a collective is also bounded by the
group's ``timeout``.
"""

from __future__ import annotations

import datetime
import sys
from dataclasses import dataclass

__all__ = [
    "GroupMember",
    "ProcessGroup",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
]

MPI_MISSING = (
    "tapegrad.distributed needs mpi4py and an MPI library: pip install 'tapegrad[mpi]' "
    "(mpi4py and the mpich wheel), or mpi4py built against a system Open MPI or MPICH"
)
NOT_INITIALIZED = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)
# PyTorch's default for its CPU backends: how long a collective may wait.
DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)
# The names PyTorch programs give a CPU backend; tapegrad runs each on MPI.
CPU_BACKENDS = ("mpi", "gloo")


def mpi():
    """``mpi4py.MPI`` (importing it initialises MPI), or a RuntimeError that
    names the package to install."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError(f"{MPI_MISSING} ({exc})") from None
    return MPI


def is_available() -> bool:
    """Whether collectives can run here: ``mpi4py`` is installed."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


is_mpi_available = is_available


@dataclass
class ProcessGroup:
    """A group of processes that run collectives together: an MPI
    communicator, this process's ``rank`` in it and its ``size``."""

    comm: object
    rank: int
    size: int
    timeout: datetime.timedelta

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', rank={self.rank}, size={self.size})"


class GroupMember:
    """``dist.group.WORLD`` (``GroupMember.WORLD``): the default group, or
    ``None`` before ``init_process_group``."""

    NON_GROUP_MEMBER = -100

    @property
    def WORLD(self) -> ProcessGroup | None:  # noqa: N802  (PyTorch's name)
        return _default


group = GroupMember()
_default: ProcessGroup | None = None
_hooks: dict = {}  # the excepthook installed by init_process_group, and the one it replaced


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: datetime.timedelta | None = None,
    world_size: int = -1,
    rank: int = -1,
) -> None:
    """Make every process of the MPI job the default group.

    ``backend``: ``"mpi"`` (or ``None``); ``"gloo"``, PyTorch's CPU backend,
    runs on MPI too, so its programs carry over.  Rank and world size come
    from the MPI launcher; ``world_size`` and ``rank``, when given, must
    agree with it.  ``init_method`` is accepted for PyTorch programs, but the
    launcher has already connected the processes.  ``timeout`` bounds every
    wait on a collective (default 30 minutes, as PyTorch's CPU backends)."""
    global _default
    if _default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() not in CPU_BACKENDS:
        raise ValueError(
            f"init_process_group: backend {backend!r} is not available: tapegrad runs its "
            f"collectives on MPI (backend='mpi'; 'gloo' is taken as 'mpi')"
        )
    if init_method is not None and not isinstance(init_method, str):
        raise TypeError(f"init_method must be a string, got {type(init_method).__name__}")
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    if not isinstance(timeout, datetime.timedelta) or timeout.total_seconds() <= 0:
        raise ValueError(
            f"init_process_group: timeout must be a positive timedelta, got {timeout!r}"
        )
    comm = mpi().COMM_WORLD
    pg = ProcessGroup(comm, comm.Get_rank(), comm.Get_size(), timeout)
    _check_launch(pg, world_size, rank)
    _default = pg
    _abort_on_uncaught_exceptions()


def _check_launch(pg: ProcessGroup, world_size: int, rank: int) -> None:
    """The ``world_size`` and ``rank`` a program asked for against the launcher's."""
    if world_size not in (-1, None) and world_size != pg.size:
        raise ValueError(
            f"init_process_group: world_size={world_size} but MPI started {pg.size} "
            f"process(es): launch with mpiexec -n {world_size} ..."
        )
    if rank not in (-1, None) and rank != pg.rank:
        raise ValueError(
            f"init_process_group: rank={rank} but MPI gave this process rank {pg.rank}; "
            "leave rank out (MPI's launcher numbers the processes)"
        )


def _abort_on_uncaught_exceptions() -> None:
    """Install ``sys.excepthook``: the traceback, then ``MPI_Abort`` of the
    whole job when it has other ranks (which would otherwise wait in their
    next collective for this one)."""
    previous = sys.excepthook

    def abort_job(kind, value, tb):
        previous(kind, value, tb)
        pg = _default
        if pg is not None and pg.size > 1:
            print(
                f"tapegrad.distributed: rank {pg.rank} of {pg.size} stopped with "
                f"{kind.__name__}; aborting the job (MPI_Abort)",
                file=sys.stderr,
                flush=True,
            )
            pg.comm.Abort(1)

    _hooks.update(installed=abort_job, previous=previous)
    sys.excepthook = abort_job


def default_group(group: ProcessGroup | None = None) -> ProcessGroup:
    """``group``, or the default group; ValueError before ``init_process_group``."""
    if group is not None:
        if not isinstance(group, ProcessGroup):
            raise TypeError(f"group must be a ProcessGroup or None, got {type(group).__name__}")
        return group
    if _default is None:
        raise ValueError(NOT_INITIALIZED)
    return _default


def is_initialized() -> bool:
    """Whether ``init_process_group`` has run (and no ``destroy_process_group`` since)."""
    return _default is not None


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank, ``0 .. world_size - 1``."""
    return default_group(group).rank


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in the group."""
    return default_group(group).size


def get_backend(group: ProcessGroup | None = None) -> str:
    """``"mpi"``: the one backend."""
    default_group(group)
    return "mpi"


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Forget the default group and restore ``sys.excepthook``; MPI itself
    stays initialised until the process exits (mpi4py finalises it then), so
    ``init_process_group`` may run again."""
    global _default
    default_group(group)
    if sys.excepthook is _hooks.get("installed"):  # (not if the program replaced it since)
        sys.excepthook = _hooks["previous"]
    _hooks.clear()
    _default = None
