"""Which engine a build talks to, as the docker CLI would choose it (pure: contexts written to a
configuration folder of the test's own, nothing asked of an engine)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from macros.engine import buildkit, connection
from macros.errors import EngineError
from macros.measure import registry


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A docker CLI configuration of the test's own, holding two contexts, with no
    DOCKER_HOST or DOCKER_CONTEXT set."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    for name in ("desktop-linux", "colima"):  # as `docker context create NAME --docker host=...` writes it
        meta = tmp_path / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
        meta.parent.mkdir(parents=True)
        meta.write_text(json.dumps({"Name": name, "Metadata": {},
                                    "Endpoints": {"docker": {"Host": f"unix:///run/{name}.sock", "SkipTLSVerify": False}}}))
    return tmp_path


def _use(config: Path, name: str) -> None:  # as `docker context use` writes it
    (config / "config.json").write_text(json.dumps({"currentContext": name}))


def test_without_docker_host_or_a_context_the_engine_is_the_system_socket(config: Path) -> None:
    assert connection.endpoint() == "unix:///var/run/docker.sock"
    assert {k: buildkit.cli_env().get(k) for k in ("DOCKER_HOST", "DOCKER_CONTEXT", "BUILDX_BUILDER")} == \
        {"DOCKER_HOST": None, "DOCKER_CONTEXT": "default", "BUILDX_BUILDER": "default"}


def test_the_context_the_cli_uses_names_the_engine_and_its_builder(config: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONTEXT", "colima")  # with no config.json, as `docker context create` leaves it
    assert connection.endpoint() == "unix:///run/colima.sock"
    monkeypatch.delenv("DOCKER_CONTEXT")
    _use(config, "desktop-linux")  # Docker Desktop, Colima and rootless Docker each select one so
    assert connection.endpoint() == "unix:///run/desktop-linux.sock"
    monkeypatch.setenv("DOCKER_CONTEXT", "colima")  # the CLI's order: DOCKER_CONTEXT before `context use`
    assert connection.endpoint() == "unix:///run/colima.sock"
    env = buildkit.cli_env()
    assert "DOCKER_HOST" not in env and env["DOCKER_CONTEXT"] == env["BUILDX_BUILDER"] == "colima"
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/host.sock")  # and DOCKER_HOST before both
    assert connection.endpoint() == "unix:///run/host.sock"
    env = buildkit.cli_env()
    assert env["DOCKER_HOST"] == "unix:///run/host.sock" and env["BUILDX_BUILDER"] == "default"


def test_a_context_that_does_not_exist_is_named(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONTEXT", "gone")
    with pytest.raises(EngineError) as caught:
        connection.endpoint()
    assert "the docker CLI's context 'gone'" in caught.value.message and "docker context use" in caught.value.hint


def test_a_context_with_tls_certificates_asks_for_docker_host_instead(config: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (config / "contexts" / "tls" / hashlib.sha256(b"colima").hexdigest() / "docker").mkdir(parents=True)
    monkeypatch.setenv("DOCKER_CONTEXT", "colima")
    with pytest.raises(EngineError) as caught:
        connection.endpoint()
    assert "with TLS certificates" in caught.value.message and "DOCKER_CERT_PATH" in caught.value.hint


@pytest.mark.parametrize("how", ["DOCKER_HOST", "context"])
def test_an_engine_over_ssh_is_refused_with_the_forwarding_that_works(config: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       how: str) -> None:
    """The project talks to the socket and reads the registry beside the engine: over ssh it could do
    neither itself (docker-py would need paramiko, and the registry's port is the other machine's)."""
    if how == "DOCKER_HOST":
        monkeypatch.setenv("DOCKER_HOST", "ssh://me@build-box")
    else:  # as `docker context create build-box --docker host=ssh://me@build-box` writes it
        meta = config / "contexts" / "meta" / hashlib.sha256(b"build-box").hexdigest() / "meta.json"
        meta.parent.mkdir(parents=True)
        meta.write_text(json.dumps({"Name": "build-box", "Endpoints": {"docker": {"Host": "ssh://me@build-box"}}}))
        _use(config, "build-box")
    with pytest.raises(EngineError) as caught:
        connection.new_client(timeout=1)
    assert caught.value.message.startswith("the engine at ssh://me@build-box is reached over ssh"), caught.value.message
    assert "-L /tmp/docker.sock:/var/run/docker.sock -L 5000:127.0.0.1:5000" in caught.value.hint


def test_a_registry_that_does_not_answer_is_explained_by_where_the_engine_is() -> None:
    here = registry.unanswered_hint("unix:///var/run/docker.sock", 5000)
    assert here.startswith("Is port 5000 on 127.0.0.1 taken by something else?")
    assert registry.unanswered_hint("tcp://127.0.0.1:2375", 5000) == here
    elsewhere = registry.unanswered_hint("tcp://build-box:2376", 5001)
    assert elsewhere.startswith("The engine at tcp://build-box:2376 publishes the registry's port on its own machine")
    assert "`ssh -nNT -L 5001:127.0.0.1:5001 user@build-box`" in elsewhere
