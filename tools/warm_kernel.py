#!/usr/bin/env python3
"""Start Jupyter kernels by forking one warm process, instead of starting Python each time.

Every chapter of the book is executed in a fresh IPython kernel. Starting one costs about 3 s of
CPU on this machine before the chapter's first line runs: Python and ipykernel start (1.0 s), then
the chapter imports numpy, pandas, matplotlib and metarmc (2.1 s). With 36 chapters that is about
half of a cold build. A *warm server* pays it once: it imports those modules, then forks a copy of
itself for each kernel, and the copy becomes an ordinary ipykernel. Every chapter still gets its
own process and namespace; only the imported, unchanged modules are shared.

Two parts, both in this file, which imports nothing outside the standard library at the top, so
that the client starts in milliseconds:

- ``serve SOCKET``: import :data:`PRELOAD` and every ``metarmc`` module, print ``ready`` and fork
  one kernel per connection on the Unix socket ``SOCKET``.
- ``client SOCKET -f CONNECTION_FILE``: the command a kernel manager launches in place of
  ``python -m ipykernel_launcher -f CONNECTION_FILE``. It hands the server its standard streams,
  working directory, environment and arguments, then stands in for the kernel: it forwards
  SIGINT and SIGTERM to it and exits when it exits, so that the kernel manager can interrupt, stop
  and wait for it as it would for its own child.

``tools/execute_book.py`` runs the server for the length of a build. The modules are imported as
the kernel would import them (``MPLBACKEND`` set as ipykernel sets it first); matplotlib's inline
backend is left to the kernel, because it hooks itself into IPython when it is imported. The
golden notebooks, which nbval compares with the build's outputs, are the check that a forked
kernel prints exactly what a fresh one does.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import sys

#: Imported by the server before it forks; each kernel finds them already in ``sys.modules``.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "IPython.display",
    "numpy",
    "pandas",
    "scipy.special",
    "scipy.stats",
    "matplotlib.pyplot",
    "myst_nb",
)
#: ipykernel's default backend (``IPKernelApp.init_gui_pylab``), set before matplotlib is imported.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
STREAMS = (0, 1, 2)


def preload() -> dict[str, str]:
    """Import :data:`PRELOAD` and every module of ``metarmc``, as a kernel would.

    Returns the environment variables the imports set (debugpy sets one), which a kernel started
    afresh would have too.
    """
    import pkgutil

    before = dict(os.environ)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    for name in PRELOAD:
        importlib.import_module(name)
    import metarmc

    for module in pkgutil.walk_packages(metarmc.__path__, "metarmc."):
        if not module.name.endswith(".__main__"):  # the command line, which runs when imported
            importlib.import_module(module.name)
    return {name: value for name, value in os.environ.items() if before.get(name) != value}


def serve(path: str) -> None:
    """Preload, then fork a kernel for every connection to the Unix socket ``path``."""
    imports_set = preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernels are reaped by the system
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen()
        print("ready", flush=True)
        while True:
            connection, _ = listener.accept()
            message, streams = receive(connection)
            pid = os.fork()
            if pid == 0:
                listener.close()
                become_kernel(message, streams, connection, imports_set)
            for fd in streams:
                os.close(fd)
            connection.sendall(str(pid).encode() + b"\n")
            connection.close()


def receive(connection: socket.socket) -> tuple[dict, list[int]]:
    """The client's request (argv, cwd, env) and its three standard streams."""
    data, fds, _, _ = socket.recv_fds(connection, 1 << 20, len(STREAMS))  # the client's socket.send_fds
    while chunk := connection.recv(1 << 16):  # the rest of the request, up to the client's SHUT_WR
        data += chunk
    return json.loads(data), list(fds)


def become_kernel(message: dict, streams: list[int], connection: socket.socket, imports_set: dict) -> None:
    """In the forked child: take the client's streams, directory and environment; run ipykernel.

    The environment is the client's, plus what the preloaded imports set. ipykernel reads
    ``JPY_PARENT_PID`` (the kernel manager's process) when it is imported, which was before this
    kernel had one, so it is passed as an argument. The connection to the client stays open in
    this process only, so the client learns that the kernel has ended when its end closes.
    """
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for target, fd in zip(STREAMS, streams):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(message["cwd"])
    os.environ.clear()
    os.environ.update(message["env"] | imports_set)
    argv = [*message["argv"], f"--IPKernelApp.parent_handle={os.environ.get('JPY_PARENT_PID') or 0}"]
    sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *message["argv"]]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p) != os.path.dirname(os.path.abspath(__file__))]
    status = 0
    try:
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=argv)
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        connection.close()
    os._exit(status)


def client(path: str, argv: list[str]) -> int:
    """Ask the server at ``path`` for a kernel with ``argv``; wait for it, passing signals on."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
        socket.send_fds(connection, [request], list(STREAMS))
        connection.shutdown(socket.SHUT_WR)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = connection.recv(64)
            if not chunk:
                return 1
            reply += chunk
        kernel = int(reply)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda number, frame: os.kill(kernel, number))
        while connection.recv(64):  # returns b"" once the kernel has exited
            pass
    return 0


def main(argv: list[str]) -> int:
    command, path, *rest = argv
    if command == "serve":
        serve(path)
        return 0
    return client(path, rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
