"""The one table of differentiable ops, shared by the Value and Tensor gradcheck tests.

Each entry: (name, function of the inputs written with operators and methods both engines have,
number of inputs, (low, high) domain of every input, kept away from kinks and poles).
"""

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
    ("pow_const", lambda a: a ** 3, 1, (-2.0, 2.0)),
    ("pow_frac", lambda a: a ** 0.5, 1, (0.2, 3.0)),
    ("pow_node", lambda a, b: a ** b, 2, (0.3, 2.0)),
    ("rpow", lambda a: 2.0 ** a, 1, (-2.0, 2.0)),
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
