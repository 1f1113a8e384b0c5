"""Random calls of each graded function, for telling a wrong variant from the reference.

`grader mutants` builds a `case` per round (its seed, the scale of the values:
1, then 100 and 1000, the batch size, float32 or float64) and calls each
function below with it. Each returns the calls to make, as (args, kwargs):
with the optional arguments left out and with other values. `OBSERVE` maps a
function to the part of its result the contract fixes, where that is less
than the whole result (a network whose hidden widths are free).
"""

import itertools

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def _net(case, sizes, bias=True):
    torch.manual_seed(case.seed)
    layers = [nn.Linear(a, b, bias=bias) for a, b in itertools.pairwise(sizes)]
    return nn.Sequential(*layers).to(case.dtype)


def build_multiclass_net(case):
    return [((), {}), ((), {"seed": 0}), ((), {"seed": case.seed + 1}), ((3, 6, 2), {"seed": 5})]


def predict_proba(case):
    return [((case.randn(case.batch, 3),), {}), ((case.randn(2, case.batch, 4),), {})]


def predict_classes(case):
    return [((case.randn(case.batch, 3),), {}), ((case.randn(2, case.batch, 5),), {})]


def as_row(case):
    return [((case.randn(case.batch),), {}), ((case.randn(2, case.batch).T,), {})]


def one_hot(case):
    return [((case.randint(4, case.batch), 4), {}), ((case.randint(3, case.batch), 6), {})]


def cross_entropy_manual(case):
    target = case.randint(3, case.batch)
    soft = torch.softmax(case.randn(case.batch, 3) / case.scale, dim=-1)
    return [((case.randn(case.batch, 3), target), {}), ((case.randn(case.batch, 3), soft), {})]


def build_regression_net(case):
    return [((), {}), ((), {"seed": 0}), ((3, 7), {"seed": case.seed + 1})]


def mse_manual(case):
    return [((case.randn(case.batch, 1), case.randn(case.batch, 1)), {})]


mae_manual = mse_manual


def predict_binary(case):
    logits = case.randn(case.batch, 2) / case.scale
    return [((logits,), {}), ((logits,), {"threshold": 0.7}), ((logits,), {"threshold": 0.2})]


def bce_manual(case):
    target = case.randint(2, case.batch, 1).to(case.dtype)
    probs = case.rand(case.batch, 1)
    edge = torch.tensor([[0.0], [1.0]], dtype=case.dtype)
    return [((probs, target), {}), ((edge, torch.tensor([[1.0], [0.0]], dtype=case.dtype)), {})]


def bce_grad_manual(case):
    target = case.randint(2, case.batch, 1).to(case.dtype)
    return [((case.rand(case.batch, 1), target), {})]


def linear_forward(case):
    x, w, b = case.randn(case.batch, 3), case.randn(2, 3), case.randn(2)
    return [((x, w, b), {}), ((x, w, None), {})]


def softmax_manual(case):
    return [((case.randn(case.batch, 4),), {}), ((case.randn(2, case.batch, 3),), {})]


def forward_manual(case):
    net = _net(case, [3, 4, 2])
    return [
        ((net, case.randn(case.batch, 3)), {}),
        ((_net(case, [3, 2], False), case.randn(2, 3)), {}),
    ]


def output_layer_grads(case):
    hidden, logits = case.randn(case.batch, 3), case.randn(case.batch, 4)
    target = case.randint(4, case.batch)
    return [
        ((hidden, logits, target), {}),
        ((hidden, logits, nn.functional.one_hot(target, 4).to(case.dtype)), {}),
    ]


def sgd_update(case):
    return [
        ((case.randn(3, 2), case.randn(3, 2), 0.1), {}),
        ((case.randn(2).requires_grad_(), case.randn(2), 2.0), {}),
    ]


def gradients_of(case):
    net = _net(case, [3, 2])
    net[0].weight.grad = torch.ones_like(net[0].weight)
    frozen = _net(case, [3, 2])
    frozen[0].bias.requires_grad_(False)
    x, y = case.randn(case.batch, 3), case.randn(case.batch, 2)
    return [((net, nn.MSELoss(), x, y), {}), ((frozen, nn.MSELoss(), x, y), {})]


def train_step(case):
    net = _net(case, [3, 1])
    net[0].weight.grad = torch.ones_like(net[0].weight)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = case.randn(case.batch, 3) / case.scale, case.randn(case.batch, 1) / case.scale
    return [((net, optimizer, nn.MSELoss(), x, y), {})]


def flip_prediction(case):
    return [((), {}), ((), {"seed": case.seed}), ((), {"seed": 0})]


def _frame(case):
    n = 3 + case.batch
    pick = lambda options: [options[int(i)] for i in case.randint(len(options), n)]  # noqa: E731
    return pd.DataFrame(
        {
            "experience_level": pick(["EN", "MI", "SE", "EX"]),
            "employment_type": pick(["FT", "PT", "CT"]),
            "remote_ratio": pick([0, 50, 100]),
            "company_size": pick(["S", "M", "L"]),
            "salary": pick([1, 2]),
            "salary_in_usd": (case.rand(n) * 1e5).double().numpy().round(),
        }
    )


def load_salary_data(case):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "salaries.csv"
    _frame(case).to_csv(path, index=False)
    return [((str(path),), {}), ((path,), {})]


def make_dataset(case):
    features = case.randn(case.batch, 4).float().numpy()
    return [
        ((features, case.rand(case.batch, 1).float().numpy()), {}),
        ((features.T.copy().T, features[:, :1].copy()), {}),
    ]


def make_dataloader(case):
    data = TensorDataset(case.randn(7, 2), case.randn(7, 1))
    return [((data,), {}), ((data,), {"batch_size": 3, "shuffle": False}), ((data, 2, True), {})]


def last_sample(case):
    return make_dataset(case)


def build_salary_model(case):
    return [((), {}), ((), {"seed": 0}), ((), {"seed": case.seed + 3})]


def _loader(case, n=6):
    x, y = case.randn(n, 4) / case.scale, case.randn(n, 1) / case.scale
    return DataLoader(TensorDataset(x.float(), y.float()), batch_size=4, shuffle=False)


def train(case):
    torch.manual_seed(case.seed)
    net = nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 1)).eval()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    return [((net, _loader(case), nn.MSELoss(), optimizer, 2), {})]


def _dropout_net(case):
    torch.manual_seed(case.seed)
    net = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 1))
    net[0].weight.grad = torch.ones_like(net[0].weight)
    return net


def evaluate(case):
    training, evaluating = _dropout_net(case), _dropout_net(case).eval()
    return [
        ((training, _loader(case, 5), nn.MSELoss()), {}),
        ((evaluating, _loader(case, 3), nn.L1Loss()), {}),
    ]


def to_usd(case):
    from sklearn.preprocessing import MinMaxScaler

    scaler = MinMaxScaler().fit(np.array([[1000.0], [5000.0 + case.seed]]))
    pred = case.rand(case.batch, 1)
    return [
        ((pred, scaler), {}),
        ((pred.numpy().ravel(), scaler), {}),
        ((pred.requires_grad_(), scaler), {}),
    ]


def relu_grad(case):
    return [((float(v),), {}) for v in case.randn(3)] + [((0.0,), {}), ((-0.0,), {})]


def leaky_relu_and_grad(case):
    x = float(case.randn(1))
    return [
        ((x,), {}),
        ((-abs(x),), {"negative_slope": 0.2}),
        ((abs(x),), {"negative_slope": 0.3}),
        ((0.0,), {}),
    ]


def elu_manual(case):
    x = case.randn(case.batch, 3)
    return [((x,), {}), ((x,), {"alpha": 0.5}), ((x.requires_grad_(),), {"alpha": 2.0})]


def sigmoid_grad(case):
    return [((case.randn(case.batch, 3),), {})]


def calculate_capacity(case):
    frozen = _net(case, [3, 5, 2])
    frozen[0].weight.requires_grad_(False)
    return [
        ((_net(case, [case.batch, 4, 2]),), {}),
        ((_net(case, [3, 2], False),), {}),
        ((frozen,), {}),
    ]


def build_four_layer_net(case):
    return [((1, 1), {}), ((case.batch, 3), {}), ((8, 2), {})]


def _four_layer_shape(net):
    """What the contract fixes: four linear layers, the ends, more than 120 parameters."""
    linear = [m for m in net.modules() if isinstance(m, nn.Linear)]
    count = sum(p.numel() for p in net.parameters())
    ends = (linear[0].in_features, linear[-1].out_features) if linear else None
    forward = net(torch.zeros(2, ends[0])).shape if ends else None
    return (len(linear), ends, count > 120, tuple(forward) if forward else None)


OBSERVE = {"build_four_layer_net": _four_layer_shape}
