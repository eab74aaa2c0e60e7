"""Complete models that several chapters use, built from ``companion.nn``: the character
language model and its bigram baseline (``char_lm``), skip-gram with negative sampling
(``skipgram``), the echo state network (``echo_state``) and the encoder-decoder with
attention (``seq2seq``). Each trainable one follows ``companion.nn.train.Trainable``
(``loss_and_grads(batch)``, ``params()``, ``grads()``) and trains with ``train_loop``."""
from companion.models import char_lm, echo_state, seq2seq, skipgram
from companion.models.char_lm import BigramModel, CharLanguageModel
from companion.models.echo_state import EchoStateNetwork
from companion.models.seq2seq import Seq2Seq
from companion.models.skipgram import SkipGram

__all__ = ["BigramModel", "CharLanguageModel", "EchoStateNetwork", "Seq2Seq", "SkipGram",
           "char_lm", "echo_state", "seq2seq", "skipgram"]
