# cython-untyped (seed In [31]): the python-indptr loop compiled by Cython unchanged.
include "_indptr_loop.py"
