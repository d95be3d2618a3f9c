"""The Tensor engine: ``Tensor`` (the class, ``tensor.py``) and its ops, one file per kind of op."""

from .tensor import Tensor

__all__ = ["Tensor"]
