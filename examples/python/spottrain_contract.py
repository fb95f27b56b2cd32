"""The spottrain training-process contract for Python (standard library only).

Read the environment the agent sets, report to the agent over SPOTTRAIN_CONTROL (line-delimited
JSON on a loopback TCP socket), take its requests at step boundaries, and write checkpoints in
the layout the agent and the checkpoint store expect: <dir>/step-<n>/ with the files and
MANIFEST.json (step, world size, generation, files with size and sha256), the manifest written
last by atomic rename after every file is fsynced. See docs/training-contract.md.

Without SPOTTRAIN_CONTROL every report is a no-op, so the same script runs standalone.
"""
import datetime
import hashlib
import json
import os
import queue
import shutil
import socket
import threading

FORMAT = "spottrain-checkpoint/v1"
MANIFEST = "MANIFEST.json"


class Env:
    """The contract's environment with defaults for a standalone run."""

    def __init__(self, environ=None):
        e = os.environ if environ is None else environ
        self.rank = int(e.get("RANK", "0"))
        self.world_size = int(e.get("WORLD_SIZE", "1"))
        self.local_rank = int(e.get("LOCAL_RANK", "0"))
        self.master_addr = e.get("MASTER_ADDR", "127.0.0.1")
        self.master_port = int(e.get("MASTER_PORT", "29500"))
        self.job = e.get("SPOTTRAIN_JOB", "local")
        self.generation = int(e.get("SPOTTRAIN_GENERATION", "1"))
        self.checkpoint_dir = e.get("SPOTTRAIN_CHECKPOINT_DIR") or None
        self.resume_step = int(e.get("SPOTTRAIN_RESUME_STEP", "0"))
        self.control = e.get("SPOTTRAIN_CONTROL") or None
        self.control_token = e.get("SPOTTRAIN_CONTROL_TOKEN", "")

    def reformed(self, msg):
        """Contract v2: the membership a reform request gives this process (rank, world size, rendezvous, generation)."""
        self.rank = int(msg["rank"])
        self.world_size = int(msg["worldSize"])
        self.master_addr = msg["masterAddr"]
        self.master_port = int(msg["masterPort"])
        self.generation = int(msg["generation"])


class Control:
    """The process's end of SPOTTRAIN_CONTROL."""

    def __init__(self, env=None):
        self.env = env or Env()
        self._sock = None
        self._lock = threading.Lock()
        self._requests = queue.Queue()
        if self.env.control:
            host, _, port = self.env.control.rpartition(":")
            self._sock = socket.create_connection((host, int(port)), timeout=5)
            self._sock.settimeout(None)
            threading.Thread(target=self._read, daemon=True).start()

    @property
    def attached(self):
        return self._sock is not None

    def _send(self, msg):
        if self._sock is None:
            return
        line = (json.dumps(msg, separators=(",", ":")) + "\n").encode()
        with self._lock:
            try:
                self._sock.sendall(line)
            except OSError:
                pass  # the agent is gone; training goes on

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = self._sock.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if isinstance(msg, dict):
                    self._requests.put(msg)

    def hello(self, capabilities=()):
        # first, with the rank's secret: the agent refuses a connection whose first line is not this;
        # capabilities: what the rank can do beyond contract v1 ("reform": in-place re-form, v2)
        self._send({"type": "hello", "token": self.env.control_token, "rank": self.env.rank, "worldSize": self.env.world_size,
                    "resumeStep": self.env.resume_step, "pid": os.getpid(), "capabilities": list(capabilities)})

    def parked(self, step):
        """Contract v2: parked after "park", holding step, waiting for "reform" or "stop"."""
        self._send({"type": "parked", "step": step})

    def reformed(self, generation, step):
        """Contract v2: re-formed for generation, training on from step."""
        self._send({"type": "reformed", "generation": generation, "step": step})

    def progress(self, step, loss, samples_per_sec, total_steps=None, samples=None):
        """total_steps: the step the run ends at, when known (the coordinator's ETA and growth decisions use it).
        samples: the samples the job has trained up to this step (for a fixed global batch, step x batch), when the
        trainer counts them (the cost ledger reports the cost per million samples from it)."""
        msg = {"type": "progress", "step": step, "loss": loss, "samplesPerSec": samples_per_sec}
        if total_steps:
            msg["totalSteps"] = int(total_steps)
        if samples:
            msg["samples"] = int(samples)
        self._send(msg)

    def checkpoint_written(self, step, directory, files, nbytes, stall_ms, persist_ms, reason):
        self._send({"type": "checkpoint", "step": step, "dir": directory, "files": files, "bytes": nbytes,
                    "stallMs": stall_ms, "persistMs": persist_ms, "reason": reason})

    def stalled(self, step, reason):
        self._send({"type": "stalled", "step": step, "reason": reason})

    def done(self, step, loss, params_sha256):
        self._send({"type": "done", "step": step, "loss": loss, "paramsSha256": params_sha256})

    def poll(self, timeout=None):
        """The next request ("checkpoint-now" with an optional step, "stop"; v2: "park", "reform"), or None."""
        try:
            return self._requests.get(timeout=timeout) if timeout else self._requests.get_nowait()
        except queue.Empty:
            return None

    def close(self):
        if self._sock is not None:
            self._sock.close()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def _write_durably(path, data):
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_checkpoint(root, step, world_size, generation, job, files, metadata=None):
    """Writes {name: bytes} as checkpoint `step` under `root` and commits it; returns the manifest dict."""
    d = os.path.join(root, "step-%d" % step)
    if os.path.exists(os.path.join(d, MANIFEST)):
        raise FileExistsError("checkpoint step %d already committed in %s" % (step, d))
    shutil.rmtree(d, ignore_errors=True)  # a crashed earlier attempt: no manifest, not a checkpoint
    os.makedirs(d)
    listed = []
    for name, data in files.items():
        if "/" in name or name in (".", "..", MANIFEST) or name.endswith(".tmp"):
            raise ValueError("bad checkpoint file name %r" % name)
        _write_durably(os.path.join(d, name), data)
        listed.append({"name": name, "size": len(data), "sha256": sha256(data), "sharding": "replicated",
                       "shardRank": -1, "shardCount": 0, "group": None, "elementBytes": 0})
    manifest = {"format": FORMAT, "step": step, "worldSize": world_size, "generation": generation, "job": job,
                "createdAt": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z"),
                "files": listed, "metadata": {k: str(v) for k, v in (metadata or {}).items()}}
    tmp = os.path.join(d, MANIFEST + ".tmp")
    _write_durably(tmp, json.dumps(manifest, indent=2).encode())
    os.rename(tmp, os.path.join(d, MANIFEST))  # atomic: the commit point
    _fsync_dir(d)
    _fsync_dir(root)
    return manifest


class CheckpointError(Exception):
    pass


def read_checkpoint(root, step):
    """{name: bytes} of a committed checkpoint after checking every size and sha256; raises naming the file."""
    d = os.path.join(root, "step-%d" % step)
    try:
        with open(os.path.join(d, MANIFEST)) as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise CheckpointError("step %d: no readable manifest in %s (%s)" % (step, d, e))
    if manifest.get("format") != FORMAT or manifest.get("step") != step:
        raise CheckpointError("step %d: %s is not a %s manifest of this step" % (step, MANIFEST, FORMAT))
    out = {}
    for entry in manifest["files"]:
        path = os.path.join(d, entry["name"])
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            raise CheckpointError("step %d: file %s is missing" % (step, entry["name"]))
        if len(data) != entry["size"] or sha256(data) != entry["sha256"]:
            raise CheckpointError("step %d: file %s is corrupt" % (step, entry["name"]))
        out[entry["name"]] = data
    return out


def committed_steps(root):
    """Steps with a manifest under root, newest first."""
    if not root or not os.path.isdir(root):
        return []
    steps = []
    for name in os.listdir(root):
        if name.startswith("step-") and name[5:].isdigit() and os.path.isfile(os.path.join(root, name, MANIFEST)):
            steps.append(int(name[5:]))
    return sorted(steps, reverse=True)
