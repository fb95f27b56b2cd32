#!/usr/bin/env bash
# Packs what tools/device-bench/run.sh needs on a machine with no JDK, no Maven and no network (the lent GPU machine):
# a jlink'ed Java runtime and the jars `bench scale` loads, stored uncompressed and xz'ed together (a device call carries
# at most 64 MiB with the repository). Writes .devpack/pack.tar.xz (ignored by git: add "/.devpack/" to
# .git/info/exclude). Run from the repository root after ./mvnw -B install -DskipTests. About 4 minutes on 2 cores.
set -euo pipefail
root=$(pwd); L=$root/launchers/target; work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 1. which jars and JDK modules a small bench loads (every JVM it starts: JAVA_TOOL_OPTIONS reaches them all)
mkdir -p "$work/cl"
# -Xshare:off: classes from the CDS archive are logged as "shared objects file", not by their module
JAVA_TOOL_OPTIONS="-Xshare:off -Xlog:class+load=info:file=$work/cl/cl-%p.log" java -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true \
  -cp "$L/spottrain-launchers.jar:$L/lib/*" io.spottrain.cli.Main bench scale --agents 100 --jobs 20 --steps 20 --warmup-waves 1 \
  --state-dir "$work/bench" > "$work/bench.log" 2>&1 || { tail -20 "$work/bench.log"; exit 1; }
cat "$work"/cl/*.log | grep -o 'source: file:[^ ]*' | sed 's/.*\///' | sort -u > "$work/jars.txt"
mods=$(cat "$work"/cl/*.log | grep -o 'source: jrt:/[^ ]*' | sed 's/.*jrt:\///' | sort -u | paste -sd, -)
# 2. a runtime of those modules (and jcmd, for profiles)
jlink --add-modules "$mods,jdk.jcmd,jdk.attach,jdk.internal.jvmstat,jdk.zipfs,jdk.charsets,jdk.naming.dns" \
  --strip-debug --no-header-files --no-man-pages --compress=0 --output "$work/devjdk"
# 3. the jars, entries stored (xz over the whole tar compresses class files far better than each jar's deflate)
mkdir -p "$work/sp/lib"
python3 - "$work" "$L" <<'PY'
import sys, zipfile
work, lib = sys.argv[1], sys.argv[2]
for j in open(work + '/jars.txt').read().split():
    src = f'{lib}/{j}' if j == 'spottrain-launchers.jar' else f'{lib}/lib/{j}'
    dst = f'{work}/sp/{j}' if j == 'spottrain-launchers.jar' else f'{work}/sp/lib/{j}'
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as zo:
        for info in zi.infolist():
            out = zipfile.ZipInfo(info.filename, info.date_time)
            out.external_attr = info.external_attr
            zo.writestr(out, zi.read(info.filename))
PY
mkdir -p "$root/.devpack"
tar cf - -C "$work" devjdk sp | xz -T2 -9 > "$root/.devpack/pack.tar.xz"
ls -la "$root/.devpack/pack.tar.xz"
