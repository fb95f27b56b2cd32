#!/usr/bin/env python3
"""PyTorch data-parallel training under spottrain (needs torch; runs where torch exists).

The same MLP classifier and synthetic data recipe as the Java example, on torch.distributed with
the torchrun-compatible environment the agent sets (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
MASTER_PORT) and the spottrain contract (examples/python/spottrain_contract.py): progress,
checkpoints in the manifest layout, checkpoint/stop requests made collective, a stall report when
a peer dies, resume from SPOTTRAIN_RESUME_STEP. Contract v2 (default; --contract v1 to opt out):
after a stall or a park the process keeps its model and, on "reform", destroys its process group
and initialises a new one with the new rank, world size and rendezvous, training on in place.

--reduce exact (default): per-sample gradients (torch.func where the installed torch has it, 2.0
and later; a per-sample autograd loop otherwise, e.g. Debian's python3-torch 1.13) quantized to int64 fixed point and
summed with an int64 all_reduce. Integer sums do not depend on world size or arrival order, so a
resume at another world size can reproduce an uninterrupted run as long as each per-sample
gradient is computed identically (see README.md for what was measured on which device).
--reduce float: plain DDP-style float all_reduce of the mean gradient (fast, not reproducible
across world sizes).

    RANK=0 WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 python3 ddp_train.py --steps 200
"""
import argparse
import datetime
import hashlib
import os
import struct
import sys
import time

import torch
import torch.distributed as dist

try:  # torch >= 2.0
    from torch.func import functional_call, grad, vmap
except ImportError:  # torch 1.x (Debian's python3-torch 1.13): per-sample gradients by an autograd loop
    functional_call = grad = vmap = None

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import spottrain_contract as sc  # noqa: E402

SCALE = 2.0 ** 32
EXIT_STOPPED = 75
EXIT_BAD_INPUT = 2


def args():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--features", type=int, default=16)
    p.add_argument("--classes", type=int, default=8)
    p.add_argument("--samples", type=int, default=4096)
    p.add_argument("--lr", type=float, default=0.02)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--checkpoint-every", type=int, default=int(os.environ.get("SPOTTRAIN_CHECKPOINT_INTERVAL", "0")))
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--reduce", default="exact", choices=["exact", "float"])
    p.add_argument("--peer-timeout-s", type=float, default=30)
    p.add_argument("--stall-wait-s", type=float, default=60)
    p.add_argument("--contract", default="v2", choices=["v1", "v2"],
                   help="v2 (default): survivors re-form the process group in place; v1: every generation is a new process")
    p.add_argument("--state-mb", type=int, default=0,
                   help="MiB of optimizer-like state carried in every checkpoint (state.bin), so transfers cost what a real model's do")
    a = p.parse_args()
    if not 0 <= a.state_mb <= 16384:
        p.error("--state-mb must be 0..16384, got %d" % a.state_mb)
    return a


class Mlp(torch.nn.Module):
    def __init__(self, d, h, c):
        super().__init__()
        self.l1 = torch.nn.Linear(d, h)
        self.l2 = torch.nn.Linear(h, c)

    def forward(self, x):
        return self.l2(torch.relu(self.l1(x)))


def main():
    a = args()
    env = sc.Env()
    ctl = sc.Control(env)
    ctl.hello(["reform", "ring-state"] if a.contract == "v2" else [])
    use_cuda = a.device == "cuda" or (a.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda", env.local_rank % max(1, torch.cuda.device_count())) if use_cuda else torch.device("cpu")
    backend = "nccl" if use_cuda and torch.cuda.device_count() >= env.world_size else "gloo"
    if use_cuda:
        torch.cuda.set_device(device)
    torch.use_deterministic_algorithms(True, warn_only=True)
    def init_group():
        dist.init_process_group(backend, init_method="tcp://%s:%d" % (env.master_addr, env.master_port), rank=env.rank,
                                world_size=env.world_size, timeout=datetime.timedelta(seconds=a.peer_timeout_s))

    standby = os.environ.get("SPOTTRAIN_STANDBY") == "1" and a.contract == "v2"  # a staged newcomer (contract v2)
    if not standby:
        init_group()
    comm = device if backend == "nccl" else torch.device("cpu")

    g = torch.Generator().manual_seed(a.seed)
    centers = torch.randn(a.classes, a.features, generator=g, dtype=torch.float64)
    y_all = torch.randint(0, a.classes, (a.samples,), generator=g)
    x_all = (centers[y_all] + 2.5 * torch.randn(a.samples, a.features, generator=g, dtype=torch.float64)).to(device)
    y_all = y_all.to(device)

    torch.manual_seed(a.seed)
    model = Mlp(a.features, a.hidden, a.classes).to(device=device, dtype=torch.float64)
    names = [n for n, _ in model.named_parameters()]
    velocity = [torch.zeros_like(p) for p in model.parameters()]
    step = 0

    # --state-mb: pseudo-random bytes from the seed, the first 8 the step (big-endian, as the Java trainer), checked on load
    extra = bytearray(torch.randint(0, 256, (a.state_mb << 20,), dtype=torch.uint8,
                                    generator=torch.Generator().manual_seed(a.seed)).numpy().tobytes()) if a.state_mb else None

    def load(at):
        state = sc.read_checkpoint(env.checkpoint_dir, at)
        if extra is not None:
            got = state.get("state.bin")
            if got is None:
                raise sc.CheckpointError("step %d: no state.bin (written without --state-mb?)" % at)
            if len(got) != len(extra):
                raise sc.CheckpointError("step %d: state.bin has %d bytes, --state-mb asks for %d" % (at, len(got), len(extra)))
            stamped = struct.unpack(">q", got[:8])[0]
            if stamped != at:
                raise sc.CheckpointError("step %d: state.bin holds the state of step %d" % (at, stamped))
            extra[:] = got
        flat = torch.frombuffer(bytearray(state["params.bin"]), dtype=torch.float64).to(device)
        vel = torch.frombuffer(bytearray(state["optimizer.bin"]), dtype=torch.float64).to(device)
        torch.nn.utils.vector_to_parameters(flat, model.parameters())
        torch.nn.utils.vector_to_parameters(vel, velocity)

    if env.resume_step > 0:
        try:
            load(env.resume_step)
        except sc.CheckpointError as e:
            print("ddp_train: cannot resume: %s" % e, file=sys.stderr, flush=True)
            return EXIT_BAD_INPUT
        step = env.resume_step
        print("[rank %d/%d] resumed from step %d" % (env.rank, env.world_size, step), flush=True)

    holds = True  # False while re-formed without the resume step's state (ring-state): it comes over the group
    # the state of the step before the current one, (step, params, velocity): ranks stall up to a step apart, and the coordinator
    # may ask a rank a step ahead for the step the others hold (training-contract.md). One copy of the model and optimizer state
    # per step; None where that step is not held (after a load, a re-form or a roll back)
    prev = None

    def share_state():
        """Contract v2 ring-state, right after a group forms: every rank says whether (and which step) it holds; a rank that
        holds nothing takes the parameters and optimizer state from the lowest rank that does (broadcast: exact values).
        Every rank decides from what all said, so all raise alike (CheckpointError) when no rank, or holders of different
        steps, hold it. A RuntimeError is a peer lost meanwhile."""
        nonlocal step, holds, prev
        n = env.world_size
        who = torch.zeros(2 * n, dtype=torch.int64)
        if holds:
            who[env.rank], who[n + env.rank] = 1, step
        who = who.to(comm)
        dist.all_reduce(who)
        who = who.cpu().tolist()
        holders = [i for i in range(n) if who[i] == 1]
        if not holders:
            raise sc.CheckpointError("no rank of the re-formed group holds the state to resume from")
        if len({who[n + i] for i in holders}) != 1:
            raise sc.CheckpointError("the ranks that hold a state hold different steps")
        if len(holders) < n:
            flat = flat_params().to(comm)
            vel = torch.nn.utils.parameters_to_vector(velocity).detach().to(comm)
            dist.broadcast(flat, holders[0])
            dist.broadcast(vel, holders[0])
            if not holds:
                torch.nn.utils.vector_to_parameters(flat.to(device), model.parameters())
                torch.nn.utils.vector_to_parameters(vel.to(device), velocity)
                print("[rank %d/%d] took the state of step %d from rank %d over the group" % (env.rank, env.world_size,
                                                                                        who[n + holders[0]], holders[0]), flush=True)
        step = who[n + holders[0]]
        holds = True
        prev = None

    def loss_one(params, x, y):
        out = functional_call(model, params, (x.unsqueeze(0),))
        return torch.nn.functional.cross_entropy(out, y.unsqueeze(0))

    def per_sample_loop(params, xs, ys):
        # each sample's gradient on its own: the same numbers whichever rank computes it, like vmap's
        out = {n: [] for n in names}
        for i in range(xs.shape[0]):
            model.zero_grad()
            torch.nn.functional.cross_entropy(model(xs[i:i + 1]), ys[i:i + 1]).backward()
            for n, p in model.named_parameters():
                out[n].append(p.grad.detach().clone())
        return {n: torch.stack(v) if v else torch.zeros((0,) + tuple(dict(model.named_parameters())[n].shape),
                                                        dtype=torch.float64, device=device) for n, v in out.items()}

    per_sample = vmap(grad(loss_one), in_dims=(None, 0, 0)) if vmap is not None else per_sample_loop

    def flat_params():
        return torch.nn.utils.parameters_to_vector(model.parameters()).detach()

    def checkpoint(reason):
        if not env.checkpoint_dir or not holds:  # without the state (ring-state, not taken yet) there is nothing to write
            return
        t0 = time.perf_counter()
        if step in sc.committed_steps(env.checkpoint_dir):  # already written this step: report, never rewrite
            ctl.checkpoint_written(step, os.path.join(env.checkpoint_dir, "step-%d" % step), 2, 0, 0.0, 0.0, reason)
            return
        files = {"params.bin": flat_params().cpu().numpy().tobytes(),
                 "optimizer.bin": torch.nn.utils.parameters_to_vector(velocity).cpu().numpy().tobytes()}
        if extra is not None:  # a copy, stamped with its step
            files["state.bin"] = struct.pack(">q", step) + bytes(extra[8:])
        stall = (time.perf_counter() - t0) * 1000
        m = sc.write_checkpoint(env.checkpoint_dir, step, env.world_size, env.generation, env.job, files,
                                {"trainer": "pytorch-mlp", "reduce": a.reduce})
        persist = (time.perf_counter() - t0) * 1000
        ctl.checkpoint_written(step, os.path.join(env.checkpoint_dir, "step-%d" % step), len(m["files"]),
                               sum(f["size"] for f in m["files"]), stall, persist, reason)

    def await_agent(parked):
        """After a stall or a park: wait (bounded) for park, reform (v2) or stop. Returns an exit code, or
        None once the process group is re-formed with the new members at the step this process holds."""
        nonlocal step, holds, prev
        deadline = time.monotonic() + a.stall_wait_s
        while time.monotonic() < deadline:
            req = ctl.poll(0.2) if ctl.attached else None
            if req is None:
                if not ctl.attached:
                    break
                continue
            kind = req.get("type")
            if kind == "checkpoint-now":
                want = req.get("step", step)
                if want == step:
                    checkpoint("stall")
                elif env.checkpoint_dir and want in sc.committed_steps(env.checkpoint_dir):  # committed earlier: report it
                    ctl.checkpoint_written(want, os.path.join(env.checkpoint_dir, "step-%d" % want), 2, 0, 0.0, 0.0, "stall")
                elif prev is not None and prev[0] == want:  # the step before: go back to it (the others stalled a step behind)
                    torch.nn.utils.vector_to_parameters(prev[1], model.parameters())
                    torch.nn.utils.vector_to_parameters(prev[2], velocity)
                    print("[rank %d/%d] back to step %d (held from before step %d) to write it" % (env.rank, env.world_size, want, step),
                          flush=True)
                    step, prev = want, None
                    checkpoint("stall")
                else:
                    print("[rank %d/%d] cannot checkpoint step %d: holds step %d" % (env.rank, env.world_size, want, step), flush=True)
                    return EXIT_STOPPED
            elif kind == "park" and a.contract == "v2" and parked:
                ctl.parked(step)  # parked through the collective before its own park came: say so again
            elif kind == "park" and a.contract == "v2":
                parked = True
                print("[rank %d/%d] parked at step %d: waiting to re-form in place" % (env.rank, env.world_size, step), flush=True)
                ctl.parked(step)
                deadline = time.monotonic() + a.stall_wait_s
            elif kind == "reform" and a.contract == "v2":
                resume = int(req["resumeStep"])
                if resume != step and req.get("stateOverRing"):
                    holds = False  # a staged newcomer: a member that holds the step sends it once the group is up (share_state)
                elif resume != step:
                    try:
                        load(resume)
                    except (sc.CheckpointError, OSError) as e:
                        print("[rank %d/%d] cannot re-form at step %d (holds %d): %s" % (env.rank, env.world_size, resume, step, e),
                              flush=True)
                        return EXIT_STOPPED
                    step = resume
                    holds = True
                    prev = None
                if dist.is_initialized():
                    dist.destroy_process_group()
                env.reformed(req)
                newcomer = not holds
                try:
                    init_group()
                    if not newcomer:
                        ctl.reformed(env.generation, resume)
                    share_state()
                except sc.CheckpointError as e:
                    print("[rank %d/%d] cannot take the state over the group: %s" % (env.rank, env.world_size, e), flush=True)
                    return EXIT_STOPPED
                except RuntimeError as e:
                    if newcomer:  # nothing to keep: exit before 'reformed', and the agent starts a fresh process that restores
                        print("[rank %d/%d] lost a peer before taking the state: %s" % (env.rank, env.world_size,
                                                                                       str(e).splitlines()[0]), flush=True)
                        return EXIT_STOPPED
                    print("[rank %d/%d] stalled at step %d: %s" % (env.rank, env.world_size, step, str(e).splitlines()[0]), flush=True)
                    ctl.stalled(step, str(e).splitlines()[0])  # a peer lost while re-forming: a stall like any other
                    deadline = time.monotonic() + a.stall_wait_s
                    continue
                if newcomer:
                    ctl.reformed(env.generation, step)  # only once it holds the state
                print("[rank %d/%d] re-formed in place for generation %d at step %d" % (env.rank, env.world_size, env.generation,
                                                                                         step), flush=True)
                return None
            elif kind == "stop":
                return EXIT_STOPPED
        return EXIT_STOPPED

    if not standby and a.contract == "v2":
        try:
            share_state()  # every rank of a v2 group does, whatever it holds: the group stays in step
        except sc.CheckpointError as e:
            print("ddp_train: %s" % e, file=sys.stderr, flush=True)
            return EXIT_STOPPED
        except RuntimeError as e:  # a peer died before the first step: a stall like any other
            print("[rank %d/%d] stalled at step %d: %s" % (env.rank, env.world_size, step, str(e).splitlines()[0]), flush=True)
            ctl.stalled(step, str(e).splitlines()[0])
            code = await_agent(False)
            if code is not None:
                return code
    if standby:
        print("[rank -] staged at step %d: waiting to be re-formed into a generation" % step, flush=True)
        ctl.parked(step)
        code = await_agent(True)
        if code is not None:
            return code
    ask_ckpt = ask_stop = ask_park = False
    loss_value = float("nan")
    t_window, n_window = time.perf_counter(), 0
    while step < a.steps:
        lo = a.batch * env.rank // env.world_size
        hi = a.batch * (env.rank + 1) // env.world_size
        req = ctl.poll()
        while req is not None:
            ask_ckpt |= req.get("type") == "checkpoint-now"
            ask_stop |= req.get("type") == "stop"
            ask_park |= req.get("type") == "park"
            req = ctl.poll()
        perm = torch.randperm(a.samples, generator=torch.Generator().manual_seed(a.seed * 31 + step * a.batch // a.samples))
        off = (step * a.batch) % a.samples
        idx = perm[off + lo:off + hi].to(device)
        params = {n: p.detach() for n, p in model.named_parameters()}
        try:
            if a.reduce == "exact":
                gs = per_sample(params, x_all[idx], y_all[idx])
                qs = [torch.round(gs[n] * SCALE).to(torch.int64).sum(0) for n in names]
                with torch.no_grad():
                    losses = torch.nn.functional.cross_entropy(model(x_all[idx]), y_all[idx], reduction="none")
                qloss = torch.round(losses * SCALE).to(torch.int64).sum().reshape(1)
                flags = torch.tensor([int(ask_ckpt), int(ask_stop or ask_park), int(ask_park)], dtype=torch.int64, device=device)
                vec = torch.cat([q.reshape(-1) for q in qs] + [qloss, flags]).to(comm)
                dist.all_reduce(vec)
                vec = vec.to(device)
                grads = vec[:-4].to(torch.float64) / (SCALE * a.batch)
                loss_value = vec[-4].item() / (SCALE * a.batch)
                ckpt_flag, stop_flag, park_flag = vec[-3].item(), vec[-2].item(), vec[-1].item()
            else:
                model.zero_grad()
                out = model(x_all[idx])
                loss = torch.nn.functional.cross_entropy(out, y_all[idx], reduction="sum")
                loss.backward()
                vec = torch.cat([p.grad.reshape(-1) for p in model.parameters()] +
                                [loss.detach().reshape(1), torch.tensor([float(ask_ckpt), float(ask_stop or ask_park), float(ask_park)],
                                                                        dtype=torch.float64, device=device)]).to(comm)
                dist.all_reduce(vec)
                vec = vec.to(device)
                grads = vec[:-4] / a.batch
                loss_value = vec[-4].item() / a.batch
                ckpt_flag, stop_flag, park_flag = vec[-3].item(), vec[-2].item(), vec[-1].item()
        except RuntimeError as e:  # a peer died or hung past the time-out
            print("[rank %d/%d] stalled at step %d: %s" % (env.rank, env.world_size, step, str(e).splitlines()[0]), flush=True)
            ctl.stalled(step, str(e).splitlines()[0])
            checkpoint("stall")
            if a.contract == "v1":
                return EXIT_STOPPED
            code = await_agent(False)
            if code is not None:
                return code
            ask_ckpt = ask_stop = ask_park = False
            continue
        asked_stop = ask_stop  # this rank itself was asked to stop (departing): it exits even when others park
        ask_ckpt = ask_stop = ask_park = False
        if a.contract == "v2":  # fresh copies (parameters_to_vector concatenates); a v1 rank exits at a stall, serving no other step
            prev = (step, flat_params(), torch.nn.utils.parameters_to_vector(velocity).detach())
        with torch.no_grad():
            offset = 0
            for p, v in zip(model.parameters(), velocity):
                gp = grads[offset:offset + p.numel()].view_as(p)
                offset += p.numel()
                v.mul_(a.momentum).add_(gp)
                p.sub_(a.lr * v)
        step += 1
        n_window += 1
        if step % a.log_every == 0 or step == a.steps:
            sps = n_window * a.batch / max(time.perf_counter() - t_window, 1e-9)
            print("[rank %d/%d] step %d loss %.6f samples/s %.0f" % (env.rank, env.world_size, step, loss_value, sps), flush=True)
            ctl.progress(step, loss_value, sps, a.steps, samples=step * a.batch)  # a constant global batch
            t_window, n_window = time.perf_counter(), 0
        if ckpt_flag > 0 or (a.checkpoint_every and step % a.checkpoint_every == 0) or (stop_flag > 0 and step < a.steps):
            checkpoint("requested" if ckpt_flag > 0 else "stop" if stop_flag > 0 else "interval")
        if stop_flag > 0 and step < a.steps:
            # a v2 rank not itself asked to stop parks (its own park or stop may come a step later); the departing exits
            if a.contract == "v2" and not asked_stop:
                print("[rank %d/%d] parked at step %d: waiting to re-form in place" % (env.rank, env.world_size, step), flush=True)
                ctl.parked(step)
                code = await_agent(True)
                if code is not None:
                    return code
                continue
            return EXIT_STOPPED
    digest = hashlib.sha256(flat_params().cpu().numpy().tobytes()).hexdigest()
    print("params-sha256=%s" % digest)
    print("final-loss=%.6f" % loss_value, flush=True)
    ctl.done(step, loss_value, digest)
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
