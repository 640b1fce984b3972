"""The `marrow-cds` command (`main`) and its offline tools: evaluate, example, read-report."""
