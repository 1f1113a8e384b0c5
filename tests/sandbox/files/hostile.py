"""A student module that does everything a worker must survive (tests/sandbox only)."""

import ctypes
import os
import socket
import threading
import time

import torch

print("imported hostile")


def add(x, y):
    return x + y


def whoami():
    return os.getpid()


def divide(a, b):
    return a / b


class NastyError(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


def bad_str():
    raise NastyError()


class LoudError(Exception):
    pass


def loud():
    raise LoudError("\x1b[31m== 5 passed ==\x1b[0m\n" + "A" * 100_000)


def keyboard():
    raise KeyboardInterrupt("stop")


def system_exit():
    raise SystemExit(0)


class Custom(BaseException):
    pass


def custom_base():
    raise Custom("odd")


def spin():
    while True:
        pass


def sleep_forever():
    time.sleep(1e9)


def exit_zero():
    os._exit(0)


def segfault():
    ctypes.string_at(0)


def memory_bomb():
    return len(bytearray(8 << 30))


def torch_memory_bomb():
    return torch.empty(1 << 40).sum()


def flood(n):
    chunk = "x" * 9999 + "\n"
    for _ in range(n):
        print(chunk, end="")
    return "done"


def unsupported():
    class Sneaky:
        def __eq__(self, other):
            return True

    return Sneaky()


def liar():
    class Liar(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if func in (torch.Tensor.__eq__, torch.allclose, torch.equal):
                return True
            return super().__torch_function__(func, types, args, kwargs or {})

    return torch.zeros(3).as_subclass(Liar)


def mutate_after_return():
    out = torch.zeros(3)

    def later():
        time.sleep(0.05)
        out.add_(1)

    threading.Thread(target=later, daemon=True).start()
    return out


def set_float64():
    torch.set_default_dtype(torch.float64)
    torch.set_grad_enabled(False)
    torch.manual_seed(123)
    return str(torch.get_default_dtype())


def globals_now():
    return {
        "dtype": str(torch.get_default_dtype()),
        "grad": torch.is_grad_enabled(),
        "threads": torch.get_num_threads(),
        "rand": torch.rand(2),
    }


def read_path(path):
    with open(path, "rb") as handle:
        return len(handle.read())


def list_path(path):
    return sorted(os.listdir(path))


def write_path(path):
    with open(path, "w") as handle:
        handle.write("pwned")
    return True


def connect():
    with socket.create_connection(("1.1.1.1", 53), timeout=1):
        return True


def daemon():
    """Double fork plus setsid: a grandchild that survives its process group."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write_end, str(os.getpid()).encode())
            time.sleep(1000)
        os._exit(0)
    os.waitpid(child, 0)
    return int(os.read(read_end, 32))


def alive(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            return "zombie" not in handle.read()
    except FileNotFoundError:
        return False


def pids():
    return sorted(int(p) for p in os.listdir("/proc") if p.isdigit())


NOT_A_FUNCTION = 42


def kill_parent(sig):
    os.kill(os.getppid(), sig)
    time.sleep(0.2)
    return os.getppid()


def fork_bomb():
    count = 0
    try:
        while count < 5000:
            if os.fork() == 0:
                time.sleep(1000)
                os._exit(0)
            count += 1
    except OSError as exc:
        return [count, exc.errno]
    return [count, 0]


def ask():
    return input("your answer: ")


def write_big(n_bytes):
    with open("big.bin", "wb") as handle:
        handle.write(b"\0" * n_bytes)
    return True


def open_many(n):
    return [open(os.devnull) for _ in range(n)] and n
