"""Data-parallel training over MPI with PyTorch's ``torch.distributed`` names.

::

    import tapegrad.distributed as dist

    dist.init_process_group(backend="mpi")      # rank and size from mpiexec
    model = nn.parallel.DistributedDataParallel(model)
    ...
    dist.all_reduce(t, op=dist.ReduceOp.SUM)    # in place, on every rank

Launch with ``mpiexec -n N python script.py`` (``pip install 'tapegrad[mpi]'``
brings ``mpi4py`` and the ``mpich`` wheel; a system Open MPI or MPICH works
too).  tapegrad imports without ``mpi4py``; these functions then raise an
error that names the package to install.  The process group is
``process_group.py``; the collectives, ``collectives.py``; the
``DistributedDataParallel`` wrapper is ``tapegrad.nn.parallel``.
"""

from tapegrad.distributed import collectives, process_group
from tapegrad.distributed.collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    reduce_scatter,
    reduce_scatter_tensor,
)
from tapegrad.distributed.process_group import (
    GroupMember,
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)

__all__ = collectives.__all__ + process_group.__all__
