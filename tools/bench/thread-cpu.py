#!/usr/bin/env python3
"""Per-thread CPU of one JVM over time, from /proc (what docs/benchmarks.md "2026-12-04 b" used to find the JIT's share).

  sample:    tools/bench/thread-cpu.py sample ' coordinator --state-dir /tmp/r/x' /tmp/threads.jsonl [seconds]
             (waits for a process whose command line contains the text, then writes each thread's CPU seconds every second)
  summarize: tools/bench/thread-cpu.py window /tmp/threads.jsonl FROM_EPOCH TO_EPOCH
             (CPU seconds per thread name, digits folded, between the two samples nearest those times)
"""
import collections, json, os, re, sys, time


def find(text):
    for p in os.listdir('/proc'):
        if p.isdigit():
            try:
                cmd = open(f'/proc/{p}/cmdline', 'rb').read().replace(b'\0', b' ').decode(errors='replace')
                # a JVM: not a sampler (its own argument holds the text), nor a wrapper such as timeout or nice
                if text in cmd and os.path.basename(cmd.split(' ', 1)[0]) == 'java': return int(p)
            except OSError:
                pass
    return None


def sample(text, out, seconds):
    hz, end, pid = os.sysconf('SC_CLK_TCK'), time.time() + seconds, None
    with open(out, 'w') as w:
        while time.time() < end:
            pid = pid if pid and os.path.exists(f'/proc/{pid}') else find(text)
            if pid is None:
                time.sleep(0.5)
                continue
            snap = {}
            for t in os.listdir(f'/proc/{pid}/task') if os.path.exists(f'/proc/{pid}/task') else []:
                try:
                    st = open(f'/proc/{pid}/task/{t}/stat').read()
                    f = st[st.rindex(')') + 2:].split()
                    snap[t] = (st[st.index('(') + 1:st.rindex(')')], (int(f[11]) + int(f[12])) / hz)
                except OSError:
                    pass
            w.write(json.dumps({'t': time.time(), 'thr': snap}) + '\n')
            w.flush()
            time.sleep(1)


def window(path, lo, hi):
    rows = [json.loads(l) for l in open(path)]
    a, b = (min(rows, key=lambda r: abs(r['t'] - x)) for x in (lo, hi))
    cpu = collections.Counter()
    for tid, (name, s) in b['thr'].items():
        cpu[re.sub(r'\d+', 'N', name)] += s - a['thr'].get(tid, (name, 0))[1]
    print('%.1f s of wall, %.2f s of CPU' % (b['t'] - a['t'], sum(cpu.values())))
    for name, s in cpu.most_common(15):
        print('  %6.2f  %s' % (s, name))


if __name__ == '__main__':
    if len(sys.argv) >= 4 and sys.argv[1] == 'sample':
        sample(sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 600)
    elif len(sys.argv) == 5 and sys.argv[1] == 'window':
        window(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)
