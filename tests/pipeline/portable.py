"""Beam's portable services as separate processes, for tests that cross a process boundary.

`portable_services()` starts what a Flink/Spark/Dataflow-v2 run talks to, on this machine: a job
server (`local_job_service_main`, which runs the pipeline in its own process) and an `EXTERNAL`
worker pool (`worker_pool_main`, which starts one SDK worker process per worker the job server
asks for). Both listen on ports the OS assigned; both are stopped, with their workers, when the
context ends, even when the test failed.

The pool starts its workers with a bare `python` (Beam 2.78, worker_pool_main.StartWorker), so
the venv's bin folder goes first on the PATH the pool inherits: that `python` must be the one that
has this project and Beam installed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT_S = 60.0


def free_port() -> int:
    """A port the OS just assigned and released (worker_pool_main binds only the port it is given)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_env(python: str) -> dict[str, str]:
    """This environment with `python`'s bin folder first on PATH, and no PYTHON*/VIRTUAL_ENV
    variables (a PYTHONPATH would let workers import what `python` does not have installed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{Path(python).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group (the pool's workers are in it), then SIGKILL what is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    else:  # the leader is gone; its workers may not be
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _wait_for(proc: subprocess.Popen, port_of, log: Path, what: str) -> int:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        port = port_of()
        if port and _listening(port):
            return port
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen within {START_TIMEOUT_S:.0f} s:\n{log.read_text()[-3000:]}")


def _spawn(args: list[str], log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
        )


@contextlib.contextmanager
def portable_services(work_dir: Path, python: str = sys.executable) -> Iterator[list[str]]:
    """A job server and an EXTERNAL worker pool; yields the Beam flags that send a job to them.

    The job server writes the port it bound (`--port 0`) to a file; the pool takes a port picked
    by `free_port` (it has no port file), retried once should another process take it first.
    Their logs are `work_dir/job_server.log` and `work_dir/worker_pool.log`. The processes run
    from `work_dir`, so workers can import this project only as installed, not from the cwd;
    `python` (default: this one) runs both, and the pool's workers, from its venv.
    """
    env, started = venv_env(python), []
    try:
        port_file = work_dir / "job_server.port"
        job_log = work_dir / "job_server.log"
        started.append(
            _spawn(
                [
                    python,
                    "-m",
                    "apache_beam.runners.portability.local_job_service_main",
                    "--port",
                    "0",
                    "--port_file",
                    str(port_file),
                ],
                job_log,
                env,
                work_dir,
            )
        )
        job_port = _wait_for(
            started[-1],
            lambda: int(port_file.read_text()) if port_file.exists() else 0,
            job_log,
            "job server",
        )
        pool_log = work_dir / "worker_pool.log"
        for attempt in range(2):
            pool_port = free_port()
            started.append(
                _spawn(
                    [
                        python,
                        "-m",
                        "apache_beam.runners.worker.worker_pool_main",
                        "--service_port",
                        str(pool_port),
                    ],
                    pool_log,
                    env,
                    work_dir,
                )
            )
            try:
                _wait_for(started[-1], lambda p=pool_port: p, pool_log, "worker pool")
                break
            except RuntimeError:
                _stop(started.pop())
                if attempt:
                    raise
        yield [
            "--runner=PortableRunner",
            f"--job_endpoint=localhost:{job_port}",
            "--environment_type=EXTERNAL",
            f"--environment_config=localhost:{pool_port}",
        ]
    finally:
        for proc in reversed(started):
            _stop(proc)
