"""Demo data (``brief demo_data``): the top layer, free to use every app below it."""
