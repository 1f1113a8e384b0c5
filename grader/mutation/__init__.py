"""Mutation testing of an assignment's hidden checks (``grader mutants``).

Wrong variants of the reference solutions, made by generic AST operators
(:mod:`.operators`) and by the assignment's own catalogue of realistic
mistakes (:mod:`.content`), are screened against the reference on random
inputs (:mod:`.equivalence`) and graded through the sandbox like any
submission (:mod:`.run`); :mod:`.summary` prints the score and survivors.
"""
