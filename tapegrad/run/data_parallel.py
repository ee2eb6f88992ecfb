"""``tapegrad train --distributed``: one training run shared by the ranks of an MPI job.

Launched as ``mpiexec -n N tapegrad train --distributed ...``, every rank
loads the same data and builds the same model (same seed), wraps it in
``DistributedDataParallel`` and walks the same sequence of global batches of
``--batch-size`` rows; rank ``r`` computes on its share, the ``r``-th of
``N`` consecutive blocks of rows.  The run reproduces the one-process run of
the same configuration, to float rounding:

* gradients: each rank's loss is weighted by ``N w_r / w`` (``w_r`` the
  rows, or for a language model the predicted characters, of its share, ``w``
  those of the global batch); DDP's average over ranks of the gradients of
  these losses is the gradient of the global batch's mean loss, also for a
  last batch that does not split evenly;
* dropout: during training each rank draws from tapegrad's generator the
  random numbers of the whole global batch and keeps its rows
  (:class:`GlobalBatchRandom`), so the masks are those one process draws
  (PyTorch's DDP draws per rank instead; here the point is equal runs);
* batch norm: the model's BatchNorm layers become ``SyncBatchNorm``, so
  they normalise with the statistics of the global batch (PyTorch's DDP
  leaves them per rank unless the program converts them);
* metrics: ``fit`` sums its metrics over the ranks (a rank's loss value
  rescaled so that the ranks' values add up to the global batch's); the
  validation set is shared out by rows (a language model's, whose loss is a
  mean per character, is evaluated whole on every rank); rank 0 alone
  prints, writes the run folder (every file atomically) and measures the
  test set.
"""

from __future__ import annotations

from contextlib import contextmanager

import tapegrad as tg
import tapegrad.distributed as dist
from tapegrad import backend as B
from tapegrad.nn import SyncBatchNorm
from tapegrad.nn.parallel import DistributedDataParallel
from tapegrad.run import config as C

__all__ = ["ONE_PROCESS", "GlobalBatchRandom", "Ranks", "training_rows"]


def rows(target) -> int:
    """The weight of a batch for a loss that is a mean over rows."""
    return len(target)


class Ranks:
    """The processes a run is shared by: ``rank`` of ``size``; one process
    (``distributed=False``) leaves everything as it is."""

    def __init__(self, distributed: bool = False):
        self.distributed = distributed
        self.rank, self.size = 0, 1
        self.share = 1.0  # the current training batch's loss weight N w_r / w
        self.rows_share = 1.0  # and m / (N m_r): its rows' part of the global batch
        if distributed:
            try:
                if not dist.is_initialized():
                    dist.init_process_group(backend="mpi")
            except RuntimeError as exc:  # mpi4py missing
                raise C.ConfigError(f"--distributed: {exc}") from None
            self.rank, self.size = dist.get_rank(), dist.get_world_size()

    @property
    def is_main(self) -> bool:
        """Whether this process prints and writes (rank 0)."""
        return self.rank == 0

    def check(self, prep) -> None:
        """Every batch of the prepared run ``prep`` gives every rank rows:
        the batch size is a multiple of the number of ranks, and the last,
        smaller batch of an epoch has at least one row per rank."""
        if not self.distributed:
            return
        batch, n = prep.config.batch_size, training_rows(prep)
        if batch % self.size:
            raise C.ConfigError(
                f"--distributed: --batch-size {batch} does not split over {self.size} ranks; "
                f"choose a multiple of {self.size}"
            )
        if 0 < n % batch < self.size:
            raise C.ConfigError(
                f"--distributed: the last batch of each epoch has {n % batch} of the "
                f"{n} training rows, too few for {self.size} ranks; choose another --batch-size"
            )
        split = getattr(prep, "split", None)
        if split is not None and len(split.y_val) < self.size:
            raise C.ConfigError(
                f"--distributed: the validation set has {len(split.y_val)} rows, too few to "
                f"share out over {self.size} ranks"
            )

    def first_failure(self, message: str | None) -> tuple[int, str | None]:
        """Every rank reports whether it failed (``message``); returns the
        lowest failing rank (-1: none) and, on that rank, its message, so that
        all ranks stop together and the failure is printed once."""
        if not self.distributed:
            return (-1, None) if message is None else (0, message)
        flags = [tg.zeros(1, dtype=tg.int32) for _ in range(self.size)]
        dist.all_gather(flags, tg.tensor([message is not None], dtype=tg.int32))
        failed = [r for r, f in enumerate(flags) if f.item()]
        first = failed[0] if failed else -1
        return first, message if first == self.rank else None

    # ------------------------------------------------------------ training
    def model(self, module):
        """``module``, its BatchNorm layers made ``SyncBatchNorm``, wrapped in
        ``DistributedDataParallel`` (one process: ``module`` itself)."""
        if not self.distributed:
            return module
        return DistributedDataParallel(SyncBatchNorm.convert_sync_batchnorm(module))

    def loss(self, loss_fn):
        """``loss_fn`` weighted by the current batch's share: its gradient is
        that of ``N w_r / w`` times the loss (see the module).  Its value is
        scaled by ``m / (N m_r)`` besides (``m_r`` of the ``m`` rows are this
        rank's): ``fit`` weighs a batch's loss by its rows, so the ranks'
        values then add up to the global batch's loss, also for a last
        batch that does not split evenly."""
        if not self.distributed:
            return loss_fn

        def weighted(output, target):
            loss = loss_fn(output, target)
            if self.share != 1.0:
                loss = loss * self.share
            if self.rows_share != 1.0:  # (the value rescaled; the gradient left as it is)
                loss = loss.detach() * self.rows_share + (loss - loss.detach())
            return loss

        return weighted

    def train_batches(self, loader, weight=rows):
        """This rank's share of each global batch of ``loader``, setting
        ``share`` and the dropout rows of each (one process: ``loader``)."""
        return _Shares(loader, self, weight, GlobalBatchRandom) if self.distributed else loader

    def eval_batches(self, loader):
        """This rank's share of each batch of ``loader`` (``fit`` sums the
        metrics over the ranks); one process: ``loader``."""
        return _Shares(loader, self, rows, None) if self.distributed else loader

    def as_one_process(self, history):
        """``history`` with the names one process gives the parameters in
        its gradient statistics (without DDP's ``module.`` in front)."""
        if self.distributed:
            history.grad_stats = {
                name.removeprefix("module."): stats for name, stats in history.grad_stats.items()
            }
        return history

    def bounds(self, m: int) -> tuple[int, int]:
        """Rows ``[a, b)`` of a batch of ``m`` rows that are this rank's: the
        ``rank``-th of ``size`` consecutive blocks, the first ``m % size``
        one row longer."""
        base, extra = divmod(m, self.size)
        a = self.rank * base + min(self.rank, extra)
        return a, a + base + (self.rank < extra)


ONE_PROCESS = Ranks()


def training_rows(prep) -> int:
    """The rows of the training set of a prepared classifier or language model."""
    from tapegrad.run.lm_job import LMPrepared  # (here: lm_job imports this module)

    if isinstance(prep, LMPrepared):
        from tapegrad.data.text import encode_words

        w = prep.words
        return len(encode_words(w.train, w.vocab, prep.config.block)[0])
    return len(prep.split.y_train)


class _Shares:
    """Iterating yields this rank's rows of each batch of ``loader``; with
    ``random``, tapegrad's generator draws for the whole batch meanwhile."""

    def __init__(self, loader, ranks: Ranks, weight, random):
        self.loader, self.ranks, self.weight, self.random = loader, ranks, weight, random

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        ranks = self.ranks
        with _installed(self.random) as random:
            try:
                for batch in self.loader:
                    m = len(batch[-1])
                    a, b = ranks.bounds(m)
                    if a == b:
                        continue  # (evaluation only: a small last batch leaves some ranks out)
                    if random is not None:
                        total = self.weight(batch[-1])
                        ranks.share = ranks.size * self.weight(batch[-1][a:b]) / max(total, 1)
                        ranks.rows_share = m / (ranks.size * (b - a))
                        random.rows = (a, b, m)
                    yield tuple(t[a:b] for t in batch)
            finally:
                ranks.share = ranks.rows_share = 1.0


@contextmanager
def _installed(random_class):
    """Put a ``random_class`` in front of tapegrad's default generator for the
    block (``None``: nothing)."""
    if random_class is None:
        yield None
        return
    generator = B.default_generator
    original = generator.rng
    generator.rng = random = random_class(original)
    try:
        yield random
    finally:
        generator.rng = original


class GlobalBatchRandom:
    """A NumPy generator's stand-in that draws for the whole global batch.

    With ``rows = (a, b, m)`` set, ``random(size)`` for a ``size`` whose first
    dimension is this rank's ``b - a`` rows (a dropout mask) draws the
    ``(m, ...)`` numbers one process would draw for the global batch and
    returns rows ``[a, b)``; the stream then stands where one process's
    would.  Every other draw and attribute is the generator's own."""

    def __init__(self, rng):
        self.rng = rng
        self.rows = None

    def random(self, size=None, dtype=B.host.float64, out=None):
        rows = self.rows
        if rows is None or out is not None or not size or size[0] != rows[1] - rows[0]:
            return self.rng.random(size, dtype=dtype, out=out)
        a, b, m = rows
        rest = tuple(size[1:])
        per_row = int(B.host.prod(rest, dtype=B.host.int64))
        if a:
            self.rng.random(a * per_row, dtype=dtype)  # the rows of the ranks before
        mine = self.rng.random((b - a, *rest), dtype=dtype)
        if m > b:
            self.rng.random((m - b) * per_row, dtype=dtype)  # the rows of the ranks after
        return mine

    def __getattr__(self, name: str):
        return getattr(self.rng, name)
