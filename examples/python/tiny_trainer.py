#!/usr/bin/env python3
"""A tiny pure-Python trainer that follows the spottrain contract: linear regression by gradient
descent on data made from a seed. Single rank (no collective); it exists to exercise the Python
helper end to end: hello, progress, checkpoints (interval and on request), resume, stop, done.

    python3 examples/python/tiny_trainer.py --steps 50 --checkpoint-every 10
"""
import argparse
import hashlib
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spottrain_contract as sc  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--checkpoint-every", type=int, default=0)
    p.add_argument("--step-delay-ms", type=int, default=0)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()

    env = sc.Env()
    ctl = sc.Control(env)
    ctl.hello()
    rng = random.Random(a.seed)
    xs = [rng.uniform(-1, 1) for _ in range(64)]
    ys = [3.0 * x - 0.5 + rng.gauss(0, 0.1) for x in xs]
    w, b, step = 0.0, 0.0, 0
    if env.resume_step > 0:
        try:
            state = sc.read_checkpoint(env.checkpoint_dir, env.resume_step)
        except sc.CheckpointError as e:
            print("tiny-trainer: cannot resume: %s" % e, flush=True)
            return 2
        w, b = struct.unpack("<2d", state["params.bin"])
        step = env.resume_step
        print("resumed from step %d" % step, flush=True)

    def checkpoint(reason):
        if not env.checkpoint_dir:
            return
        t0 = time.perf_counter()
        if step in sc.committed_steps(env.checkpoint_dir):  # already written (interval): report, never rewrite
            ctl.checkpoint_written(step, os.path.join(env.checkpoint_dir, "step-%d" % step), 1, 16, 0.0, 0.0, reason)
            return
        m = sc.write_checkpoint(env.checkpoint_dir, step, env.world_size, env.generation, env.job,
                                {"params.bin": struct.pack("<2d", w, b)}, {"trainer": "tiny"})
        ms = (time.perf_counter() - t0) * 1000
        ctl.checkpoint_written(step, os.path.join(env.checkpoint_dir, "step-%d" % step), len(m["files"]),
                               sum(f["size"] for f in m["files"]), ms, ms, reason)

    loss = float("nan")
    while step < a.steps:
        req = ctl.poll()
        if req is not None:
            if req.get("type") == "checkpoint-now":
                checkpoint("requested")
            elif req.get("type") == "stop":
                print("stopping at step %d as asked" % step, flush=True)
                return 75
        gw = gb = 0.0
        loss = 0.0
        for x, y in zip(xs, ys):
            err = w * x + b - y
            gw += 2 * err * x / len(xs)
            gb += 2 * err / len(xs)
            loss += err * err / len(xs)
        w -= 0.1 * gw
        b -= 0.1 * gb
        step += 1
        ctl.progress(step, loss, len(xs), a.steps)
        if a.checkpoint_every and step % a.checkpoint_every == 0:
            checkpoint("interval")
        if a.step_delay_ms:
            time.sleep(a.step_delay_ms / 1000)
    digest = hashlib.sha256(struct.pack("<2d", w, b)).hexdigest()
    print("params-sha256=%s" % digest)
    print("final-loss=%.6f" % loss, flush=True)
    ctl.done(step, loss, digest)
    ctl.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
