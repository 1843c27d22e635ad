# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""py3langid's classify in C: the byte n-gram automaton walk and the naive Bayes scores.

crawlers/html/language.py's _Automaton builds one Scorer from py3langid's arrays and calls
Scorer.classify(encoded bytes) -> (class index, probability). It computes what
_Automaton.classify's numpy path computes (the reference; tests compare the two):

- the automaton walked byte by byte, `state = nextmove[rowbase[state] + byte]` from state 0
  (py3langid's visit_counts), the feature `output[state]` kept when >= 0 (through tables
  fused by transition, built once in __init__: the next state's row and its feature);
- distinct features with their counts in first-seen order (a per-instance array
  feature -> slot, -1 when unseen, reset after each call touching only the used entries);
- scores[c] = sum over features of log1p(count) * table[feature, c], rounded to float32,
  then + nb_pc[c] in float32; the sum runs in groups of four features (float32) added into
  a double accumulator;
- numpy's normalisation: times float32(1/sqrt(len(data) or 1)), exp(s - max), divided by the
  sum (numpy's pairwise summation order, so that step is bit-identical), alias columns
  folded, first argmax.

log1p of counts under the `log1p` table's length comes from that table (language.py fills it
with numpy's own float32 log1p, so those are bit-identical). The rest is not bit-identical to
numpy: exp is libm's expf (numpy's SIMD float32 exp differs in the last bit for some inputs),
and numpy's matmul goes through BLAS (blocked, FMA), whose float32 sums of hundreds of terms of
magnitude ~1e3 round differently. A plain float32 sum in feature order was 1.5e-4 off in
probability on 1000-byte texts; the double accumulator keeps this scorer within 5e-6 of a
float64 computation, closer than py3langid's own float32 BLAS path (1.3e-5 on random
texts). tests/crawlers/html/test_language.py bounds both.

Arrays are checked once in __init__ (every transition, row offset and feature id in range),
so the unchecked indexing in classify cannot leave them. classify holds the GIL throughout;
the reusable buffers are per instance.
"""

from libc.math cimport expf, log1pf, sqrt
from libc.stdint cimport int32_t, int64_t, uint16_t, uint32_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy

cdef extern from *:
    """
    #include <stdlib.h>
    #if defined(__linux__)
    #include <sys/mman.h>
    #endif
    /* Memory for the big tables, on 2 MiB pages where the kernel allows it (Linux THP in
       "madvise" mode): the walk and the row gathers touch random places of ~115 MB, and with
       4 KiB pages nearly every touch is also a TLB miss. */
    static void *langid_alloc_big(size_t n) {
    #if defined(__linux__)
        void *p = NULL;
        if (posix_memalign(&p, (size_t)1 << 21, n ? n : 1) != 0) return NULL;
    #ifdef MADV_HUGEPAGE
        madvise(p, n, MADV_HUGEPAGE);
    #endif
        return p;
    #else
        return malloc(n ? n : 1);
    #endif
    }
    """
    void *langid_alloc_big(size_t n) nogil


cdef float _pairwise_sum(const float *a, Py_ssize_t n) noexcept nogil:
    """numpy's pairwise_sum_FLOAT (umath loops_utils.h), for float32 sums equal to numpy's."""
    cdef Py_ssize_t i, n2
    cdef float res
    cdef float r[8]
    if n < 8:
        res = -0.0
        for i in range(n):
            res += a[i]
        return res
    elif n <= 128:  # numpy's PW_BLOCKSIZE
        for i in range(8):
            r[i] = a[i]
        i = 8
        while i < n - (n % 8):
            r[0] += a[i + 0]
            r[1] += a[i + 1]
            r[2] += a[i + 2]
            r[3] += a[i + 3]
            r[4] += a[i + 4]
            r[5] += a[i + 5]
            r[6] += a[i + 6]
            r[7] += a[i + 7]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_sum(a, n2) + _pairwise_sum(a + n2, n - n2)


cdef class Scorer:
    """py3langid's LanguageIdentifier.classify (norm_probs=True) over encoded bytes."""

    cdef float *table  # (features, classes) float32, copied into big-page memory
    cdef const float[::1] nb_pc
    cdef const float[::1] log1p
    cdef Py_ssize_t n_classes
    cdef int32_t *slot  # feature id -> index in feats; -1 when unseen (all -1 between calls)
    cdef int32_t *feats
    cdef int32_t *counts
    cdef float *weights
    cdef Py_ssize_t cap
    cdef float *scores
    cdef double *sums  # the scores' double accumulators
    cdef Py_ssize_t *alias  # pairs (i, j): scores[i] += scores[j]; scores[j] = 0
    cdef Py_ssize_t n_alias
    # The walk's tables fused by transition: the next state's row and its feature. One load
    # per byte is on the walk's serial chain (next_row) instead of two (rowbase, nextmove), and
    # the feature load is off it; cold, that halves a 500-byte walk (~250 -> ~120 us).
    cdef uint16_t *next_row
    cdef int32_t *next_out
    cdef Py_ssize_t row0

    def __cinit__(self):
        self.table = NULL
        self.next_row = NULL
        self.next_out = NULL
        self.slot = NULL
        self.feats = NULL
        self.counts = NULL
        self.weights = NULL
        self.scores = NULL
        self.sums = NULL
        self.alias = NULL
        self.cap = 0

    def __init__(self, const uint32_t[::1] nextmove, const int64_t[::1] rowbase,
                 const int32_t[::1] output, const float[:, ::1] table, const float[::1] nb_pc,
                 alias_pairs, const float[::1] log1p):
        """nextmove: the flat transition table; rowbase: a state's offset in it (row << 8);
        output: a state's feature id or -1; table: float32 (features, classes) log-probs;
        nb_pc: class priors; alias_pairs: (i, j) column pairs; log1p: log1p(k) for small k."""
        cdef Py_ssize_t n_states = rowbase.shape[0], n_feats = table.shape[0]
        cdef Py_ssize_t i, k
        if output.shape[0] != n_states:
            raise ValueError(f"output has {output.shape[0]} states, rowbase {n_states}")
        if nb_pc.shape[0] != table.shape[1] or table.shape[1] == 0:
            raise ValueError(f"nb_pc has {nb_pc.shape[0]} classes, table {table.shape[1]}")
        if n_states == 0 or log1p.shape[0] < 2:
            raise ValueError("empty automaton or log1p table")
        for i in range(n_states):
            if rowbase[i] < 0 or rowbase[i] + 256 > nextmove.shape[0]:
                raise ValueError(f"rowbase[{i}] = {rowbase[i]} outside nextmove")
            if rowbase[i] % 256 or rowbase[i] // 256 > 65535:
                raise ValueError(f"rowbase[{i}] = {rowbase[i]} is not a row of at most 65536 (row << 8)")
            if output[i] >= n_feats:
                raise ValueError(f"output[{i}] = {output[i]} outside table")
        self.next_row = <uint16_t *>langid_alloc_big(nextmove.shape[0] * sizeof(uint16_t))
        self.next_out = <int32_t *>langid_alloc_big(nextmove.shape[0] * sizeof(int32_t))
        self.table = <float *>langid_alloc_big(n_feats * table.shape[1] * sizeof(float))
        if self.next_row is NULL or self.next_out is NULL or self.table is NULL:
            raise MemoryError()
        for i in range(nextmove.shape[0]):  # checked and fused in one pass
            if <Py_ssize_t>nextmove[i] >= n_states:
                raise ValueError(f"nextmove[{i}] = {nextmove[i]} is no state")
            self.next_row[i] = <uint16_t>(rowbase[nextmove[i]] >> 8)
            self.next_out[i] = output[nextmove[i]]
        self.row0 = rowbase[0] >> 8
        if n_feats:
            memcpy(self.table, &table[0, 0], n_feats * table.shape[1] * sizeof(float))
        pairs = [(int(a), int(b)) for a, b in alias_pairs]
        for a, b in pairs:
            if not (0 <= a < table.shape[1] and 0 <= b < table.shape[1]):
                raise ValueError(f"alias pair {(a, b)} outside the classes")
        self.nb_pc, self.log1p = nb_pc, log1p
        self.n_classes = table.shape[1]
        self.slot = <int32_t *>malloc(max(n_feats, 1) * sizeof(int32_t))
        self.scores = <float *>malloc(self.n_classes * sizeof(float))
        self.sums = <double *>malloc(self.n_classes * sizeof(double))
        self.alias = <Py_ssize_t *>malloc(max(2 * len(pairs), 1) * sizeof(Py_ssize_t))
        if self.slot is NULL or self.scores is NULL or self.sums is NULL or self.alias is NULL:
            raise MemoryError()
        for i in range(n_feats):
            self.slot[i] = -1
        self.n_alias = len(pairs)
        for k, (a, b) in enumerate(pairs):
            self.alias[2 * k] = a
            self.alias[2 * k + 1] = b

    def __dealloc__(self):
        free(self.table)
        free(self.next_row)
        free(self.next_out)
        free(self.slot)
        free(self.feats)
        free(self.counts)
        free(self.weights)
        free(self.scores)
        free(self.sums)
        free(self.alias)

    cdef int _reserve(self, Py_ssize_t n) except -1:
        """feats/counts/weights hold at least n entries (distinct features <= bytes)."""
        cdef int32_t *feats
        cdef int32_t *counts
        cdef float *weights
        if n <= self.cap:
            return 0
        n = max(n, 2 * self.cap, 1024)
        feats = <int32_t *>realloc(self.feats, n * sizeof(int32_t))
        if feats is NULL:
            raise MemoryError()
        self.feats = feats
        counts = <int32_t *>realloc(self.counts, n * sizeof(int32_t))
        if counts is NULL:
            raise MemoryError()
        self.counts = counts
        weights = <float *>realloc(self.weights, n * sizeof(float))
        if weights is NULL:
            raise MemoryError()
        self.weights = weights
        self.cap = n
        return 0

    def classify(self, bytes data not None):
        """(class index, probability) for py3langid-encoded bytes (LanguageIdentifier._encode)."""
        cdef Py_ssize_t n = len(data), n_classes = self.n_classes
        cdef const unsigned char *p = data
        cdef const uint16_t *nrow = self.next_row
        cdef const int32_t *nout = self.next_out
        cdef Py_ssize_t row, pos
        cdef const float *tab = self.table
        cdef const float *pc = &self.nb_pc[0]
        cdef const float *lg = &self.log1p[0]
        cdef Py_ssize_t n_log1p = self.log1p.shape[0]
        cdef int32_t *slot = self.slot
        cdef float *s = self.scores
        cdef int32_t *feats
        cdef int32_t *counts
        cdef float *weights
        cdef const float *r0
        cdef const float *r1
        cdef const float *r2
        cdef const float *r3
        cdef Py_ssize_t i, c, k, nf = 0, best
        cdef int32_t f
        cdef float w0, w1, w2, w3
        cdef float top, total, scale
        cdef double *acc = self.sums
        self._reserve(n)
        feats, counts, weights = self.feats, self.counts, self.weights
        row = self.row0
        for i in range(n):  # visit_counts: features in first-seen order, with counts
            pos = (row << 8) | p[i]  # = rowbase[state] + byte
            f = nout[pos]  # = output[nextmove[pos]]
            row = nrow[pos]  # = rowbase[nextmove[pos]] >> 8
            if f >= 0:
                k = slot[f]
                if k < 0:
                    slot[f] = <int32_t>nf
                    feats[nf] = f
                    counts[nf] = 1
                    nf += 1
                else:
                    counts[k] += 1
        for k in range(nf):  # weights log1p(count); slots back to unseen
            slot[feats[k]] = -1
            weights[k] = lg[counts[k]] if counts[k] < n_log1p else log1pf(<float>counts[k])
        # weights @ table[feats]: four rows at a time in float32 (SIMD), added into double
        # sums that are rounded once (module docstring: a float32 running sum drifts).
        for c in range(n_classes):
            acc[c] = 0.0
        k = 0
        while k + 4 <= nf:
            w0, w1, w2, w3 = weights[k], weights[k + 1], weights[k + 2], weights[k + 3]
            r0 = tab + <Py_ssize_t>feats[k] * n_classes
            r1 = tab + <Py_ssize_t>feats[k + 1] * n_classes
            r2 = tab + <Py_ssize_t>feats[k + 2] * n_classes
            r3 = tab + <Py_ssize_t>feats[k + 3] * n_classes
            for c in range(n_classes):
                acc[c] += <double>((w0 * r0[c] + w1 * r1[c]) + (w2 * r2[c] + w3 * r3[c]))
            k += 4
        while k < nf:
            w0 = weights[k]
            r0 = tab + <Py_ssize_t>feats[k] * n_classes
            for c in range(n_classes):
                acc[c] += w0 * r0[c]
            k += 1
        for c in range(n_classes):
            s[c] = <float>acc[c]
        if nf:  # + nb_pc; no features: py3langid's uniform 0.0 scores
            for c in range(n_classes):
                s[c] += pc[c]
        scale = <float>(1.0 / sqrt(<double>(n if n else 1)))
        top = s[0] * scale
        for c in range(n_classes):
            s[c] *= scale
            if s[c] > top:
                top = s[c]
        for c in range(n_classes):
            s[c] = expf(s[c] - top)
        total = _pairwise_sum(s, n_classes)
        for c in range(n_classes):
            s[c] /= total
        for k in range(self.n_alias):
            s[self.alias[2 * k]] += s[self.alias[2 * k + 1]]
            s[self.alias[2 * k + 1]] = 0.0
        best = 0
        for c in range(1, n_classes):
            if s[c] > s[best]:
                best = c
        return best, <double>s[best]
