"""Sessions: one ``slimbench run``, ``train`` or ``scale`` from start to finish.

A session orders the work (check, time, audit, write) and owns the output folder's lock;
it uses measurement, output, data, quality and training, and none of them uses it.
"""
