"""The longest chain of dependent calls in a front server's request log, for bench/report.py
and bench/org_report.py."""


def chain(log):
    """The longest run of calls each arriving after the one before it was answered."""
    log = sorted(log, key=lambda r: r["arrived_ms"])
    best = {}
    for i, r in enumerate(log):
        before = [j for j in range(i) if log[j]["answered_ms"] <= r["arrived_ms"]]
        # Of the longest chains it could follow, the call answered last is its likely cause.
        prev = max(before, key=lambda j: (best[j][0], log[j]["answered_ms"]), default=None)
        best[i] = (1 + best[prev][0], prev) if prev is not None else (1, None)
    if not best:
        return []
    i = max(best, key=lambda k: best[k][0])
    path = []
    while i is not None:
        path.append(f'{log[i]["service"]}:{log[i]["operation"]}')
        i = best[i][1]
    return path[::-1]
