"""Scoring metrics, computed by scikit-learn."""
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn import metrics as sk


@dataclass(frozen=True)
class Metric:
    """A way to score predictions against an answer key, and what values each side may hold."""

    name: str
    higher_is_better: bool
    labels: str  # "any" (a finite number), "integer" (a class label) or "binary" (0 or 1)
    # "any" (within a range derived from the key), "integer", "probability" (0..1) or "score" (a finite number:
    # only the order of the scores counts, so no value can outweigh the others)
    predictions: str
    function: Callable[[np.ndarray, np.ndarray], float] = field(repr=False, compare=False)
    needs_both_classes: bool = False  # undefined unless y_true holds both 0 and 1

    def score(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        """The metric of float64 predictions against float64 targets, as a plain float."""
        if self.labels in ("integer", "binary"):
            y_true = y_true.astype(np.int64)  # sklearn treats 1.0 and 1 alike, but labels read better as ints
        if self.predictions == "integer":
            y_pred = y_pred.astype(np.int64)
        return float(self.function(y_true, y_pred))


def _f1_macro(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean of the per-class F1; a class never predicted counts as 0, silently."""
    return sk.f1_score(y_true, y_pred, average="macro", zero_division=0)


def _log_loss(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Binary log loss of the probabilities of class 1; labels fixed so a one-class part still scores."""
    return sk.log_loss(y_true, y_pred, labels=[0, 1])


METRICS: dict[str, Metric] = {metric.name: metric for metric in (
    Metric("accuracy", True, "integer", "integer", sk.accuracy_score),
    Metric("f1_macro", True, "integer", "integer", _f1_macro),
    Metric("mae", False, "any", "any", sk.mean_absolute_error),
    Metric("rmse", False, "any", "any", sk.root_mean_squared_error),
    Metric("log_loss", False, "binary", "probability", _log_loss),
    Metric("roc_auc", True, "binary", "score", sk.roc_auc_score, needs_both_classes=True),
)}
