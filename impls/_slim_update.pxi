# The L2 step of impls/slim.py (l2_updated), its C twin for the Cython tiers:
#     S[j, i] = S[j, i] + lr * ((err * r_j) - (l2 * S[j, i]))
# in exactly that evaluation order. The extensions are built with -ffp-contract=off, so no
# operation is fused into a multiply-add and each rounds as numpy's does.

from cython cimport floating


cdef inline floating l2_updated(floating s, floating learning_rate, floating err,
                                floating rating, floating l2) noexcept nogil:
    return s + learning_rate * (err * rating - l2 * s)
