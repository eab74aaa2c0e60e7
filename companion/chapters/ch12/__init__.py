"""Chapter 12: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. One module per section of the chapter, every public name re-exported here
(``from companion.chapters import ch12``; ``ch12.debias``):

- ``pictures``: 2-D pictures of word groups (PCA and the offset view) and the word explorer
  (neighbours, analogies).
- ``few_labels``: a task with few labels, which category does a word belong to?
- ``debias``: the gender direction, neutralise and equalise (Bolukbasi et al. 2016), and the
  bias that neighbourhoods keep afterwards (Gonen & Goldberg 2019).
"""

from companion.data.word_vectors import UnknownWordError

from .debias import (
    EQUALISE_PAIRS,
    GENDER_PAIRS,
    GENDER_SPECIFIC,
    OCCUPATIONS,
    debias,
    equalise,
    gender_direction,
    kmeans_agreement,
    knn_agreement,
    most_biased,
    neutralise,
)
from .few_labels import (
    CATEGORIES,
    category_dataset,
    compare_inputs,
    features,
    few_label_split,
    train_classifier,
)
from .pictures import (
    GROUPS,
    LABEL_OFFSETS,
    ROLES,
    draw_neighbours,
    explore,
    offset_2d,
    pca_2d,
    place_labels,
    plot_word_groups,
    word_explorer,
)

__all__ = [
    "CATEGORIES",
    "EQUALISE_PAIRS",
    "GENDER_PAIRS",
    "GENDER_SPECIFIC",
    "GROUPS",
    "LABEL_OFFSETS",
    "OCCUPATIONS",
    "ROLES",
    "UnknownWordError",
    "category_dataset",
    "compare_inputs",
    "debias",
    "draw_neighbours",
    "equalise",
    "explore",
    "features",
    "few_label_split",
    "gender_direction",
    "kmeans_agreement",
    "knn_agreement",
    "most_biased",
    "neutralise",
    "offset_2d",
    "pca_2d",
    "place_labels",
    "plot_word_groups",
    "train_classifier",
    "word_explorer",
]
