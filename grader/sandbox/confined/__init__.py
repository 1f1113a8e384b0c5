"""Runs confined: the code that starts, serves and confines student code.

Whom it trusts: nobody. Everything here may be imported inside the sandbox,
so it imports only the standard library, torch, numpy and
``grader.sandbox.wire``; never pytest, a check, a solution or a report.
"""
