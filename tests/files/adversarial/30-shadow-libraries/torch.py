"""A fake torch: would make every function return the right answer's type with fake values."""
SHADOWED = True
