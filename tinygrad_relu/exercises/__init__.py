"""Self-checks for the notebooks' exercises: each ``check_*`` runs a learner's answer through the engine's own
tools (``gradcheck``, ``check_derivative``, ``dead_units``, a training run) and returns a ``CheckResult``.

Printing the result shows ``pass``, or what is wrong and where to look -- never the answer. An answer left as
the notebook's stub (``None``, a function that returns ``None`` or raises ``NotImplementedError``) is not a
failure: the result says what to do, so a notebook with untouched exercises still runs top to bottom.

Nothing in the engines imports this module; it imports them.
"""

from .check import CheckResult
from .derivatives import (
    check_gradients_at_zero,
    check_leaky_relu_prime,
    check_relu_at_zero,
    check_softplus_op,
    check_xor_backward,
)
from .engine import (
    check_add,
    check_backward,
    check_engine,
    check_leaky_relu,
    check_mul,
    check_numerical_derivative,
    check_topological_order,
)
from .explorer import check_first_zero_step
from .first_steps import check_chain_rule, check_local_derivatives, check_training_loop
from .models import (
    check_bce_with_logits,
    check_classifier,
    check_leaky_relu_any_alpha,
    check_prelu_op,
    check_revive_dead_units,
)
from .second_order import check_hvp
from .tensor_ops import check_cross_entropy_backward, check_linear_backward, check_unbroadcast
from .traced import check_layer_backward
from .zero_gradients import check_zero_gradients

__all__ = [
    "CheckResult",
    "check_first_zero_step",
    "check_bce_with_logits",
    "check_classifier",
    "check_gradients_at_zero",
    "check_layer_backward",
    "check_leaky_relu_any_alpha",
    "check_leaky_relu_prime",
    "check_prelu_op",
    "check_relu_at_zero",
    "check_revive_dead_units",
    "check_softplus_op",
    "check_xor_backward",
    "check_zero_gradients",
    # notebook 00: backprop by hand, the learner's own engine, the training loop
    "check_add",
    "check_chain_rule",
    "check_local_derivatives",
    "check_training_loop",
    "check_backward",
    "check_engine",
    "check_leaky_relu",
    "check_mul",
    "check_numerical_derivative",
    "check_topological_order",
    # notebook 09: a Tensor op's backward
    "check_cross_entropy_backward",
    "check_linear_backward",
    "check_unbroadcast",
    # notebook 11: gradients of gradients
    "check_hvp",
]
