#!/usr/bin/env python3
"""Where each measured job's first generation spent its time, from a bench coordinator's log (docs/benchmarks.md "2026-12-04 e").

  tools/bench/burst-phases.py <state-dir>/logs/control1.log [...]

For every job of the burst (ids not starting with "warm"): placement ("generation 1 on [...]") to every rank started
("generation 1 running with"), split at the job's stored acknowledgement ("submitted:", logged when the write that stores the
job is acknowledged; since 4e2d1cc that is the placement's write, so the split is the store write and then the agents' round
trips). Prints p50/p99 of each part and the six slowest jobs with the host JVMs (sim1..) their ranks ran on.
"""
import collections, re, sys


def millis(clock):
    h, m, s = clock.split(':')
    return (int(h) * 3600 + int(m) * 60 + float(s)) * 1000


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


PATTERNS = {'placed': r'job (\S+) generation 1 on \[(.*)\]', 'stored': r'job (\S+) submitted:', 'running': r'job (\S+) generation 1 running with'}

for path in sys.argv[1:]:
    seen = collections.defaultdict(dict)
    nodes = {}
    for line in open(path, errors='replace'):
        for kind, pattern in PATTERNS.items():
            m = re.search(pattern, line)
            if m and not m.group(1).startswith('warm'):
                seen[m.group(1)][kind] = millis(line.split()[0])
                if kind == 'placed': nodes[m.group(1)] = m.group(2)
    rows = []
    for job, t in seen.items():
        if len(t) == 3 and t['stored'] > t['placed']:
            rows.append((t['running'] - t['placed'], t['stored'] - t['placed'], t['running'] - t['stored'], job))
    if not rows:
        print(path, 'no job was stored after its placement (a coordinator before 4e2d1cc stores the submit first): no split')
        continue
    rows.sort()
    print('%s: %d jobs; placed -> running p50/p99 %.0f/%.0f ms; store write %.0f/%.0f; agents %.0f/%.0f' % (
        path, len(rows), pct([r[0] for r in rows], 50), pct([r[0] for r in rows], 99), pct([r[1] for r in rows], 50),
        pct([r[1] for r in rows], 99), pct([r[2] for r in rows], 50), pct([r[2] for r in rows], 99)))
    for total, write, agents, job in rows[-6:]:
        hosts = collections.Counter(n.strip().split('-')[0] for n in nodes[job].split(','))
        print('  %5.0f ms (write %3.0f, agents %3.0f)  %s on %s' % (total, write, agents, job, dict(hosts)))
