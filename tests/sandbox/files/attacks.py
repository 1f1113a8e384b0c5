"""What a hostile student tries against the grader itself; each says what happened."""

import os
import socket


def _outcome(action):
    try:
        action()
    except OSError as exc:
        return f"refused: {type(exc).__name__}"
    return "done"


def read(path):
    def action():
        with open(path, "rb") as handle:
            handle.read(1)

    return _outcome(action)


def listing(path):
    return _outcome(lambda: os.listdir(path))


def write(path):
    def action():
        with open(path, "w") as handle:
            handle.write("3")

    return _outcome(action)


def kill(pid):
    return _outcome(lambda: os.kill(pid, 0))


def connect_unix(path):
    def action():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)

    return _outcome(action)


def connect_tcp(port):
    def action():
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass

    return _outcome(action)


def uid():
    return os.getuid()


def other_scratch(pattern):
    """Scratch folders of other judges' workers this one can list (its own excepted)."""
    import glob

    mine = os.path.dirname(os.getcwd())
    found = []
    for judge in glob.glob(pattern):
        try:
            names = os.listdir(judge)
        except OSError:
            names = []
        for name in {"scratch", *names}:
            path = os.path.join(judge, name)
            if path == mine:
                continue
            try:
                os.listdir(path)
            except OSError:
                continue
            found.append(path)
    return found
