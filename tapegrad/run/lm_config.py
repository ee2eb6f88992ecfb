"""The options of a language-model run (``--dataset names`` or ``--text-file FILE``).

``tapegrad train`` trains a classifier or a character-level language model;
:func:`lm_defaults` tells them apart and, for a language model, fills the
options the user left unset with values that suit it (the defaults of
:class:`~tapegrad.run.config.TrainConfig` are the classifier's) and checks
the combinations.  It is called by :func:`tapegrad.run.config.resolve` on
the merged option values, before the config is built.
"""

from __future__ import annotations

from tapegrad.run.config import ConfigError

__all__ = ["LM_DATASETS", "LM_DEFAULTS", "LM_ONLY_MODELS", "is_lm", "lm_defaults"]

LM_DATASETS = ("names", "text")
LM_MODELS = ("transformer", "lstm", "gru", "mlp", "bigram")
LM_ONLY_MODELS = ("transformer", "lstm", "gru", "bigram")

# Options a language model sets differently from a classifier, for every model.
LM_DEFAULTS = {
    "model": "transformer",
    "optimizer": "adamw",
    "epochs": 8,
    "batch_size": 32,
    "dropout": 0.0,
    "early_stopping": 3,
}
# The learning rate with Adam or AdamW (other optimisers keep config.DEFAULT_LR).
LM_ADAM_LR = {"bigram": 0.1}
ADAM_LR = 2e-3
# ... and per model: context length, widths, depth.
MODEL_DEFAULTS = {
    "transformer": {"block": 16, "embed": 64, "layers": 4, "heads": 4},
    "lstm": {"block": 16, "embed": 64, "hidden": (128,), "layers": 1},
    "gru": {"block": 16, "embed": 64, "hidden": (128,), "layers": 1},
    "mlp": {"block": 8, "embed": 16, "hidden": (256,), "activation": "tanh"},
    "bigram": {"block": 16, "weight_decay": 0.0},
}


def is_lm(config) -> bool:
    """Whether a resolved TrainConfig describes a language-model run."""
    return config.dataset in LM_DATASETS


def lm_defaults(values: dict) -> dict:
    """``values`` (option -> checked value, as given) completed for a
    language model, or unchanged for a classifier; raises ConfigError for a
    combination that cannot work."""
    values = dict(values)
    if values.get("text_file") is not None:
        if values.setdefault("dataset", "text") != "text":
            raise ConfigError(
                f"--text-file goes with --dataset text (or no --dataset), "
                f"not --dataset {values['dataset']}"
            )
    dataset = values.get("dataset", "digits")
    model = values.get("model")
    if dataset not in LM_DATASETS:
        if model in LM_ONLY_MODELS:
            raise ConfigError(
                f"--model {model} is a language model; use it with --dataset names or "
                f"--text-file FILE (the {dataset} data set takes mlp, cnn, mnist-cnn)"
            )
        return values
    if values.get("l2"):
        raise ConfigError("--l2 is for classifiers; a language model takes --weight-decay")
    if dataset == "text" and values.get("text_file") is None:
        raise ConfigError("--dataset text needs --text-file FILE (one item a line)")
    if model is not None and model not in LM_MODELS:
        raise ConfigError(
            f"--model {model} is an image classifier; the {dataset} data set is for a "
            f"language model: choose --model from {', '.join(LM_MODELS)}"
        )
    model = values.setdefault("model", LM_DEFAULTS["model"])
    for key, value in {**LM_DEFAULTS, **MODEL_DEFAULTS[model]}.items():
        values.setdefault(key, value)
    if values["optimizer"] in ("adam", "adamw"):
        values.setdefault("lr", LM_ADAM_LR.get(model, ADAM_LR))
    for key, value in (("layers", 1), ("embed", 64), ("heads", 4)):  # unused by the model
        values.setdefault(key, value)
    if not values.get("hidden", (256,)):
        raise ConfigError(f"--model {model} needs a hidden width: --hidden 128")
    if model == "transformer" and values["embed"] % values["heads"]:
        raise ConfigError(
            f"--embed {values['embed']} must be divisible by --heads {values['heads']}"
        )
    return values
