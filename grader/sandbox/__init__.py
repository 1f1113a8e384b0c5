"""The sandbox: student code in a forked worker, values through a restricted codec.

Three folders, one per side of the trust boundary (docs/architecture.md):

- ``confined/`` runs where student code runs or is forked from: the host
  template, the host, the worker, the probe runtime and the confinement it
  applies to itself (namespaces, Landlock, seccomp, dropped privileges). It
  trusts nothing it receives and imports only the standard library, torch,
  numpy and ``wire/``.
- ``wire/`` is what crosses the boundary: the codec (data only, never
  pickle) and the framing. Both sides import it; the trusted side decodes
  every reply as hostile input.
- ``trusted/`` is used by the judge only: launching hosts, the client and
  the per-submission session, the in-process backend for tests, and the
  student-fault errors the plugin turns into statuses. Nothing here is
  imported inside the sandbox.

Importing this package imports nothing else.
"""
