"""Row 18: each function raises a BaseException that is not an Exception."""

import torch
from torch import nn


class Vanish(BaseException):
    pass


def relu_grad(x):
    raise KeyboardInterrupt('stop')


def leaky_relu_and_grad(x, negative_slope=0.01):
    raise SystemExit(0)


def elu_manual(x, alpha=1.0):
    raise GeneratorExit


def sigmoid_grad(x):
    raise Vanish('gone')
