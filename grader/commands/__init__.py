"""One module per CLI verb. Each exposes ``register(verbs)``, which adds its
subparser and sets ``func`` to a ``run(args) -> int``; ``grader.cli`` lists them."""
