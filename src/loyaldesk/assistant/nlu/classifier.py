"""The intent classifier: a sentence vector (plus, optionally, word n-gram TF-IDF) into a multinomial
logistic regression, and a confidence threshold under which a message is out of scope.

Contract of ``train_intent_model(texts, labels, ...) -> IntentModel``:
- ``texts`` and ``labels`` are equally long; at least two different in-scope labels; a bad argument raises
  ``ValueError`` naming it.
- The regularisation ``C`` is chosen by stratified cross-validation on the TRAINING data only (accuracy),
  unless given.
- ``out_of_scope_label``: examples so labelled are trained as a class of their own, and a message whose best
  class is that one is out of scope (its ``Prediction.intent`` is None).
- The threshold (``threshold.choose_threshold``, objective documented there) is tuned on the validation set
  when one is given (it should contain out-of-scope examples), else on out-of-fold predictions of the
  training data together with ``out_of_scope_examples`` (texts known to be out of scope, used only for the
  threshold). With no out-of-scope example anywhere the threshold is 0: every message gets an intent.

``IntentModel.predict(texts)`` returns one ``ports.Prediction`` per text; ``to_bytes()``/``from_bytes()``
round-trip the model exactly as NumPy arrays and JSON in an ``.npz`` container (no pickle).
"""

from __future__ import annotations

import io
import json
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from loyaldesk.assistant.nlu.embedding_cache import CachedEmbedder, Embedder
from loyaldesk.assistant.nlu.embeddings import default_embedder
from loyaldesk.assistant.nlu.features import TfidfFeatures  # scikit-learn loads only when fitted or used
from loyaldesk.assistant.nlu.threshold import choose_threshold
from loyaldesk.assistant.ports import Prediction

#: The values of C tried by cross-validation (the vectors have unit length, so C is large-ish).
C_GRID = (4.0, 16.0, 64.0)
#: C when there are too few examples per intent to cross-validate.
FALLBACK_C = 16.0
RANKED = 3  # intents listed in Prediction.ranked
_FORMAT = "loyaldesk-intent-model/1"


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


@dataclass
class IntentModel:
    """A trained intent model: weights per class, the out-of-scope threshold and the feature recipe."""

    classes: tuple[str, ...]  # every class the regression knows, in weight order
    coef: np.ndarray  # (classes, features) float32
    intercept: np.ndarray  # (classes,) float32
    threshold: float
    out_of_scope_label: str | None = None
    tfidf: TfidfFeatures | None = None
    tfidf_weight: float = 1.0
    info: dict[str, object] = field(default_factory=dict)  # how it was trained (C, folds, counts)
    embedder: Embedder | None = field(default=None, repr=False, compare=False)

    @property
    def labels(self) -> tuple[str, ...]:
        """The in-scope intents the model can answer with."""
        return tuple(label for label in self.classes if label != self.out_of_scope_label)

    def _features(self, vectors: np.ndarray, texts: Sequence[str] | None) -> np.ndarray | sparse.csr_matrix:
        if self.tfidf is None:
            return vectors
        if texts is None:
            raise ValueError("texts: this model also reads the words; give the texts with their vectors")
        words = self.tfidf.transform(texts) * self.tfidf_weight
        return sparse.hstack([sparse.csr_matrix(vectors), words], format="csr")

    def probabilities(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """Each class's probability (columns in ``classes`` order) for each row of ``vectors``."""
        features = self._features(np.asarray(vectors, dtype=np.float32), texts)
        scores = np.asarray(features @ self.coef.T, dtype=np.float64) + self.intercept
        return _softmax(scores)

    def predict_vectors(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> list[Prediction]:
        """Predictions for already embedded messages (``texts`` too when the model uses TF-IDF)."""
        probabilities = self.probabilities(vectors, texts)
        in_scope = [index for index, label in enumerate(self.classes) if label != self.out_of_scope_label]
        predictions = []
        for row in probabilities:
            scoped = row[in_scope]
            order = np.argsort(-scoped)[:RANKED]
            ranked = tuple((self.classes[in_scope[i]], float(scoped[i])) for i in order)
            best, confidence = ranked[0]
            rejected = confidence < self.threshold or (
                self.out_of_scope_label is not None
                and self.classes[int(row.argmax())] == self.out_of_scope_label
            )
            predictions.append(
                Prediction(intent=None if rejected else best, confidence=confidence, ranked=ranked)
            )
        return predictions

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per message, in order; ``intent`` is None when out of scope."""
        texts = list(texts)
        if not texts:
            return []
        embedder = self.embedder or default_embedder()
        return self.predict_vectors(embedder.embed(texts), texts)

    def to_bytes(self) -> bytes:
        """The model as an ``.npz`` (arrays and one JSON header), no pickle: loads with allow_pickle=False."""
        header = {
            "format": _FORMAT,
            "classes": list(self.classes),
            "threshold": self.threshold,
            "out_of_scope_label": self.out_of_scope_label,
            "tfidf": self.tfidf.to_json() if self.tfidf else None,
            "tfidf_weight": self.tfidf_weight,
            "info": self.info,
        }
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
            coef=self.coef,
            intercept=self.intercept,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, embedder: Embedder | None = None) -> IntentModel:
        """The model ``to_bytes`` wrote; ``ValueError`` if ``data`` is not one."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                header = json.loads(archive["header"].tobytes().decode())
                coef, intercept = archive["coef"], archive["intercept"]
        except (OSError, KeyError, ValueError) as error:
            raise ValueError(f"data: not an intent model ({error})") from error
        if header.get("format") != _FORMAT:
            raise ValueError(f"data: unknown intent model format {header.get('format')!r}")
        return cls(
            classes=tuple(header["classes"]),
            coef=coef,
            intercept=intercept,
            threshold=float(header["threshold"]),
            out_of_scope_label=header["out_of_scope_label"],
            tfidf=TfidfFeatures.from_json(header["tfidf"]) if header["tfidf"] else None,
            tfidf_weight=float(header["tfidf_weight"]),
            info=header["info"],
            embedder=embedder,
        )


def _check_examples(texts: Sequence[str], labels: Sequence[str], texts_name: str, labels_name: str) -> None:
    if len(texts) != len(labels):
        raise ValueError(f"{labels_name}: {len(labels)} labels for {len(texts)} texts")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"{texts_name}[{index}]: a text must be a string, not {type(text).__name__}")
    for index, label in enumerate(labels):
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{labels_name}[{index}]: a label must be a non-empty string")


def _fit(features: np.ndarray | sparse.csr_matrix, y: np.ndarray, c: float, class_weight: str | None):
    # scikit-learn is imported here, not at the top: a process that only loads a model and predicts (the
    # server) starts seconds sooner without it.
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    # tol 1e-3 rather than 1e-4 keeps fits short on small shared machines (docs/benchmarks.md is measured
    # with it).
    regression = LogisticRegression(C=c, tol=1e-3, max_iter=1000, class_weight=class_weight)
    # One BLAS thread, as for embedding: training runs beside the web server on a small machine.
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        regression.fit(features, y)
    coef, intercept = regression.coef_, regression.intercept_
    if coef.shape[0] == 1:  # two classes: sigmoid(w.x + b) is softmax over [0, w.x + b]
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    return coef.astype(np.float32), intercept.astype(np.float32)


def _out_of_fold(features, y: np.ndarray, c: float, folds: int, class_weight: str | None, classes: int):
    """Out-of-fold probabilities for every training example (stratified folds, fixed seed)."""
    from sklearn.model_selection import StratifiedKFold

    result = np.zeros((len(y), classes), dtype=np.float64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train_rows, test_rows in splitter.split(np.zeros(len(y)), y):
        coef = np.zeros((classes, features.shape[1]), dtype=np.float32)
        intercept = np.full(classes, -1e4, dtype=np.float32)  # a class absent from a fold is never chosen
        present = np.unique(y[train_rows])
        fold_coef, fold_intercept = _fit(features[train_rows], y[train_rows], c, class_weight)
        coef[present], intercept[present] = fold_coef, fold_intercept
        scores = np.asarray(features[test_rows] @ coef.T, dtype=np.float64) + intercept
        result[test_rows] = _softmax(scores)
    return result


def threshold_inputs(
    probabilities: np.ndarray, truth: Sequence[str | None], classes: tuple[str, ...], oos: str | None
):
    """Per example: the best in-scope confidence, whether that intent is right, whether the example is out of
    scope, whether the model rejects it by class (``threshold.choose_threshold``'s inputs)."""
    in_scope = [index for index, label in enumerate(classes) if label != oos]
    scoped = probabilities[:, in_scope]
    best = np.asarray(in_scope)[scoped.argmax(axis=1)]
    confidences = scoped.max(axis=1)
    out_of_scope = np.array([label is None or label == oos for label in truth], dtype=bool)
    correct = (
        np.array([classes[b] == label for b, label in zip(best, truth, strict=True)], dtype=bool)
        & ~out_of_scope
    )
    by_class = (
        np.array([classes[i] == oos for i in probabilities.argmax(axis=1)], dtype=bool)
        if oos is not None
        else np.zeros(len(truth), bool)
    )
    return confidences, correct, out_of_scope, by_class


def train_intent_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    validation_texts: Sequence[str] | None = None,
    validation_labels: Sequence[str] | None = None,
    out_of_scope_label: str | None = None,
    embedder: Embedder | None = None,
    out_of_scope_examples: Sequence[str] | None = None,
    c: float | None = None,
    use_tfidf: bool = False,
    tfidf_weight: float = 1.0,
    class_weight: str | None = None,
    folds: int = 5,
) -> IntentModel:
    """Train an intent model (contract in the module docstring). ``embedder`` defaults to the cached
    default embedder (vectors kept on disk, see ``embedding_cache``)."""
    texts, labels = list(texts), list(labels)
    _check_examples(texts, labels, "texts", "labels")
    if (validation_texts is None) != (validation_labels is None):
        raise ValueError("validation_labels: give validation texts and labels together")
    in_scope_labels = {label for label in labels if label != out_of_scope_label}
    if len(in_scope_labels) < 2:
        raise ValueError("labels: at least two different intents are needed to train a model")
    # Training reads vectors through the disk cache; the model predicts with the plain embedder (a live
    # message is seen once) unless the caller chose one.
    given_embedder, embedder = embedder, embedder or CachedEmbedder()
    classes = tuple(sorted(set(labels)))
    y = np.array([classes.index(label) for label in labels])
    tfidf = TfidfFeatures.fit(texts) if use_tfidf else None
    model = IntentModel(
        classes=classes,
        coef=np.zeros((0, 0), np.float32),
        intercept=np.zeros(0, np.float32),
        threshold=0.0,
        out_of_scope_label=out_of_scope_label,
        tfidf=tfidf,
        tfidf_weight=tfidf_weight,
        embedder=given_embedder,
    )
    features = model._features(embedder.embed(texts), texts)
    fold_count = min(folds, min(Counter(labels).values()))
    out_of_fold: np.ndarray | None = None
    scores: dict[str, float] = {}
    if c is None and fold_count >= 2:
        best_accuracy = -1.0
        for candidate in C_GRID:
            probabilities = _out_of_fold(features, y, candidate, fold_count, class_weight, len(classes))
            accuracy = float((probabilities.argmax(axis=1) == y).mean())
            scores[str(candidate)] = round(accuracy, 4)
            if accuracy > best_accuracy:
                c, best_accuracy, out_of_fold = candidate, accuracy, probabilities
    c = c if c is not None else FALLBACK_C
    model.coef, model.intercept = _fit(features, y, c, class_weight)

    if validation_texts is not None and validation_labels is not None:
        validation_texts, validation_labels = list(validation_texts), list(validation_labels)
        _check_examples(validation_texts, validation_labels, "validation_texts", "validation_labels")
        unknown = sorted(
            {label for label in validation_labels if label not in classes and label != out_of_scope_label}
        )
        if unknown:
            raise ValueError(
                f"validation_labels: intents not in the training labels: {', '.join(unknown[:5])}"
            )
        probabilities = model.probabilities(embedder.embed(validation_texts), validation_texts)
        truth: list[str | None] = list(validation_labels)
    else:
        if (
            out_of_fold is None
            and fold_count >= 2
            and (out_of_scope_label in labels or out_of_scope_examples)
        ):
            out_of_fold = _out_of_fold(features, y, c, fold_count, class_weight, len(classes))
        probabilities = out_of_fold if out_of_fold is not None else np.zeros((0, len(classes)))
        truth = list(labels) if out_of_fold is not None else []
        if out_of_scope_examples:
            extra = list(out_of_scope_examples)
            probabilities = np.vstack([probabilities, model.probabilities(embedder.embed(extra), extra)])
            truth += [None] * len(extra)
    choice = choose_threshold(*threshold_inputs(probabilities, truth, classes, out_of_scope_label))
    model.threshold = choice.threshold
    model.info = {
        "c": c,
        "c_scores": scores,
        "folds": fold_count,
        "examples": len(texts),
        "tfidf": use_tfidf,
        "class_weight": class_weight,
        "threshold_tuned_on": "validation" if validation_texts is not None else "training out-of-fold",
        "tuning_in_scope_accuracy": round(choice.in_scope_accuracy, 4),
        "tuning_oos_recall": None if choice.oos_recall is None else round(choice.oos_recall, 4),
    }
    return model
