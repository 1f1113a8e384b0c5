"""Row 3: functions that sleep, wait or read input instead of answering."""

import sys
import threading
import time
import torch
from torch import nn


def relu_grad(x):
    time.sleep(1e9)


def leaky_relu_and_grad(x, negative_slope=0.01):
    return float(input('slope? ')), 0.0


def elu_manual(x, alpha=1.0):
    sys.stdin.read()
    negative_part = alpha * torch.expm1(x.clamp(max=0))
    return torch.where(x > 0, x, negative_part)


def sigmoid_grad(x):
    threading.Event().wait()
