"""What crosses the trust boundary: the codec and the framing.

Imported on both sides. Decoding never executes code (JSON plus raw tensor
bytes, rebuilt as plain tensors), so a hostile reply can lie about values
but cannot run anything in the judge.
"""
