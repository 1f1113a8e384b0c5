"""Row 32: relu_grad connects out and sends a datagram, leaky_relu_and_grad resolves a name."""

import socket
import torch
from torch import nn


def relu_grad(x):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.sendto(b"score=100", ("192.0.2.1", 53))
    except OSError:
        pass
    with socket.create_connection(("192.0.2.1", 80), timeout=0.5) as conn:
        conn.sendall(b"GET /hidden-tests HTTP/1.0\r\n\r\n")
    return 1.0


def leaky_relu_and_grad(x, negative_slope=0.01):
    socket.getaddrinfo("example.com", 443)
    return 1.0, 1.0


def elu_manual(x, alpha=1.0):
    negative_part = alpha * torch.expm1(x.clamp(max=0))
    return torch.where(x > 0, x, negative_part)


def sigmoid_grad(x):
    s = 1 / (1 + torch.exp(-x))
    return s * (1 - s)
