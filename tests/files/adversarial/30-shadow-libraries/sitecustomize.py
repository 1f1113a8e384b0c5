import builtins
builtins.SHADOWED = True
