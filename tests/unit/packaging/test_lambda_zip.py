"""services/lambda_zip.py: what it does to a zip (run here on this machine's Python; packaging runs it on
the runtime's), and how it finds the runtime's CPython."""

from __future__ import annotations

import _imp
import importlib.util
import sys
import zipfile
from pathlib import Path

import pytest

from services.lambda_zip import NoRuntimePython, finish, runtime_python, runtime_version

pytestmark = pytest.mark.unit

SWAGGER = "aws_lambda_powertools/event_handler/openapi/swagger_ui/"
TAG = sys.implementation.cache_tag


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 2, 3, 4, 6))
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data)
    return path


def test_every_module_gets_unchecked_hash_bytecode_beside_it_and_the_rest_is_kept(tmp_path: Path) -> None:
    # Given a zip with modules at the top and in packages, a data file and the Swagger UI assets
    members = {
        "six.py": b"X = 1\n",
        "app/__init__.py": b"",
        "app/handlers/upload.py": b"def handler(event, context):\n    return event\n",
        "app/data.json": b"{}",
        f"{SWAGGER}__init__.py": b"",
        f"{SWAGGER}swagger-ui-bundle.min.js": b"x" * 1000,
        f"{SWAGGER}swagger-ui.min.css": b"y" * 100,
    }
    path = _zip(tmp_path / "function.zip", members)

    # When it is finished
    compiled = finish(path)

    # Then each module has its bytecode in __pycache__, unchecked-hash, of the source beside it,
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for source in ("six.py", "app/__init__.py", "app/handlers/upload.py", f"{SWAGGER}__init__.py"):
            folder, _, module = source.rpartition("/")
            pyc = f"{folder}/__pycache__/{module[:-3]}.{TAG}.pyc".lstrip("/")
            header = archive.read(pyc)[:16]
            key = int.from_bytes(importlib.util.MAGIC_NUMBER, "little")
            assert header[:4] == importlib.util.MAGIC_NUMBER
            assert int.from_bytes(header[4:8], "little") == 0b01
            assert header[8:16] == _imp.source_hash(key, members[source])
            # readable by everyone, as the source is (Lambda runs as another user)
            assert archive.getinfo(pyc).external_attr >> 16 == 0o100644
        # every other file kept byte for byte, and the Swagger UI assets left out
        assert all(archive.read(name) == data for name, data in members.items() if "swagger-ui" not in name)
    assert compiled == 4
    assert not [name for name in names if "swagger-ui" in name]


def test_the_runtime_is_named_by_its_python_version() -> None:
    assert runtime_version("python3.12") == "3.12"
    with pytest.raises(ValueError, match="nodejs22"):
        runtime_version("nodejs22.x")


def test_an_interpreter_of_another_version_is_never_taken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Given LAMBDA_PYTHON pointing at this machine's Python, no python3.0 on the PATH and no pyenv
    monkeypatch.setenv("LAMBDA_PYTHON", sys.executable)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))

    # Then asking for another version fails, saying how to provide one
    with pytest.raises(NoRuntimePython, match="LAMBDA_PYTHON"):
        runtime_python("3.0")
    # and asking for this machine's version takes LAMBDA_PYTHON
    assert runtime_python(f"{sys.version_info[0]}.{sys.version_info[1]}") == sys.executable
