"""The main job: train a network from a configuration and write a run folder.

One module per part of the work:

- ``config``: the options of ``tapegrad train``, their defaults and checks.
- ``build``: the data, model, optimiser and loss a configuration asks for.
- ``job``: ``tapegrad train`` itself: fit, then write the run folder.
- ``data_parallel``: ``--distributed``: the run shared by the ranks of an MPI job.
- ``saved``: the saved model file, and ``tapegrad evaluate`` / ``predict``.
- ``metrics``: test loss and accuracy, and the contents of ``metrics.json``.
- ``plots`` and ``report``: the pictures and the printed tables.
- ``files`` and ``images``: atomic file writes, and reading an input image.
- ``exits``: the command's exit statuses and its one-line error message.

Nothing here imports matplotlib or tqdm until a plot or a progress bar is made.
"""
