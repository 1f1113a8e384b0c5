"""The trusted side of the sandbox: what the judge uses to reach student code.

Launching hosts (``launcher``, ``spawner``), the client (``client``) and a
submission's session (``session``), the in-process backend used by tests and
by ``grader check`` on a student's own machine (``inprocess``, no boundary),
and the errors that carry student faults back (``errors``). Never imported
inside the sandbox; it trusts the judge and decodes what workers send as
hostile input.
"""
