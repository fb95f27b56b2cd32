#!/usr/bin/env bash
# bench scale A/B on a 16-core machine (the lent GPU machine; pack first: tools/device-bench/pack.sh): 7 runs at a time, each pinned to its own 2 cores (or 4: E) (this dev machine's size),
# two rounds: 6 runs on 2 cores as the bench's defaults are (A), 6 without API readers (N), and 2 with the simulated fleet
# and the bench on 2 cores of their own beside the coordinator's 2 (E). Usage: run "bash tools/device-bench/run.sh" carrying .devpack (from the repo root)
set -u
SIZE=${SIZE:---agents 1000 --jobs 200 --steps 40}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
rm -rf /tmp/r /tmp/r-* # a rerun on a warm machine: no earlier call's results
[ -n "${NO_UNPACK:-}" ] || tar xJf .devpack/pack.tar.xz -C /tmp || { echo "unpack failed"; exit 1; }
export PATH=/tmp/devjdk/bin:$PATH
java -version 2>&1 | head -1
echo "cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo); mem: $(free -g | awk '/Mem/{print $2}') GiB; unpack $(( $(date +%s) - t0 )) s"
df -h /tmp | tail -1
command -v taskset >/dev/null || echo "no taskset: runs are not pinned"
# each arm: the coordinator's extra JVM flags and the bench's extra arguments
declare -A FLAGS=([A]="" [N]="" [E]="-XX:ActiveProcessorCount=2")
declare -A ARGS=([A]="" [N]="--api-readers 0" [E]="")
# E: 4 cores, the coordinator re-pinned to the first 2 and everything else (host JVMs, the bench) to the other 2:
# the same coordinator as A, with the simulated fleet and the API client on cores of their own
pin_e() { # name coordinator-cpus fleet-cpus
  local name=$1 cc=$2 fc=$3 said=0 k=0
  sleep 2
  while pgrep -f "/tmp/r/$name" >/dev/null && [ $k -lt 700 ]; do k=$((k+1))
    for pid in $(pgrep -f "/tmp/r/$name"); do
      cmd=$(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null) || continue
      case "$cmd" in
        *" coordinator --state-dir"*) taskset -a -cp "$cc" "$pid" >/dev/null 2>&1 ;;
        *java*) taskset -a -cp "$fc" "$pid" >/dev/null 2>&1 ;;
      esac
    done
    if [ $said = 0 ] && [ $k = 120 ]; then said=1; for pid in $(pgrep -f "/tmp/r/$name"); do echo "$name pin: $(taskset -cp $pid 2>&1) $(tr '\0' ' ' < /proc/$pid/cmdline | grep -o 'Main [a-z-]*')"; done; fi
    sleep 0.5
  done
}
run() { # name arm cpus
  local name=$1 arm=$2 cpus=$3 pin=()
  command -v taskset >/dev/null && pin=(taskset -c "$cpus")
  mkdir -p /tmp/r
  ( export SPOTTRAIN_JVM_OPTS="${FLAGS[$arm]} -Xlog:gc,gc+cpu:file=/tmp/r/gc-$name.log"
    timeout -k 5 300 ${pin[@]+"${pin[@]}"} java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true -cp "/tmp/sp/spottrain-launchers.jar:/tmp/sp/lib/*" \
      io.spottrain.cli.Main bench scale $SIZE ${ARGS[$arm]} --state-dir /tmp/r/$name --output json \
      > /tmp/r-$name.json 2> /tmp/r-$name.err
    echo "rc=$?" >> /tmp/r-$name.err
    # a run stopped by its time-out skips its own clean-up (the coordinator runs in its own session): kill what is left
    pkill -KILL -f "/tmp/r/$name" 2>/dev/null ) &
}
i=0; for arm in ${ROUND1:-A N A N A N}; do i=$((i+1)); run "r1-$i-$arm" $arm "$(( (i-1)*2 )),$(( (i-1)*2+1 ))"; done
run r1-7-E E ${E_CPUS:-12-15}; pin_e r1-7-E ${E_C:-12,13} ${E_F:-14,15} & wait
echo "round 1 done at $(( $(date +%s) - t0 )) s"
[ -n "${ONE_ROUND:-}" ] || { i=0; for arm in N A N A N A; do i=$((i+1)); run "r2-$i-$arm" $arm "$(( (i-1)*2 )),$(( (i-1)*2+1 ))"; done
run r2-7-E E ${E_CPUS:-12-15}; pin_e r2-7-E ${E_C:-12,13} ${E_F:-14,15} & wait; }
[ -n "${ONE_ROUND:-}" ] || echo "round 2 done at $(( $(date +%s) - t0 )) s"
python3 - "$OUT" <<'EOF'
import json, glob, os, sys, re
out = sys.argv[1]; rows = []
for f in sorted(glob.glob('/tmp/r-*.json')):
    name = os.path.basename(f)[2:-5]; arm = name.split('-')[2]
    try:
        r = json.load(open(f))
    except Exception as e:
        err = open(f[:-5] + '.err').read()[-600:]
        print(name, 'NO RESULT', err.replace('\n', ' | ')); continue
    ph = r['schedulingPhasesMs']
    rows.append((arm, name, r['schedulingMsP50'], r['schedulingMsP99'], ph, r['apiGetMsP99'], r['apiListMsP99'], r['killedHostDetectSeconds'],
                 r['hungDetectSeconds'], r['burstSeconds'], r['burstCpuSecondsCoordinator'], r['burstCpuSecondsHosts'], r['outcomes'],
                 r.get('rendezvousOffered'), r.get('rendezvousAsked'), r['coordinatorHeapUsedMb']))
rows.sort()
with open(out + '/results.txt', 'w') as w:
    for row in rows:
        line = '%s %-12s sched p50 %5.1f p99 %6.1f | phases %s | api p99 %5.1f list p99 %6.1f | lost %.2f hung %.2f | burst %.1f s cpu %.1f/%.1f | %s | rdv %s/%s | heap %s' % (
            row[0], row[1], row[2], row[3], {k: v for k, v in row[4].items()}, row[5], row[6], row[7], row[8], row[9], row[10], row[11], row[12], row[13], row[14], row[15])
        print(line); w.write(line + '\n')
    for arm in 'ANE':
        p99 = sorted(r[3] for r in rows if r[0] == arm); p50 = sorted(r[2] for r in rows if r[0] == arm)
        s = 'arm %s: p99s %s, p50s %s' % (arm, p99, p50); print(s); w.write(s + '\n')
EOF
cat /tmp/r-*.json > "$OUT/all.json" 2>/dev/null
tail -n 5 /tmp/r-*.err > "$OUT/errs.txt" 2>/dev/null
(cd /tmp/r && find . -name '*.log' -size -20M | tar czf "$OUT/logs.tgz" -T -) 2>/dev/null
ls -la "$OUT"
echo "total $(( $(date +%s) - t0 )) s"
