"""The one table of differentiable ops, shared by the Value and Tensor gradcheck tests.

Each entry: (name, function of the inputs written with operators and methods both engines have,
number of inputs, (low, high) domain of every input, kept away from kinks and poles).
On Tensors every row also runs with the input shapes of ``TENSOR_SHAPES`` (broadcasting included),
and ``TENSOR_OPS`` adds the ops only Tensors have.
"""

import numpy as np

OPS = [
    ("add", lambda a, b: a + b, 2, (-3.0, 3.0)),
    ("radd", lambda a: 2.5 + a, 1, (-3.0, 3.0)),
    ("sub", lambda a, b: a - b, 2, (-3.0, 3.0)),
    ("rsub", lambda a: 1.5 - a, 1, (-3.0, 3.0)),
    ("mul", lambda a, b: a * b, 2, (-3.0, 3.0)),
    ("rmul", lambda a: -4.0 * a, 1, (-3.0, 3.0)),
    ("div", lambda a, b: a / b, 2, (0.5, 3.0)),
    ("rdiv", lambda a: 2.0 / a, 1, (0.5, 3.0)),
    ("neg", lambda a: -a, 1, (-3.0, 3.0)),
    ("pow_const", lambda a: a**3, 1, (-2.0, 2.0)),
    ("pow_frac", lambda a: a**0.5, 1, (0.2, 3.0)),
    ("pow_node", lambda a, b: a**b, 2, (0.3, 2.0)),
    ("rpow", lambda a: 2.0**a, 1, (-2.0, 2.0)),
    ("exp", lambda a: a.exp(), 1, (-3.0, 3.0)),
    ("log", lambda a: a.log(), 1, (0.2, 4.0)),
    ("tanh", lambda a: a.tanh(), 1, (-3.0, 3.0)),
    ("sigmoid", lambda a: a.sigmoid(), 1, (-5.0, 5.0)),
    ("relu_pos", lambda a: a.relu(), 1, (0.01, 3.0)),
    ("relu_neg", lambda a: a.relu(), 1, (-3.0, -0.01)),
    ("leaky_pos", lambda a: a.leaky_relu(0.1), 1, (0.01, 3.0)),
    ("leaky_neg", lambda a: a.leaky_relu(0.1), 1, (-3.0, -0.01)),
    ("leaky_steep", lambda a: a.leaky_relu(1.5), 1, (-3.0, -0.01)),
    ("leaky_negative_alpha", lambda a: a.leaky_relu(-0.5), 1, (-3.0, -0.01)),
    ("prelu_pos", lambda a, s: a.prelu(s), 2, (0.01, 3.0)),
    ("prelu_neg", lambda a, s: (-a).prelu(s), 2, (0.01, 3.0)),
    ("composite", lambda a, b: ((a * b + a).tanh() * b.exp()).leaky_relu(0.2) / (b + 4.0), 2, (0.1, 2.0)),
]

# Input shapes for the OPS rows on Tensors: each pattern gives one shape per input (a unary row uses
# the first). A prelu slope must be (), (1,) or one per channel (dim 1), hence its own patterns.
TENSOR_SHAPES = [((2, 3), (2, 3)), ((3, 1), (4,)), ((2, 3), (3,)), ((), (2, 3)), ((2, 3), ())]
TENSOR_SHAPES_OF = {"prelu_pos": [((2, 3), ()), ((2, 3), (3,)), ((4, 3, 2), (1,))]}
TENSOR_SHAPES_OF["prelu_neg"] = TENSOR_SHAPES_OF["prelu_pos"]

# Tensor-only rows: (name, function, input shapes, (low, high) domain of every input).
TENSOR_OPS = [
    ("sub_lower_ndim", lambda a, b: a - b, [(2, 3, 4), (3, 1)], (-3.0, 3.0)),
    ("div_broadcast_both", lambda a, b: a / b, [(2, 1, 3), (4, 1)], (0.5, 3.0)),
    ("pow_broadcast", lambda a, b: a**b, [(2, 3), (3,)], (0.3, 2.0)),
    ("sum_all", lambda a: a.sum(), [(2, 3)], (-3.0, 3.0)),
    ("sum_axis_keepdims", lambda a: a.sum(axis=1, keepdims=True), [(2, 3, 4)], (-3.0, 3.0)),
    ("sum_axes", lambda a: a.sum(axis=(0, 2)), [(2, 3, 4)], (-3.0, 3.0)),
    ("mean_all", lambda a: a.mean(), [(2, 3)], (-3.0, 3.0)),
    ("mean_axis_keepdims", lambda a: a.mean(axis=-1, keepdims=True), [(2, 3)], (-3.0, 3.0)),
    ("max_all", lambda a: a.max(), [(2, 3)], (-3.0, 3.0)),
    ("max_axis", lambda a: a.max(axis=1), [(3, 4)], (-3.0, 3.0)),
    ("max_axis_keepdims", lambda a: a.max(axis=0, keepdims=True), [(3, 4)], (-3.0, 3.0)),
    ("matmul", lambda a, b: a @ b, [(2, 3), (3, 4)], (-2.0, 2.0)),
    ("matmul_vec_mat", lambda a, b: a @ b, [(3,), (3, 4)], (-2.0, 2.0)),
    ("matmul_mat_vec", lambda a, b: a @ b, [(2, 3), (3,)], (-2.0, 2.0)),
    ("matmul_vec_vec", lambda a, b: a @ b, [(3,), (3,)], (-2.0, 2.0)),
    ("matmul_batched", lambda a, b: a @ b, [(2, 2, 3), (3, 4)], (-2.0, 2.0)),
    ("matmul_batched_both", lambda a, b: a @ b, [(2, 1, 2, 3), (3, 3, 2)], (-2.0, 2.0)),
    ("log_softmax", lambda a: a.log_softmax(), [(3, 4)], (-5.0, 5.0)),
    ("log_softmax_axis0", lambda a: a.log_softmax(axis=0), [(3, 4)], (-5.0, 5.0)),
    ("logsumexp", lambda a: a.logsumexp(axis=1), [(3, 4)], (-5.0, 5.0)),
    ("logsumexp_all", lambda a: a.logsumexp(), [(3, 4)], (-5.0, 5.0)),
    ("index_int", lambda a: a[1], [(3, 4)], (-3.0, 3.0)),
    ("index_slices", lambda a: a[:, 1:3], [(3, 4)], (-3.0, 3.0)),
    ("index_repeated_rows", lambda a: a[[0, 2, 0]], [(3, 4)], (-3.0, 3.0)),
    ("index_pairs", lambda a: a[np.arange(3), np.array([1, 0, 1])], [(3, 4)], (-3.0, 3.0)),
    ("reshape", lambda a: a.reshape(4, 3), [(2, 6)], (-3.0, 3.0)),
    ("transpose", lambda a: a.T, [(2, 3)], (-3.0, 3.0)),
    ("transpose_axes", lambda a: a.transpose(1, 2, 0), [(2, 3, 4)], (-3.0, 3.0)),
    ("leaky_mixed_signs", lambda a: a.leaky_relu(0.2), [(3, 4)], (-3.0, 3.0)),
    ("prelu_channels", lambda x, w: x.prelu(w), [(4, 3, 2), (3,)], (-3.0, 3.0)),
    ("linear_leaky_layer", lambda x, w, b: (x @ w + b).leaky_relu(0.1), [(4, 3), (3, 5), (5,)], (-2.0, 2.0)),
    ("linear_fused", lambda x, w, b: x.linear(w, b), [(4, 3), (5, 3), (5,)], (-2.0, 2.0)),
    ("linear_fused_one_sample", lambda x, w, b: x.linear(w, b), [(3,), (5, 3), (5,)], (-2.0, 2.0)),
    ("linear_fused_batched", lambda x, w, b: x.linear(w, b), [(2, 4, 3), (5, 3), (5,)], (-2.0, 2.0)),
    ("linear_fused_no_bias", lambda x, w: x.linear(w), [(2, 4, 3), (5, 3)], (-2.0, 2.0)),
    ("cross_entropy", lambda z: -z.log_softmax()[np.arange(3), np.array([0, 2, 1])].mean(), [(3, 4)], (-3.0, 3.0)),
]
