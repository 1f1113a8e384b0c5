"""Row 13: asks torch for 64 threads and starts 16 threads of its own."""

import os
import threading
import time
import torch
from torch import nn


os.environ["OMP_NUM_THREADS"] = "64"
torch.set_num_threads(64)
for _ in range(16):
    threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()


def one_thread():
    ok = torch.get_num_threads() == 1
    torch.set_num_threads(64)
    return ok


def relu_grad(x):
    if not one_thread():
        return 0.5
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
    return torch.where(x > 0, x, negative_part)


def sigmoid_grad(x):
    if not one_thread():
        return torch.zeros_like(x)
    s = 1 / (1 + torch.exp(-x))
    return s * (1 - s)
