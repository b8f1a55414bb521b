"""The sentence model runs from the installed package, offline, and means what it should."""

import numpy as np
import pytest

from loyaldesk.assistant.nlu.embeddings import (
    DIMENSIONS,
    ModelFileMismatch,
    SentenceEmbedder,
    default_embedder,
)


def test_vectors_have_unit_length_and_keep_the_order_of_the_texts() -> None:
    texts = ["where is my order", "", "How many points do I have?", "where is my order"]
    vectors = default_embedder().embed(texts)
    assert vectors.shape == (4, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[3], atol=1e-6)


def test_paraphrases_are_closer_than_unrelated_requests() -> None:
    order, package, points = default_embedder().embed(
        [
            "where is my order",
            "my parcel has not arrived yet, where is it?",
            "how many loyalty points do I have",
        ]
    )
    assert float(order @ package) > float(order @ points) + 0.2


def test_a_batch_gives_the_same_vectors_as_one_text_at_a_time() -> None:
    embedder = default_embedder()
    texts = ["short", "a somewhat longer sentence about a refund for a broken lamp", "ok thanks"]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([text]) for text in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_a_different_weights_file_is_refused(tmp_path) -> None:
    from loyaldesk.assistant.nlu.embeddings import model_dir

    for name in ("tokenizer.json", "model.safetensors"):
        (tmp_path / name).write_bytes((model_dir() / name).read_bytes())
    with (tmp_path / "model.safetensors").open("r+b") as handle:
        handle.seek(-8, 2)
        handle.write(b"\x00" * 8)
    with pytest.raises(ModelFileMismatch):
        SentenceEmbedder(tmp_path)
