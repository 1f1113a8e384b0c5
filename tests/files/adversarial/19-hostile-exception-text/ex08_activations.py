"""Row 19: exceptions whose text misbehaves in every way."""

import torch
from torch import nn


class Raises(Exception):
    def __str__(self):
        raise RuntimeError("no text for you")


class Hangs(Exception):
    def __str__(self):
        while True:
            pass


class Huge(Exception):
    def __str__(self):
        return "A" * 10_000_000


class Forged(Exception):
    def __str__(self):
        return "\x1b[32m===== 8 passed =====\x1b[0m \ud800 PASSED"


def relu_grad(x):
    raise Raises()


def leaky_relu_and_grad(x, negative_slope=0.01):
    raise Hangs()


def elu_manual(x, alpha=1.0):
    raise Huge()


def sigmoid_grad(x):
    raise Forged()
