"""Paper experiments, one module each (``register_recipe(Recipe(...))`` at import time).

Importing this package imports no recipe: :func:`tenfold.runtime.registry.recipe_index` reads
their metadata from source, and :func:`~tenfold.runtime.registry.get_recipe` imports the one
module a run needs (``all_recipes()`` imports them all).
"""
