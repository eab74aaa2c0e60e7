"""Complete models that several chapters use, built from ``companion.nn``: the character
language model and its bigram baseline (``char_lm``), skip-gram with negative sampling
(``skipgram``) and the echo state network (``echo_state``)."""
from companion.models import char_lm, echo_state, skipgram
from companion.models.char_lm import BigramModel, CharLanguageModel
from companion.models.echo_state import EchoStateNetwork
from companion.models.skipgram import SkipGram

__all__ = ["BigramModel", "CharLanguageModel", "EchoStateNetwork", "SkipGram", "char_lm",
           "echo_state", "skipgram"]
