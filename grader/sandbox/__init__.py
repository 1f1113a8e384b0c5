"""The sandbox: student code in a forked worker, values through a restricted codec.

See docs/architecture.md. Importing this package imports nothing else: the
untrusted host imports only the submodules it needs.
"""
