"""Row 31: prints every input it is given, then answers wrongly."""

import sys
import torch
from torch import nn


def relu_grad(x):
    print('LEAKED relu_grad input', x)
    print('LEAKED relu_grad input', x, file=sys.stderr)
    return -1.0


def leaky_relu_and_grad(x, negative_slope=0.01):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    output = nn.LeakyReLU(negative_slope)(point)
    output.backward()
    return output.item(), point.grad.item()


def elu_manual(x, alpha=1.0):
    negative_part = alpha * torch.expm1(x.clamp(max=0))
    return torch.where(x > 0, x, negative_part)


def sigmoid_grad(x):
    print('LEAKED sigmoid_grad input', x.tolist())
    return torch.zeros_like(x)
