"""Row 10: functions leave threads behind that never end or that rewrite what was returned."""

import threading
import time
import torch
from torch import nn


def forever():
    while True:
        time.sleep(0.01)


def spoil_later(tensor):
    def spoil():
        time.sleep(0.3)
        tensor.fill_(0.25)

    threading.Thread(target=spoil).start()


def relu_grad(x):
    threading.Thread(target=forever).start()  # not a daemon: a normal exit would wait for it
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    nn.ReLU()(point).backward()
    return point.grad.item()


def leaky_relu_and_grad(x, negative_slope=0.01):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    output = nn.LeakyReLU(negative_slope)(point)
    output.backward()
    return output.item(), point.grad.item()


def elu_manual(x, alpha=1.0):
    negative_part = alpha * torch.expm1(x.clamp(max=0))
    out = torch.where(x > 0, x, negative_part)
    spoil_later(out)
    return out


def sigmoid_grad(x):
    s = 1 / (1 + torch.exp(-x))
    out = s * (1 - s)
    spoil_later(out)
    return out
