"""The main job: train a network from a configuration and write a run folder.

``tapegrad.run.config`` holds the options, ``tapegrad.run.job`` runs them,
``tapegrad.run.plots`` and ``tapegrad.run.report`` draw and print the results.
Nothing here imports matplotlib or tqdm until a plot or a progress bar is made.
"""
