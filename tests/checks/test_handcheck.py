"""grader.handcheck: forbidden shortcuts found through every alias form, never executed."""

from __future__ import annotations

import textwrap

import pytest

from grader.compare import CheckFailed
from grader.handcheck import Shortcut, find_shortcuts, require_by_hand

SOFTMAX = ["torch.softmax", "F.softmax", "nn.Softmax", "Tensor.softmax"]
CROSS_ENTROPY = ["nn.CrossEntropyLoss", "F.cross_entropy", "F.nll_loss", "F.log_softmax"]
AUTOGRAD = ["backward", "torch.autograd"]


def scan(body: str, forbidden: list[str], function: str = "f") -> list[tuple[str, int]]:
    source = textwrap.dedent(body)
    return [(s.name, s.line) for s in find_shortcuts(source, function, forbidden)]


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("import torch.nn.functional as F\ndef f(z):\n    return F.softmax(z, 1)\n", "F.softmax"),
        ("import torch.nn.functional as fn\ndef f(z):\n    return fn.softmax(z, 1)\n", "F.softmax"),
        ("from torch.nn import functional as F\ndef f(z):\n    return F.softmax(z, 1)\n",
         "F.softmax"),
        ("from torch.nn.functional import softmax as sm\ndef f(z):\n    return sm(z, 1)\n",
         "F.softmax"),
        ("from torch.nn.functional import softmax\ndef f(z):\n    return softmax(z, 1)\n",
         "F.softmax"),
        ("from torch.nn.functional import *\ndef f(z):\n    return softmax(z, 1)\n", "F.softmax"),
        ("import torch\ndef f(z):\n    return torch.nn.functional.softmax(z, 1)\n", "F.softmax"),
        ("import torch.nn\ndef f(z):\n    return torch.nn.functional.softmax(z, 1)\n",
         "F.softmax"),
        ("import torch as t\ndef f(z):\n    return t.softmax(z, 1)\n", "torch.softmax"),
        ("import torch\ndef f(z):\n    return torch.softmax(z, 1)\n", "torch.softmax"),
        ("from torch import softmax\ndef f(z):\n    return softmax(z, 1)\n", "torch.softmax"),
        ("def f(z):\n    return z.softmax(dim=1)\n", "Tensor.softmax"),
        ("import torch\ndef f(z):\n    return torch.Tensor.softmax(z, 1)\n", "Tensor.softmax"),
        ("import torch\ndef f(z):\n    return (z * 2).softmax(1)\n", "Tensor.softmax"),
        ("import torch\ndef f(z):\n    y = torch.exp(z)\n    return y.softmax(1)\n",
         "Tensor.softmax"),
        ("from torch import nn\ndef f(z):\n    return nn.Softmax(dim=1)(z)\n", "nn.Softmax"),
        ("import torch.nn as nn\ndef f(z):\n    return nn.Softmax(dim=1)(z)\n", "nn.Softmax"),
        ("import torch\ndef f(z):\n    return torch.nn.Softmax(dim=1)(z)\n", "nn.Softmax"),
        ("from torch.nn import Softmax\ndef f(z):\n    return Softmax(1)(z)\n", "nn.Softmax"),
        ("import torch.nn.functional as F\ndef f(z):\n    return getattr(F, 'softmax')(z, 1)\n",
         "F.softmax"),
        ("import torch.nn.functional as F\nsm = F.softmax\ndef f(z):\n    return sm(z, 1)\n",
         "F.softmax"),
        ("import torch\ndef f(z):\n    F = torch.nn.functional\n    return F.softmax(z, 1)\n",
         "F.softmax"),
        ("def f(z):\n    import torch.nn.functional as F\n    return F.softmax(z, 1)\n",
         "F.softmax"),
        ("def f(z):\n    from torch.nn.functional import softmax\n    return softmax(z, 1)\n",
         "F.softmax"),
        ("import torch.nn.functional as F\ndef f(zs):\n    return list(map(F.softmax, zs))\n",
         "F.softmax"),
    ],
)  # fmt: skip
def test_softmax_alias_forms(source: str, name: str) -> None:
    found = find_shortcuts(source, "f", SOFTMAX)
    assert name in {s.name for s in found}, found
    assert any(s.function == "f" for s in found)  # the use in f itself is found


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("from torch import nn\ndef f(l, t):\n    return nn.CrossEntropyLoss()(l, t)\n",
         "nn.CrossEntropyLoss"),
        ("import torch\ndef f(l, t):\n    return torch.nn.CrossEntropyLoss()(l, t)\n",
         "nn.CrossEntropyLoss"),
        ("from torch import nn\nloss_fn = nn.CrossEntropyLoss()\ndef f(l, t):\n"
         "    return loss_fn(l, t)\n", "nn.CrossEntropyLoss"),
        ("import torch.nn.functional as F\ndef f(l, t):\n"
         "    return F.nll_loss(F.log_softmax(l, 1), t)\n", "F.nll_loss"),
        ("import torch\ndef f(l, t):\n    return -torch.log_softmax(l, 1)[0, t[0]]\n",
         "torch.log_softmax"),
        ("def f(l, t):\n    return -l.log_softmax(1).mean()\n", "Tensor.log_softmax"),
    ],
)  # fmt: skip
def test_cross_entropy_alias_forms(source: str, name: str) -> None:
    forbidden = [*CROSS_ENTROPY, "torch.log_softmax", "Tensor.log_softmax"]
    assert name in {s.name for s in find_shortcuts(source, "f", forbidden)}


def test_reports_line_and_spelling_of_the_forbidden_list() -> None:
    source = """
    import torch
    import torch.nn.functional as F


    def f(logits, target):
        x = logits * 1
        return F.cross_entropy(x, target)
    """
    assert scan(source, CROSS_ENTROPY) == [("F.cross_entropy", 8)]


def test_helpers_are_followed_transitively() -> None:
    source = """
    import torch.nn.functional as F

    def _inner(z):
        return z.softmax(dim=-1)

    def _outer(z):
        return _inner(z) * 1

    class Tools:
        @staticmethod
        def norm(z):
            return F.softmax(z, -1)

    def f(z):
        return _outer(z)

    def g(z):
        return Tools.norm(z)

    def unrelated(z):
        return F.softmax(z, 0)
    """
    found = find_shortcuts(textwrap.dedent(source), "f", SOFTMAX)
    assert found == [Shortcut(line=5, name="Tensor.softmax", function="_inner")]
    assert scan(source, SOFTMAX, "g") == [("F.softmax", 13)]


def test_recursive_helpers_terminate() -> None:
    source = """
    def a(z):
        return b(z)

    def b(z):
        return a(z).softmax(0)

    def f(z):
        return a(z)
    """
    assert scan(source, SOFTMAX) == [("Tensor.softmax", 6)]


def test_the_function_bound_to_a_shortcut_itself() -> None:
    source = "from torch.nn.functional import cross_entropy as f\n"
    assert scan(source, CROSS_ENTROPY) == [("F.cross_entropy", 1)]
    source = "import torch.nn.functional as F\nf = F.cross_entropy\n"
    assert scan(source, CROSS_ENTROPY) == [("F.cross_entropy", 2)]


def test_last_definition_wins() -> None:
    source = """
    import torch

    def f(z):
        return torch.softmax(z, 1)

    def f(z):
        e = z.exp()
        return e / e.sum(1, keepdim=True)
    """
    assert scan(source, SOFTMAX) == []


def test_definitions_inside_if_and_try_blocks() -> None:
    source = """
    import torch
    try:
        def f(z):
            return torch.softmax(z, 1)
    except Exception:
        pass
    """
    assert scan(source, SOFTMAX) == [("torch.softmax", 5)]


def test_hand_written_versions_are_clean() -> None:
    softmax = """
    import torch
    import torch.nn.functional as F  # imported but not used by f

    def f(z):
        shifted = z - z.max(dim=-1, keepdim=True).values
        return torch.exp(shifted - torch.logsumexp(shifted, dim=-1, keepdim=True))
    """
    assert scan(softmax, SOFTMAX) == []
    cross_entropy = """
    import torch

    def f(logits, target):
        log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        return -log_probs.gather(1, target.view(-1, 1)).mean()
    """
    assert scan(cross_entropy, CROSS_ENTROPY) == []


def test_isinstance_tests_are_not_uses() -> None:
    source = """
    from torch import nn

    def f(net, x):
        for layer in net:
            if isinstance(layer, (nn.Linear, nn.ReLU)):
                x = x @ layer.weight.T + layer.bias
        return x
    """
    assert scan(source, ["nn.Linear", "F.linear"]) == []
    assert scan(source.replace("isinstance(", "print("), ["nn.Linear"]) == [("nn.Linear", 6)]


def test_autograd_rules() -> None:
    source = """
    import torch
    from torch.autograd import grad

    def f(p, y):
        p = p.detach().requires_grad_()
        loss = -(y * p.log()).mean()
        loss.backward()
        return p.grad

    def g(p, y):
        return grad(p.sum(), p)[0]

    def h(p, y):
        return torch.autograd.functional.jacobian(lambda q: q, p)

    def k(p, y):
        torch.autograd.backward(p.sum())
    """
    assert scan(source, AUTOGRAD) == [("backward", 8)]
    assert scan(source, AUTOGRAD, "g") == [("torch.autograd", 12)]
    assert scan(source, AUTOGRAD, "h") == [("torch.autograd", 15)]
    assert scan(source, AUTOGRAD, "k") == [("backward", 18), ("torch.autograd", 18)]
    assert scan(source, ["torch.autograd.grad"], "g") == [("torch.autograd.grad", 12)]
    assert scan(source, ["torch.autograd.grad"], "h") == []


def test_unknown_function_syntax_error_and_never_executes() -> None:
    assert find_shortcuts("def f(:\n", "f", SOFTMAX) == []
    assert find_shortcuts("import torch\n", "f", SOFTMAX) == []
    # executing this source would raise; parsing it does not
    assert find_shortcuts("raise SystemExit(3)\ndef f(z):\n    return z\n", "f", SOFTMAX) == []


def test_one_entry_per_line_and_name() -> None:
    source = "import torch\ndef f(z):\n    return torch.softmax(torch.softmax(z, 1), 1)\n"
    assert scan(source, SOFTMAX) == [("torch.softmax", 3)]


def test_require_by_hand_message_and_mistake() -> None:
    source = textwrap.dedent(
        """
        import torch.nn.functional as F
        from torch import nn

        def _helper(l, t):
            return nn.CrossEntropyLoss()(l, t)

        def cross_entropy_manual(logits, target):
            _helper(logits, target)
            return F.cross_entropy(logits, target)
        """
    )
    with pytest.raises(CheckFailed) as info:
        require_by_hand(source, "cross_entropy_manual", CROSS_ENTROPY)
    assert info.value.message == (
        "cross_entropy_manual must be written by hand but calls F.cross_entropy (line 10); "
        "also nn.CrossEntropyLoss"
    )
    assert info.value.mistake == "shortcut_used:F.cross_entropy"
    require_by_hand(source, "cross_entropy_manual", ["torch.softmax"])  # no raise


def test_require_by_hand_names_the_helper() -> None:
    source = "import torch\ndef _h(z):\n    return torch.softmax(z, 1)\n"
    source += "def f(z):\n    return _h(z)\n"
    with pytest.raises(CheckFailed) as info:
        require_by_hand(source, "f", SOFTMAX, exercise_hint="Subtract the max, exp, normalise")
    assert info.value.message == (
        "f must be written by hand but calls torch.softmax (line 3, in helper _h). "
        "Subtract the max, exp, normalise"
    )


def test_lambda_helpers_bound_at_module_level() -> None:
    source = "import torch\nnorm = lambda z: torch.softmax(z, 1)\ndef f(z):\n    return norm(z)\n"
    assert scan(source, SOFTMAX) == [("torch.softmax", 2)]


def test_skip_leaves_other_graded_functions_to_their_own_check() -> None:
    source = """
    import torch.nn.functional as F

    def softmax_manual(z):
        return F.softmax(z, -1)

    def _layer(x, w, b):
        return F.linear(x, w, b)

    def forward_manual(net, x):
        for layer in net:
            x = _layer(x, layer.weight, layer.bias)
        return softmax_manual(x)
    """
    forbidden = ["F.linear", "F.softmax"]
    assert scan(source, forbidden, "forward_manual") == [("F.softmax", 5), ("F.linear", 8)]
    found = find_shortcuts(
        textwrap.dedent(source), "forward_manual", forbidden, skip=["softmax_manual"]
    )
    assert [(s.name, s.function) for s in found] == [("F.linear", "_layer")]
    # skipping the function itself is meaningless and ignored
    found = find_shortcuts(
        textwrap.dedent(source), "softmax_manual", forbidden, skip=["softmax_manual"]
    )
    assert [s.name for s in found] == ["F.softmax"]


def test_a_module_level_binding_is_reported_where_it_is_used() -> None:
    source = """
    from torch import nn

    _loss = nn.MSELoss()

    def _helper(p, t):
        return _loss(p, t)

    def mse_manual(p, t):
        return _helper(p, t)
    """
    found = find_shortcuts(textwrap.dedent(source), "mse_manual", ["nn.MSELoss"])
    assert found == [Shortcut(line=7, name="nn.MSELoss", function="_helper")]
