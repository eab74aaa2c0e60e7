"""Data the course trains on, all offline: generated 2-D sets and shipped real sets with their
splits and scaling (``datasets``, whose names are re-exported here: ``data.flower``,
``data.train_dev_test_split``...), text and vocabularies (``text``), word vectors and the analogy
set (``word_vectors``), and image augmentation (``augment``)."""
from companion.data import augment, datasets, text, word_vectors
from companion.data.datasets import (ASSETS, TOY_SETS, Standardizer, blobs, breast_cancer, circles,
                                     digits, digits_images, flower, iris, moons, one_hot,
                                     train_dev_test_split, xor)
from companion.data.mnist import balanced_indices, mnist, mnist_subset

__all__ = ["ASSETS", "Standardizer", "TOY_SETS", "augment", "balanced_indices", "blobs",
           "breast_cancer", "circles", "datasets", "digits", "digits_images", "flower", "iris",
           "mnist", "mnist_subset", "moons", "one_hot", "text", "train_dev_test_split",
           "word_vectors", "xor"]
