"""Compiled exact max-norm k-NN distances and radius counts for the KSG family (numba).

Two kernels, both exact on the float distances ``fl(max_d |a_d - b_d|)`` (the same floats a
:class:`scipy.spatial.cKDTree` or :func:`scipy.spatial.distance.cdist` computes: the
maximum of rounded absolute differences involves no further rounding):

* :func:`knn` — the distance from each row to its k-th nearest *other* row and, optionally,
  those k rows (ties broken by the smaller row index, as a stable sort of the distances);
* :func:`count` — ``#{j != i : dist(z_j, z_i) <= t_i}`` for per-row thresholds ``t_i``
  (0 where ``t_i < 0``); a strict count ``< r`` is the count ``<= nextafter(r, -inf)``.

Method: a projection search. Up to :data:`_SORT_COLS` columns are sorted once (as many as
:data:`_COPY_BYTES` allows), each with a column-major copy of the sample in its order. For
each row the kernel picks the sorted column in which the window ``|s - s_i| <= r`` holds the
fewest rows (two binary searches per column; for the k-NN search r is a pilot estimate of
the k-th distance), and scans that window, which is contiguous in the copy. Candidates are
tested in blocks: the row's most selective coordinates (farthest from the column median)
for the whole block in straight, vectorisable loops, then the survivors compacted
branch-free and tested one coordinate at a time. The k-NN search scans outwards from the
row's own position, nearer side first, against its current k-th distance, and stops on
each side at the first gap beyond it (the float gap ``fl(|s_p - s_i|)`` is monotone in
``s_p`` on either side, so the stop is exact). Rows are processed grouped by column and
in window order, so consecutive rows reuse the cached window. Unlike a k-d tree, whose
pruning fades beyond ~10 dimensions, the window stays useful in any dimension, and a
rejected candidate costs one or two coordinates rather than d.

A k-d tree (:class:`Tree`, :func:`tree_count`, :func:`tree_knn`) for low dimensions: a
balanced tree built by median selections on the widest coordinate, each node with the exact
minimum and maximum of its rows' coordinates. A radius count adds whole nodes that lie inside
the max-norm ball (an axis-aligned box) and skips nodes disjoint from it; the k-NN search
starts in the row's own leaf and climbs, visiting sibling subtrees whose lower bound does not
exceed the current k-th distance. Both box tests are exact on the floats (see
:func:`_tree_count_rows`). One-dimensional counts: :func:`count_sorted` on sorted values.

Threads: the kernels release the GIL (``nogil``); the callers split the rows into chunks
and run them on ``workers`` Python threads (``workers=1``: the calling thread only). No
numba threading layer is used, so concurrent calls from other threads are safe.
Compiled on first use and cached on disk (``cache=True``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


def _import_numba() -> None:
    """Import numba, even when a local ``coverage.py`` (say, a script beside the caller's)
    shadows the coverage package that numba probes: numba then sees no coverage at all."""
    spec = importlib.util.find_spec("coverage") if "coverage" not in sys.modules else None
    shadowed = spec is not None and not spec.submodule_search_locations
    if shadowed:
        sys.modules["coverage"] = None  # type: ignore[assignment]
    try:
        import numba  # noqa: F401
    finally:
        if shadowed:
            del sys.modules["coverage"]


_import_numba()

import numba  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from infoplane._typing import FloatArray, IntArray  # noqa: E402

__all__ = ["Sorted", "Tree", "count", "count_sorted", "knn", "tree_count",
           "tree_knn"]

#: At most this many columns are sorted (memory 16 bytes per row and sorted column).
_SORT_COLS = 16
#: Rows per chunk of the thread pool.
_CHUNK = 512
#: Candidates filtered at a time (a cache-resident buffer).
_BLOCK = 256
#: Coordinates tested for a whole block before the survivors are compacted.
_VEC = 3
#: Memory for the column-major sorted copies of the sample (at least one is made).
_COPY_BYTES = 64 << 20
#: Rows of the pilot search that sets the k-NN kernel's window radius.
_PILOT = 64


# ========================================================================= compiled kernels

@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _first_at_least(row: FloatArray, v: float) -> int:
    """The first index with ``row[p] >= v`` in a sorted row (``searchsorted(..., "left")``)."""
    lo = 0
    hi = row.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if row[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _first_above(row: FloatArray, v: float) -> int:
    """The first index with ``row[p] > v`` in a sorted row (``searchsorted(..., "right")``)."""
    lo = 0
    hi = row.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if row[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _best_column(s: FloatArray, si: FloatArray, rad: float) -> int:
    """Index of the sorted column whose window ``[s_i - rad, s_i + rad]`` holds fewest rows."""
    best = 0
    best_size = s.shape[1] + 1
    for c in range(s.shape[0]):
        row = s[c]
        size = _first_above(row, si[c] + rad) - _first_at_least(row, si[c] - rad)
        if size < best_size:
            best_size = size
            best = c
    return best


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _choose(z: FloatArray, s: FloatArray, cols: IntArray, rad: FloatArray,
            pos: IntArray) -> IntArray:
    """Per row, a processing key ``column * n + position``: the best sorted column for the
    row's radius, then the row's position in it (rows sharing windows run one after another,
    so a window's rows stay in cache)."""
    n = z.shape[0]
    ncol = cols.shape[0]
    si = np.empty(ncol)
    key = np.empty(n, dtype=np.int64)
    for i in range(n):
        for c in range(ncol):
            si[c] = z[i, cols[c]]
        c = _best_column(s, si, max(rad[i], 0.0))
        key[i] = c * n + pos[c, i]
    return key


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _dim_order(zi: FloatArray, centre: FloatArray, last: int, dims: IntArray) -> None:
    """Coordinates of one row, farthest from the column centre first (the most selective),
    except ``last`` (the window's own column, which every candidate nearly passes)."""
    dim = zi.shape[0]
    if dim > 48:
        # many columns: the _VEC most selective first (by selection), the rest as they come
        nsel = min(_VEC, dim - 1)
        for f in range(nsel):
            best = -1
            best_score = -1.0
            for d in range(dim):
                taken = d == last
                for g in range(f):
                    taken = taken or dims[g] == d
                sc = abs(zi[d] - centre[d])
                if not taken and sc > best_score:
                    best = d
                    best_score = sc
            dims[f] = best
        w = nsel
        for d in range(dim):
            taken = d == last
            for g in range(nsel):
                taken = taken or dims[g] == d
            if not taken:
                dims[w] = d
                w += 1
        dims[dim - 1] = last
        return
    # insertion sort by decreasing |z_id - centre_d| (allocation-free)
    for d in range(dim):
        sc = -1.0 if d == last else abs(zi[d] - centre[d])
        w = d
        while w > 0:
            prev = dims[w - 1]
            ps = -1.0 if prev == last else abs(zi[prev] - centre[prev])
            if ps >= sc:
                break
            dims[w] = prev
            w -= 1
        dims[w] = d


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _filter(zt: FloatArray, zi: FloatArray, a: int, b: int, r: float, dims: IntArray,
            ok: npt.NDArray[np.uint8], buf: IntArray) -> int:
    """Positions p in [a, b) of a column-major block ``zt`` (d, n) with every coordinate
    within r of ``zi``, written to buf as p - a; their number.

    The first :data:`_VEC` coordinates (most selective first) are tested for all positions
    in straight, vectorisable loops; the survivors are then compacted branch-free and
    tested one coordinate at a time, so a rejected candidate costs a few instructions and
    no mispredicted branch.
    """
    size = b - a
    dim = dims.shape[0]
    nvec = min(_VEC, dim)
    for p in range(size):
        ok[p] = 1
    for f in range(nvec):
        d = dims[f]
        col = zt[d]
        v = zi[d]
        for p in range(size):
            ok[p] &= abs(col[a + p] - v) <= r
    m = 0
    for p in range(size):
        buf[m] = p
        m += ok[p]
    for f in range(nvec, dim):
        if m == 0:
            break
        d = dims[f]
        col = zt[d]
        v = zi[d]
        kept = 0
        for q in range(m):
            p = buf[q]
            buf[kept] = p
            kept += abs(col[a + p] - v) <= r
        m = kept
    return m


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _count_rows(z: FloatArray, zt: FloatArray, s: FloatArray, cols: IntArray,
                centre: FloatArray, t: FloatArray, rows: IntArray, chosen: IntArray,
                start: int, stop: int, out: IntArray) -> None:
    """out[i] = #{j != i : max_d |z_jd - z_id| <= t_i} for i in rows[start:stop] (0 if
    t_i < 0), from the window of sorted column ``chosen[i]``."""
    n, dim = z.shape
    buf = np.empty(_BLOCK, dtype=np.int64)
    ok = np.empty(_BLOCK, dtype=np.uint8)
    dims = np.empty(dim, dtype=np.int64)
    for q in range(start, stop):
        i = rows[q]
        r = t[i]
        if r < 0.0:
            out[i] = 0
            continue
        c = chosen[i]
        col = s[c]
        zi = z[i]
        v = zi[cols[c]]
        # a superset of the window; the filter applies the exact test to every coordinate
        lo = _first_at_least(col, v - r)
        while lo > 0 and abs(col[lo - 1] - v) <= r:
            lo -= 1
        hi = _first_above(col, v + r)
        while hi < n and abs(col[hi] - v) <= r:
            hi += 1
        _dim_order(zi, centre, cols[c], dims)
        total = 0
        for a in range(lo, hi, _BLOCK):
            total += _filter(zt[c], zi, a, min(a + _BLOCK, hi), r, dims, ok, buf)
        out[i] = total - 1                      # the row itself is always inside


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _knn_rows(z: FloatArray, zt: FloatArray, s: FloatArray, order: IntArray, pos: IntArray,
              cols: IntArray, centre: FloatArray, k: int, rows: IntArray, chosen: IntArray,
              start: int, stop: int, eps: FloatArray, idx: IntArray) -> None:
    """k nearest other rows of the rows in rows[start:stop]: eps[i] (k-th distance) and
    idx[i] (the rows), scanning sorted column ``chosen[i]`` outwards in blocks.

    Each block is filtered against the current k-th distance (kept: ``<=``, for ties); the
    survivors' distances enter the k best (distance, index) pairs, kept sorted, when
    lexicographically smaller than the k-th, so ties go to the smaller index. A side stops at
    the first gap larger than the k-th distance.
    """
    n, dim = z.shape
    bd = np.empty(k)
    bj = np.empty(k, dtype=np.int64)
    buf = np.empty(_BLOCK, dtype=np.int64)
    ok = np.empty(_BLOCK, dtype=np.uint8)
    dims = np.empty(dim, dtype=np.int64)
    for qq in range(start, stop):
        i = rows[qq]
        c = chosen[i]
        col = s[c]
        orow = order[c]
        zi = z[i]
        v = zi[cols[c]]
        p0 = pos[c, i]
        _dim_order(zi, centre, cols[c], dims)
        for q in range(k):
            bd[q] = np.inf
            bj[q] = n
        kth = np.inf
        lo = p0 - 1                              # next position to the left (inclusive)
        hi = p0 + 1                              # next position to the right
        size = 2 * k + 2                         # small first blocks set a radius quickly
        while True:
            glo = abs(col[lo] - v) if lo >= 0 else np.inf
            ghi = abs(col[hi] - v) if hi < n else np.inf
            if glo <= ghi:
                if glo > kth:
                    break
                a = max(lo - size + 1, 0)
                b = lo + 1
                lo = a - 1
            else:
                if ghi > kth:
                    break
                a = hi
                b = min(hi + size, n)
                hi = b
            size = min(2 * size, _BLOCK)
            m = _filter(zt[c], zi, a, b, kth, dims, ok, buf)
            for q in range(m):
                j = orow[a + buf[q]]
                if j == i:
                    continue
                dist = 0.0
                zj = z[j]
                for d in range(dim):
                    dist = max(dist, abs(zj[d] - zi[d]))
                if dist < kth or (dist == kth and j < bj[k - 1]):
                    w = k - 1
                    while w > 0 and (bd[w - 1] > dist or (bd[w - 1] == dist and bj[w - 1] > j)):
                        bd[w] = bd[w - 1]
                        bj[w] = bj[w - 1]
                        w -= 1
                    bd[w] = dist
                    bj[w] = j
                    kth = bd[k - 1]
        eps[i] = kth
        if idx.shape[0] > 0:
            for q in range(k):
                idx[i, q] = bj[q]


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _tree_count_rows(pts: FloatArray, lo: FloatArray, hi: FloatArray, ns: IntArray,
                     ne: IntArray, first_leaf: int, t: FloatArray, start: int, stop: int,
                     out: IntArray) -> None:
    """out[i] = #{j != i : max_d fl(|p_jd - p_id|) <= t_i} for tree positions i in
    [start, stop) (0 if t_i < 0), by a depth-first descent of the k-d tree (node ``u`` holds
    the points ``ns[u]:ne[u]`` of ``pts``, within the box ``lo[u], hi[u]``; children
    ``2u + 1``, ``2u + 2``; leaves from ``first_leaf``).

    Node tests are exact on the floats. For fixed a, ``fl(|x - a|)`` is non-increasing in x
    for x <= a and non-decreasing for x >= a (subtraction is correctly rounded, and
    rounding is monotone and symmetric under negation). Every point of a node has
    ``lo_d <= x_d <= hi_d`` with lo, hi the exact minimum and maximum of its coordinates,
    so on [lo_d, hi_d] the largest ``fl(|x_d - a_d|)`` is at an end:
    ``max(fl|lo_d - a_d|, fl|hi_d - a_d|) <= t`` means every point of the node passes the
    point test in coordinate d; if ``a_d < lo_d`` the smallest is ``fl(lo_d - a_d)`` (and
    ``fl(a_d - hi_d)`` if ``a_d > hi_d``), so its being ``> t`` means no point passes. A
    node inside in every coordinate adds its size; a node outside in one is skipped; the
    coordinates already inside are not tested again below (a bit mask), the rest are tested
    point by point in the leaves with the same rule.
    """
    dim = pts.shape[1]
    full = (1 << dim) - 1
    stack = np.empty(128, dtype=np.int64)
    masks = np.empty(128, dtype=np.int64)
    rest = np.empty(dim, dtype=np.int64)
    for i in range(start, stop):
        r = t[i]
        if r < 0.0:
            out[i] = 0
            continue
        a = pts[i]
        total = 0
        sp = 0
        stack[0] = 0
        masks[0] = 0
        while sp >= 0:
            node = stack[sp]
            m = masks[sp]
            sp -= 1
            skip = False
            for d in range(dim):
                if (m >> d) & 1:
                    continue
                v = a[d]
                dl = abs(lo[node, d] - v)
                dh = abs(hi[node, d] - v)
                if dl <= r and dh <= r:
                    m |= 1 << d
                elif (v < lo[node, d] and dl > r) or (v > hi[node, d] and dh > r):
                    skip = True
                    break
            if skip:
                continue
            if m == full:
                total += ne[node] - ns[node]
                continue
            if node >= first_leaf:
                nr = 0
                for d in range(dim):
                    if not (m >> d) & 1:
                        rest[nr] = d
                        nr += 1
                for j in range(ns[node], ne[node]):
                    ok = True
                    for q in range(nr):
                        d = rest[q]
                        if abs(pts[j, d] - a[d]) > r:
                            ok = False
                            break
                    total += ok
            else:
                sp += 1
                stack[sp] = 2 * node + 2
                masks[sp] = m
                sp += 1
                stack[sp] = 2 * node + 1
                masks[sp] = m
        out[i] = total - 1                      # the row itself is always inside


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _tree_build(w: FloatArray, perm: IntArray, ns: IntArray, ne: IntArray, first_leaf: int,
                lo: FloatArray, hi: FloatArray) -> None:
    """Arrange the rows of ``w`` (a copy of the sample) and ``perm`` (initially 0..n-1) into
    k-d tree order, in place, and fill the exact boxes.

    Nodes in heap order (parents first): each internal node's rows ``ns:ne`` are split at
    ``mid = (ns + ne) // 2`` by a selection (Hoare/Wirth) on its widest coordinate, so that
    the left child's values are <= the right child's. Boxes: the exact minimum and maximum
    of each coordinate over the leaf's rows, then over the children.
    """
    n, dim = w.shape
    key = np.empty(n)
    for u in range(first_leaf):
        s = ns[u]
        e = ne[u]
        best = 0
        width = -1.0
        for d in range(dim):
            mn = np.inf
            mx = -np.inf
            for p in range(s, e):
                v = w[p, d]
                mn = min(mn, v)
                mx = max(mx, v)
            if mx - mn > width:
                width = mx - mn
                best = d
        for p in range(s, e):
            key[p] = w[p, best]
        mid = (s + e) // 2
        left = s
        right = e - 1
        while left < right:
            x = key[mid]
            i = left
            j = right
            while i <= j:
                while key[i] < x:
                    i += 1
                while x < key[j]:
                    j -= 1
                if i <= j:
                    tk = key[i]
                    key[i] = key[j]
                    key[j] = tk
                    tp = perm[i]
                    perm[i] = perm[j]
                    perm[j] = tp
                    for d in range(dim):
                        tw = w[i, d]
                        w[i, d] = w[j, d]
                        w[j, d] = tw
                    i += 1
                    j -= 1
            if j < mid:
                left = i
            if mid < i:
                right = j
    for u in range(first_leaf, ns.shape[0]):
        for d in range(dim):
            mn = np.inf
            mx = -np.inf
            for p in range(ns[u], ne[u]):
                v = w[p, d]
                mn = min(mn, v)
                mx = max(mx, v)
            lo[u, d] = mn
            hi[u, d] = mx
    for u in range(first_leaf - 1, -1, -1):
        for d in range(dim):
            lo[u, d] = min(lo[2 * u + 1, d], lo[2 * u + 2, d])
            hi[u, d] = max(hi[2 * u + 1, d], hi[2 * u + 2, d])

@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _run_end(s: FloatArray, p: int, rp: float, direction: int) -> int:
    """The last index q from p in ``direction`` (+1 or -1) with fl(|s_q - s_p|) <= rp.

    The qualifying q form one run from p (the float gap is monotone on either side), so an
    exponential then a binary search on that very test finds its end.
    """
    n = s.shape[0]
    v = s[p]
    good = p
    bad = n if direction > 0 else -1
    step = 1
    while True:
        q = p + direction * step
        if q >= n or q < 0:
            break
        if abs(s[q] - v) <= rp:
            good = q
            step *= 2
        else:
            bad = q
            break
    while abs(bad - good) > 1:
        mid = (good + bad) >> 1
        if abs(s[mid] - v) <= rp:
            good = mid
        else:
            bad = mid
    return good


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _count1_rows(s: FloatArray, r: FloatArray, start: int, stop: int, out: IntArray) -> None:
    """out[p] = #{q : fl(|s_q - s_p|) <= r_p} for sorted s, self included (0 if r_p < 0).

    The qualifying q form one run around p; :func:`_run_end` finds both ends.
    """
    for p in range(start, stop):
        rp = r[p]
        if rp < 0.0:
            out[p] = 0
            continue
        out[p] = _run_end(s, p, rp, 1) - _run_end(s, p, rp, -1) + 1


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _box_bound(lo: FloatArray, hi: FloatArray, node: int, a: FloatArray) -> float:
    """A lower bound, exact on the floats, of ``fl(max_d |x_d - a_d|)`` over the points x of a
    node: per coordinate ``fl(lo_d - a_d)`` when ``a_d < lo_d``, ``fl(a_d - hi_d)`` when
    ``a_d > hi_d``, else 0 (every ``x_d`` lies in [lo_d, hi_d], and rounding is monotone)."""
    b = 0.0
    for d in range(a.shape[0]):
        v = a[d]
        if v < lo[node, d]:
            b = max(b, lo[node, d] - v)
        elif v > hi[node, d]:
            b = max(b, v - hi[node, d])
    return b


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _leaf_scan(pts: FloatArray, ids: IntArray, lo_row: int, hi_row: int, p: int,
               a: FloatArray, k: int, bd: FloatArray, bj: IntArray, kth: float) -> float:
    """Offer the rows lo_row:hi_row (not p) to the k best (distance, id) pairs, kept sorted
    (a tie at the k-th distance enters when its id is smaller); the new k-th distance."""
    dim = pts.shape[1]
    for j in range(lo_row, hi_row):
        if j == p:
            continue
        dist = 0.0
        for d in range(dim):
            dist = max(dist, abs(pts[j, d] - a[d]))
            if dist > kth:
                break
        if dist > kth:
            continue
        jj = ids[j]
        if dist < kth or jj < bj[k - 1]:
            w = k - 1
            while w > 0 and (bd[w - 1] > dist or (bd[w - 1] == dist and bj[w - 1] > jj)):
                bd[w] = bd[w - 1]
                bj[w] = bj[w - 1]
                w -= 1
            bd[w] = dist
            bj[w] = jj
            kth = bd[k - 1]
    return kth


@numba.njit(cache=True, nogil=True, fastmath=False, boundscheck=False)
def _tree_knn_rows(pts: FloatArray, lo: FloatArray, hi: FloatArray, ns: IntArray,
                   ne: IntArray, first_leaf: int, ids: IntArray, k: int, start: int,
                   stop: int, eps: FloatArray, idx: IntArray) -> None:
    """k nearest other rows of tree positions [start, stop): eps[p] (k-th distance) and
    idx[p] (the rows, as ``ids``; ties by the smaller id, as a stable sort of distances).

    The row's own leaf first (a small k-th distance at once), then, up the path to the
    root, each sibling subtree whose bound (:func:`_box_bound`, exact) does not exceed the
    current k-th distance, depth first, nearer child first. Nodes *at* the bound are
    searched (only ``>`` prunes), so ties reach the smaller-id rule. Every leaf is the own
    leaf or under one sibling of the path, so none is missed.
    """
    bd = np.empty(k)
    bj = np.empty(k, dtype=np.int64)
    stack = np.empty(128, dtype=np.int64)
    bound = np.empty(128)
    big = np.iinfo(np.int64).max
    for p in range(start, stop):
        a = pts[p]
        for q in range(k):
            bd[q] = np.inf
            bj[q] = big
        own = 0
        while own < first_leaf:
            own = 2 * own + 1 if p < ne[2 * own + 1] else 2 * own + 2
        kth = _leaf_scan(pts, ids, ns[own], ne[own], p, a, k, bd, bj, np.inf)
        node = own
        while node > 0:
            sib = node + 1 if node % 2 == 1 else node - 1
            node = (node - 1) >> 1
            b = _box_bound(lo, hi, sib, a)
            if b > kth:
                continue
            sp = 0
            stack[0] = sib
            bound[0] = b
            while sp >= 0:
                u = stack[sp]
                b = bound[sp]
                sp -= 1
                if b > kth:
                    continue
                if u >= first_leaf:
                    kth = _leaf_scan(pts, ids, ns[u], ne[u], p, a, k, bd, bj, kth)
                    continue
                c1 = 2 * u + 1
                b1 = _box_bound(lo, hi, c1, a)
                b2 = _box_bound(lo, hi, c1 + 1, a)
                if b1 <= b2:
                    if b2 <= kth:
                        sp += 1
                        stack[sp] = c1 + 1
                        bound[sp] = b2
                    if b1 <= kth:
                        sp += 1
                        stack[sp] = c1
                        bound[sp] = b1
                else:
                    if b1 <= kth:
                        sp += 1
                        stack[sp] = c1
                        bound[sp] = b1
                    if b2 <= kth:
                        sp += 1
                        stack[sp] = c1 + 1
                        bound[sp] = b2
        eps[p] = kth
        if idx.shape[0] > 0:
            for q in range(k):
                idx[p, q] = bj[q]

# =============================================================================== wrappers

class Sorted:
    """A sample prepared for both kernels: some columns sorted, with column-major copies of
    the sample in each sorted column's order (the scanned windows are then contiguous).

    Up to :data:`_SORT_COLS` columns, spread over the width, as many as
    :data:`_COPY_BYTES` allows (at least one).

    Parameters
    ----------
    z : ndarray, shape (n, d)
        The (preprocessed) sample; copied to a C-contiguous float64 array.
    """

    __slots__ = ("centre", "cols", "order", "pos", "s", "z", "zt")

    def __init__(self, z: FloatArray) -> None:
        self.z = np.ascontiguousarray(z, dtype=np.float64)
        n, dim = self.z.shape
        fit = _COPY_BYTES // max(1, n * (dim + 3) * 8)
        m = int(max(1, min(dim, _SORT_COLS, fit)))
        self.cols = np.unique(np.linspace(0, dim - 1, m).round()).astype(np.int64)
        sub = self.z[:, self.cols].T
        self.order = np.argsort(sub, axis=1, kind="stable").astype(np.int64)
        self.s = np.ascontiguousarray(np.take_along_axis(sub, self.order, axis=1))
        self.pos = np.empty_like(self.order)
        np.put_along_axis(self.pos, self.order, np.arange(n, dtype=np.int64)[None, :], axis=1)
        self.zt = np.empty((self.cols.size, dim, n))
        for c in range(self.cols.size):
            self.zt[c] = self.z[self.order[c]].T
        self.centre = np.ascontiguousarray(np.median(self.z, axis=0))


def _threads(workers: int) -> int:
    return (os.cpu_count() or 1) if workers == -1 else workers


def _run(fn: Callable[[int, int], None], n: int, workers: int, *,
         even: bool = False) -> None:
    """fn(start, stop) over chunks of rows, on ``workers`` threads (1: this thread).

    ``even``: one contiguous part per thread (for rows of equal cost, where the chunks' thread
    hand-offs would cost more than the imbalance); else chunks of :data:`_CHUNK` rows.
    """
    step = -(-n // max(1, _threads(workers))) if even else _CHUNK
    starts = range(0, n, max(1, step))
    threads = min(_threads(workers), len(starts))
    if threads <= 1:
        fn(0, n)
        return
    pool = _pool(threads)
    for f in [pool.submit(fn, a, min(a + step, n)) for a in starts]:
        f.result()


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _forget_pools() -> None:
    """In a forked child the parent's pool threads do not exist: start afresh."""
    global _POOLS_LOCK
    _POOLS.clear()
    _POOLS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_pools)


def _pool(threads: int) -> ThreadPoolExecutor:
    """A thread pool of this size, made once and kept (starting threads on every call costs
    more CPU than a two-dimensional k-NN query at N = 10^4). The parts run on it never wait
    on one another, so callers on several threads may share it."""
    with _POOLS_LOCK:
        pool = _POOLS.get(threads)
        if pool is None:
            pool = _POOLS[threads] = ThreadPoolExecutor(max_workers=threads,
                                                        thread_name_prefix="infoplane-knn")
        return pool


def _plan(sample: Sorted, rad: FloatArray) -> tuple[IntArray, IntArray]:
    """(rows in processing order, chosen sorted column per row) for per-row radii."""
    n = sample.z.shape[0]
    key = _choose(sample.z, sample.s, sample.cols, np.ascontiguousarray(rad, dtype=np.float64),
                  sample.pos)
    return np.argsort(key, kind="stable"), key // n


def count(sample: Sorted, t: FloatArray, workers: int) -> IntArray:
    """#{j != i : max-norm distance <= t_i} for every row i (0 where t_i < 0)."""
    n = sample.z.shape[0]
    out = np.empty(n, dtype=np.int64)
    t = np.ascontiguousarray(t, dtype=np.float64)
    rows, chosen = _plan(sample, t)

    def part(a: int, b: int) -> None:
        _count_rows(sample.z, sample.zt, sample.s, sample.cols, sample.centre, t, rows,
                    chosen, a, b, out)

    _run(part, n, workers)
    return out


def knn(sample: Sorted, k: int, workers: int, *,
        need_index: bool) -> tuple[FloatArray, IntArray | None]:
    """Distance from each row to its k-th nearest other row and, optionally, the k rows.

    The window radius that picks each row's column is the median k-th distance of a pilot of
    :data:`_PILOT` evenly spaced rows (it steers the search, never the result).
    """
    n = sample.z.shape[0]
    eps = np.empty(n)
    idx = np.empty((n if need_index else 0, k), dtype=np.int64)
    none = np.empty((0, k), dtype=np.int64)
    z, s, order, pos, cols = sample.z, sample.s, sample.order, sample.pos, sample.cols
    centre, zt = sample.centre, sample.zt
    pilot = np.unique(np.linspace(0, n - 1, min(n, _PILOT)).astype(np.int64))
    first = np.zeros(n, dtype=np.int64)
    _knn_rows(z, zt, s, order, pos, cols, centre, k, pilot, first, 0, pilot.size, eps, none)
    rows, chosen = _plan(sample, np.full(n, float(np.median(eps[pilot]))))

    def part(a: int, b: int) -> None:
        _knn_rows(z, zt, s, order, pos, cols, centre, k, rows, chosen, a, b, eps, idx)

    _run(part, n, workers)
    return eps, (idx if need_index else None)


# ================================================================================ k-d tree

#: Points per leaf of the k-d tree (at most).
_LEAF = 16


class Tree:
    """A balanced k-d tree with exact bounding boxes for max-norm radius counts.

    Complete binary tree in heap order: each node's rows are split in halves at the median
    of its widest coordinate, to leaves of at most :data:`_LEAF` rows; every node keeps the
    exact minimum and maximum of each coordinate of its rows.

    Parameters
    ----------
    z : ndarray, shape (n, d)
        The (preprocessed) sample, 1 <= d <= 62.
    """

    __slots__ = ("first_leaf", "hi", "lo", "ne", "ns", "perm", "pts")

    def __init__(self, z: FloatArray) -> None:
        z = np.asarray(z, dtype=np.float64)
        n, dim = z.shape
        depth = 0
        while (n >> depth) > _LEAF:
            depth += 1
        starts = np.zeros(1, dtype=np.int64)
        ends = np.full(1, n, dtype=np.int64)
        all_s, all_e = [starts], [ends]
        for _ in range(depth):
            mids = (starts + ends) // 2
            starts = np.stack([starts, mids], axis=1).ravel()
            ends = np.stack([mids, ends], axis=1).ravel()
            all_s.append(starts)
            all_e.append(ends)
        self.ns = np.concatenate(all_s)
        self.ne = np.concatenate(all_e)
        self.first_leaf = int(self.ns.size - starts.size)
        self.perm = np.arange(n, dtype=np.int64)
        self.lo = np.empty((self.ns.size, dim))
        self.hi = np.empty((self.ns.size, dim))
        self.pts = np.array(z, dtype=np.float64, order="C")
        _tree_build(self.pts, self.perm, self.ns, self.ne, self.first_leaf, self.lo, self.hi)


def tree_count(tree: Tree, t: FloatArray, workers: int) -> IntArray:
    """#{j != i : max-norm distance <= t_i} for every row i (0 where t_i < 0), by the tree."""
    n = tree.pts.shape[0]
    tt = np.ascontiguousarray(np.asarray(t, dtype=np.float64)[tree.perm])
    res = np.empty(n, dtype=np.int64)

    def part(a: int, b: int) -> None:
        _tree_count_rows(tree.pts, tree.lo, tree.hi, tree.ns, tree.ne, tree.first_leaf, tt,
                         a, b, res)

    _run(part, n, workers)
    out = np.empty(n, dtype=np.int64)
    out[tree.perm] = res
    return out


# ============================================================================== one column

def count_sorted(s: FloatArray, r: FloatArray, workers: int) -> IntArray:
    """#{q : fl(|s_q - s_p|) <= r_p} for every position p of sorted values ``s``, self
    included (0 where r_p < 0)."""
    n = s.shape[0]
    out = np.empty(n, dtype=np.int64)
    s = np.ascontiguousarray(s, dtype=np.float64)
    r = np.ascontiguousarray(r, dtype=np.float64)

    def part(a: int, b: int) -> None:
        _count1_rows(s, r, a, b, out)

    _run(part, n, workers if n >= 8 * _CHUNK else 1, even=True)
    return out


def tree_knn(tree: Tree, k: int, workers: int, *,
             need_index: bool) -> tuple[FloatArray, IntArray | None]:
    """:func:`knn` by the k-d tree (ties at the k-th distance by the smaller row index)."""
    n = tree.pts.shape[0]
    e = np.empty(n)
    found = np.empty((n if need_index else 0, k), dtype=np.int64)

    def part(a: int, b: int) -> None:
        _tree_knn_rows(tree.pts, tree.lo, tree.hi, tree.ns, tree.ne, tree.first_leaf,
                       tree.perm, k, a, b, e, found)

    _run(part, n, workers if n >= 4 * _CHUNK else 1, even=tree.pts.shape[1] <= 3)
    eps = np.empty(n)
    eps[tree.perm] = e
    if not need_index:
        return eps, None
    idx = np.empty((n, k), dtype=np.int64)
    idx[tree.perm] = found
    return eps, idx
