"""Musical core: score, tokens, corpus and file formats. Knows nothing of Qt or torch."""
