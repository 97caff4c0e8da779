"""Finishes a function's zip for its Lambda runtime, run by the lambda-zip plugin (lambda-zip.js) once
serverless-python-requirements has put the requirements in:

    python3 lambda_zip.py --runtime python3.12 ZIP [ZIP ...]

- Every module gets its bytecode, ``__pycache__/<name>.cpython-312.pyc``, compiled by a CPython of the
  runtime's version. Lambda's code folder is read-only, so without it every cold start compiles every
  module it imports, and throws the result away. The bytecode is unchecked-hash (PEP 552): it is used
  without looking at the source's modification time, which unzipping does not keep reliably (a
  timestamp .pyc whose recorded mtime differs from the extracted file's is ignored and the module
  compiled again), and the zip is built in one go, so source and bytecode cannot drift apart.
- Files no function loads are left out (UNUSED).

The runtime's CPython is LAMBDA_PYTHON if set, else ``python3.12`` on PATH, else pyenv's 3.12.x
(runtime_python); if none is found, packaging stops and says so.
"""

from __future__ import annotations

import argparse
import compileall
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

#: Files in the zips that no function loads: Powertools' offline Swagger UI (0.45 MB zipped), which only
#: ``enable_swagger()`` serves; the API publishes its OpenAPI document without it.
UNUSED = re.compile(r"^aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui[^/]*\.(js|css)$")
#: Where Lambda unpacks a function's code: the file name compiled into tracebacks.
TASK_ROOT = "/var/task"


class NoRuntimePython(RuntimeError):
    """No CPython of the runtime's version on this machine."""


def runtime_version(runtime: str) -> str:
    """``python3.12`` -> ``3.12``."""
    match = re.fullmatch(r"python(\d+\.\d+)", runtime)
    if not match:
        raise ValueError(f"lambda_zip: {runtime!r} is not a Python runtime")
    return match.group(1)


def _reports(python: str, version: str) -> bool:
    """Whether ``python`` runs and is CPython ``version`` (a pyenv shim of another version fails)."""
    probe = "import sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2])"
    try:
        result = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.split() == ["cpython", version]


def runtime_python(version: str) -> str:
    """A CPython interpreter of ``version`` (``3.12``): bytecode is only valid for the version it was
    compiled by (the magic number in its header), so it must be the runtime's, not this machine's."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    candidates = [os.environ.get("LAMBDA_PYTHON"), shutil.which(f"python{version}")]
    candidates += [str(path) for path in sorted(pyenv.glob(f"{version}.*/bin/python{version}"), reverse=True)]
    for candidate in candidates:
        if candidate and _reports(candidate, version):
            return candidate
    raise NoRuntimePython(
        f"lambda_zip: no CPython {version} found to compile the functions' bytecode for the python{version} "
        f"runtime. Install it (for example `pyenv install {version}`) or set LAMBDA_PYTHON to its path."
    )


def finish(path: Path) -> int:
    """Add the bytecode of every module of the zip at ``path`` and drop UNUSED files, in place.
    Returns the number of modules compiled. Must run on the runtime's Python version."""
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(path) as archive:
        root = Path(scratch)
        members = [info for info in archive.infolist() if not UNUSED.match(info.filename)]
        sources = [info for info in members if info.filename.endswith(".py")]
        for info in sources:
            archive.extract(info, root)
        # A module that does not compile (none should) is left without bytecode: the import would fail
        # the same way on Lambda, where the error belongs.
        compileall.compile_dir(
            root,
            quiet=1,
            ddir=TASK_ROOT,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            workers=1,
        )
        rewritten = path.with_suffix(".tmp")
        compiled = 0
        with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as out:
            for info in members:
                out.writestr(info, archive.read(info))
            for info in sources:
                source = Path(info.filename)
                pyc = root / source.parent / "__pycache__" / f"{source.stem}.{sys.implementation.cache_tag}.pyc"
                if not pyc.exists():
                    continue
                entry = zipfile.ZipInfo(pyc.relative_to(root).as_posix(), date_time=info.date_time)
                entry.external_attr = info.external_attr
                entry.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(entry, pyc.read_bytes())
                compiled += 1
    rewritten.replace(path)
    return compiled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runtime", required=True, help="the functions' Lambda runtime, e.g. python3.12")
    parser.add_argument("zips", nargs="+", type=Path)
    args = parser.parse_args(argv)
    version = runtime_version(args.runtime)
    if f"{sys.version_info[0]}.{sys.version_info[1]}" != version or sys.implementation.name != "cpython":
        # This machine's python3 is another version: hand over to the runtime's.
        try:
            python = runtime_python(version)
        except NoRuntimePython as error:
            print(error, file=sys.stderr)
            return 1
        return subprocess.run([python, __file__, *sys.argv[1:]], check=False).returncode  # noqa: S603
    for path in args.zips:
        print(f"lambda_zip: {path.name}: {finish(path)} modules compiled for {args.runtime}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
