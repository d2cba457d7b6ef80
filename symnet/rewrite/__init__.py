"""Graph rewrites: a pattern engine, rule sets (fold, canonicalize, stabilize) and the pass order."""
