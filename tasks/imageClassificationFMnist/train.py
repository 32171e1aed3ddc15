"""Baseline Fashion-MNIST classifier: a one-hidden-layer perceptron (scikit-learn), a few epochs.

Trains on the first 55,000 images of data/train.npz, reports accuracy on the last 5,000, and writes
submission.csv (columns id,label) with a predicted class for each image in data/test.npz.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

HIDDEN_UNITS = 128
EPOCHS = 5
LEARNING_RATE = 0.001
BATCH_SIZE = 256
HOLD_OUT = 5_000
SEED = 0
# BLAS threads. Floating-point sums depend on how work is split, so a fixed count keeps the result
# reproducible from machine to machine; raise it for speed if you don't mind the last digit moving.
THREADS = 1


def flatten(images: np.ndarray) -> np.ndarray:
    """28x28 bytes -> 784 floats in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def main() -> None:
    threadpool_limits(THREADS)
    train = np.load("data/train.npz")
    x, y = flatten(train["images"]), train["labels"]
    x_fit, y_fit, x_val, y_val = x[:-HOLD_OUT], y[:-HOLD_OUT], x[-HOLD_OUT:], y[-HOLD_OUT:]

    model = MLPClassifier(hidden_layer_sizes=(HIDDEN_UNITS,), max_iter=EPOCHS, batch_size=BATCH_SIZE,
                          learning_rate_init=LEARNING_RATE, random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed, short budget of epochs is the point
        model.fit(x_fit, y_fit)
    print(f"validation accuracy {np.mean(model.predict(x_val) == y_val):.4f}")

    test_images = flatten(np.load("data/test.npz")["images"])
    labels = model.predict(test_images)
    with open("submission.csv", "w") as f:
        f.write("id,label\n")
        f.writelines(f"{i},{label}\n" for i, label in enumerate(labels))
    print(f"wrote submission.csv ({len(labels)} predictions)")


if __name__ == "__main__":
    main()
