"""Contributed variants are untrusted: sandboxed runs, bounded output, clean-up, clear errors."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from macros.engine import buildkit, connection, images, labels, memory
from macros.errors import BuildError, ConfigError, ProjectError, VerificationError
from macros.measure.registry import OnDemand
from macros.model import variants
from macros.model.cache import ResultCache
from macros.model.measurement import Measurement
from macros.model.session import Shown
from macros.model.settings import Settings
from macros.pages import render

from tests.factories import measurement
from tests.helpers import NAMESPACE, REPO, cli, container_ids, measure_one, seeded_cache, volume_names, write_variants

pytestmark = pytest.mark.docker


@pytest.fixture
def nothing_left(client: docker.DockerClient) -> Iterator[None]:
    """Whatever the test does, the engine holds the same containers and volumes afterwards."""
    before = container_ids(client), volume_names(client)
    yield
    deadline = time.monotonic() + 20  # the engine cancels an abandoned build asynchronously
    while (container_ids(client), volume_names(client)) != before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert container_ids(client) == before[0]
    assert volume_names(client) == before[1]


def _one(tmp_path: Path, dockerfile: str, rest: str) -> variants.Variant:
    rest = '    binary: ""\n' + rest
    [variant] = variants.load(Settings.read(), path=write_variants(tmp_path, {"pytest-x": (dockerfile, rest)}), repo=REPO)
    return variant


def test_run_has_no_network_a_read_only_root_and_no_privileges(client: docker.DockerClient, tmp_path: Path,
                                                              store: OnDemand, nothing_left: None) -> None:
    probe = ('FROM debian:bullseye\nCMD ["bash", "-c", "ls /sys/class/net; '
             'touch /probe 2>/dev/null && echo rootfs:writable || echo rootfs:read-only; '
             'grep -E \'^(CapEff|NoNewPrivs)\' /proc/self/status"]\n')
    expected = "lo\\nrootfs:read-only\\nCapEff:\\t0000000000000000\\nNoNewPrivs:\\t1\\n"
    variant = _one(tmp_path, probe, f'    expect: {{exit_code: 0, stdout: "{expected}", stderr: ""}}')
    result = measure_one(client, variant, store=store)
    assert result.stdout == "lo\nrootfs:read-only\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\n"


# A VOLUME line makes an anonymous volume for every container of the image, the readers' too, even
# one never started: each goes with its container.
def test_an_image_that_declares_a_volume_leaves_none_behind(client: docker.DockerClient, tmp_path: Path,
                                                            store: OnDemand, nothing_left: None) -> None:
    variant = _one(tmp_path, 'FROM debian:bullseye\nVOLUME /data\nCMD ["sh", "-c", "echo hello > /data/f && cat /data/f"]\n',
                   '    expect: {exit_code: 0, stdout: "hello\\n", stderr: ""}')
    assert measure_one(client, variant, store=store).stdout == "hello\n"


def test_a_run_past_its_timeout_is_killed_and_reported(client: docker.DockerClient, tmp_path: Path,
                                                       store: OnDemand, nothing_left: None) -> None:
    variant = _one(tmp_path, 'FROM debian:bullseye\nCMD ["sleep", "infinity"]\n',
                   "    timeout_s: 2\n    expect: {exit_code: 0}")
    started = time.monotonic()
    with pytest.raises(VerificationError) as caught:
        measure_one(client, variant, store=store)
    assert time.monotonic() - started < 30
    message = str(caught.value)
    assert "pytest-x" in message and "timeout" in message and re.search(r"\(\d+\.\ds\)", message)


def test_a_flood_of_output_is_cut_and_memory_stays_flat(client: docker.DockerClient, tmp_path: Path,
                                                        store: OnDemand, nothing_left: None) -> None:
    """50 MB of output costs no more Python memory than one line does, on the same image (what the
    image holds, its files listed for the contents and the diff, costs the same in both)."""
    def peak_of(command: str, folder: Path) -> tuple[int, variants.Variant, Measurement]:
        folder.mkdir()
        variant = _one(folder, f'FROM debian:bullseye\nCMD ["sh", "-c", "{command}"]\n', "    expect: {exit_code: 0}")
        tracemalloc.start()
        try:
            result = measure_one(client, variant, store=store)
            return tracemalloc.get_traced_memory()[1], variant, result
        finally:
            tracemalloc.stop()

    quiet, _, _ = peak_of("echo x", tmp_path / "quiet")
    peak, variant, result = peak_of("head -c 50000000 /dev/zero | tr \'\\\\0\' x", tmp_path / "flood")
    assert result.stdout_truncated and len(result.stdout) == 64 * 1024 and set(result.stdout) == {"x"}
    assert result.stdout_bytes == 50_000_000 and result.stderr_bytes == 0
    assert peak - quiet < 2 * 1024 * 1024, f"peak Python memory {peak:,} bytes for 50 MB of output, {quiet:,} for a line"
    assert "50,000,000 bytes in all, the first 64 KiB shown" in render.run_block(Shown(variant, result, False, "x:latest"))


def test_a_200_mb_flood_takes_the_programs_own_time(client: docker.DockerClient, tmp_path: Path,
                                                    store: OnDemand, nothing_left: None) -> None:
    """The engine keeps no copy of a run's output (logging off, streams attached before the start),
    so a flood is read as fast as the program writes it, and the engine's disk holds none of it."""
    variant = _one(tmp_path, 'FROM debian:bullseye\nCMD ["sh", "-c", "yes flood | head -c 200000000"]\n',
                   '    expect: {exit_code: 0, stderr: ""}')
    result = measure_one(client, variant, store=store)
    assert result.stdout_bytes == 200_000_000 and result.stdout.startswith("flood\nflood\n")
    assert result.run_s < 5, f"the run took {result.run_s:.1f}s"
    inspect = client.api.inspect_image(result.image_id)
    assert inspect["Config"]["Labels"]["io.smallest-go.variant"] == "pytest-x"


def test_dockerfile_syntax_error_names_variant_and_message(client: docker.DockerClient, tmp_path: Path,
                                                           store: OnDemand, nothing_left: None) -> None:
    variant = _one(tmp_path, "FROM debian:bullseye\nRUNN echo hi\n", "    expect: {exit_code: 0}")
    with pytest.raises(BuildError) as caught:
        measure_one(client, variant, store=store)
    assert "pytest-x" in str(caught.value) and "RUNN" in str(caught.value) and "Dockerfile.pytest-x" in str(caught.value)


@pytest.mark.parametrize(("lines", "there"), [
    ('WORKDIR /home/app\nRUN cp /bin/true prog\nCMD ["./prog"]\n', "/home/app/prog"),
    ('RUN cp /bin/true /usr/local/bin/prog\nCMD ["prog"]\n', "/usr/local/bin/prog"),
    ("RUN cp /bin/true /usr/local/bin/prog\nCMD prog --quiet\n", "/usr/local/bin/prog"),
], ids=["working-directory", "on-path", "shell-form"])
def test_a_program_not_at_the_default_path_is_found_where_the_image_starts(
        client: docker.DockerClient, tmp_path: Path, store: OnDemand, nothing_left: None, lines: str,
        there: str) -> None:
    # A copy of a variant whose program lives elsewhere (distroless :nonroot's working directory,
    # a folder of PATH, a shell's command line) is told the path its own image starts, not only
    # that /main is missing.
    path = write_variants(tmp_path, {"pytest-elsewhere": (f"FROM debian:bullseye\n{lines}",
                                                          "    expect: {exit_code: 0}")})
    [variant] = variants.load(Settings.read(), path=path, repo=REPO)
    with pytest.raises(ConfigError) as caught:
        measure_one(client, variant, store=store)
    assert f"the image has no file /main to measure as the program; it starts {there}" in str(caught.value)
    assert caught.value.hint.startswith(f"Set `binary: {there}` for this variant")


def test_failing_build_and_failing_run_leave_nothing(client: docker.DockerClient, tmp_path: Path,
                                                     store: OnDemand, nothing_left: None) -> None:
    broken = _one(tmp_path, "FROM debian:bullseye\nRUN echo partial > /f && exit 7\n", "    expect: {exit_code: 0}")
    with pytest.raises(BuildError, match=r"\[2/2\] RUN echo partial"):
        measure_one(client, broken, store=store)
    (tmp_path / "b").mkdir()
    wrong = _one(tmp_path / "b", 'FROM debian:bullseye\nCMD ["sh", "-c", "echo no; exit 3"]\n',
                 "    expect: {exit_code: 0}")
    with pytest.raises(VerificationError, match="exited with code 3"):
        measure_one(client, wrong, store=store)


def test_one_variant_failing_to_build_and_one_to_run_do_not_stop_the_others(client: docker.DockerClient,
                                                                            tmp_path: Path) -> None:
    """Builds and the finishing (run, verify, push) happen in different threads: a failure in
    either is its variant's alone, and the variant that works is measured and cached."""
    path = write_variants(tmp_path, {
        "pytest-breaks": ("FROM debian:bullseye\nRUN exit 7\n", '    binary: ""\n    expect: {exit_code: 0}'),
        "pytest-lies": ('FROM debian:bullseye\nCMD ["sh", "-c", "echo no; exit 3"]\n',
                        '    binary: ""\n    expect: {exit_code: 0}'),
        "pytest-works": ('FROM debian:bullseye\nCMD ["echo", "fine"]\n',
                         '    binary: ""\n    expect: {exit_code: 0, stdout: "fine\\n"}'),
    })
    cache = seeded_cache(tmp_path / "c")
    first = cli("measure", variants=path, cache=cache)
    said = first.stdout + first.stderr
    assert first.returncode == 1, said
    assert "2 of the 3 variants failed: " in said and "Traceback" not in said, said
    failed = re.search(r"variants failed: (.*) \(explained above\)", said)
    assert failed is not None and sorted(failed.group(1).split(", ")) == ["pytest-breaks", "pytest-lies"], said
    assert "exited with code 3" in said and "[2/2] RUN exit 7" in said, said
    stored = [ResultCache(cache / "results").get(p.stem) for p in (cache / "results").glob("*.json")]
    assert [r.stdout for r in stored if r is not None] == ["fine\n"]  # only pytest-works
    assert stored[0] is not None and stored[0].start_runs > 0 and stored[0].stdout == "fine\n"


def test_sigterm_during_a_build_stops_it_and_leaves_nothing(client: docker.DockerClient, tmp_path: Path,
                                                            nothing_left: None) -> None:
    token = uuid.uuid4().hex[:12]  # names this build's step among the machine's processes
    path = write_variants(tmp_path, {"pytest-slow": (f"FROM debian:bullseye\nRUN sleep 60 # {token}\n",
                                                     '    binary: ""\n    expect: {exit_code: 0}')})
    before, folders = container_ids(client), buildkit.folders_left()
    proc = subprocess.Popen([sys.executable, "-m", "macros", "-v", "measure"], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "SMALLEST_GO_VARIANTS": str(path),
                                 "SMALLEST_GO_CACHE": str(tmp_path / "cache")})
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # BuildKit's progress names the step once it has started
            seen.append(line)
            if f"RUN sleep 60 # {token}" in line:
                break
        time.sleep(1)
        assert _running(token), "the step never started: " + "".join(seen[-20:])
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, output
    assert "interrupted" in output and "Traceback" not in output
    deadline = time.monotonic() + 20
    while _running(token) and time.monotonic() < deadline:  # BuildKit cancels the step once its client is gone
        time.sleep(0.5)
    assert not _running(token) and container_ids(client) == before
    assert buildkit.folders_left() == folders  # the build's own folder went with it


def _running(token: str) -> bool:
    """Whether a process of this machine has `token` in its command line (the build step's shell)."""
    return subprocess.run(["pgrep", "-f", f"sleep 60 # {token}"], capture_output=True).returncode == 0


def test_unreachable_engine_fails_fast_with_the_endpoint(tmp_path: Path) -> None:
    started = time.monotonic()
    done = cli("measure", env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"})
    assert time.monotonic() - started < 10
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert f"No Docker engine answers at unix://{tmp_path}/no-engine.sock" in done.stdout
    assert "ensure-engine.sh" in done.stdout


def test_an_engine_that_never_answers_fails_within_ten_seconds(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "silent.sock"))
    listener.listen(8)  # accepts connections, never replies
    try:
        started = time.monotonic()
        done = cli("measure", env={"DOCKER_HOST": f"unix://{tmp_path}/silent.sock"})
        assert time.monotonic() - started < 10
    finally:
        listener.close()
    assert done.returncode == 1 and "No Docker engine answers" in done.stdout


class _Proxy:
    """A unix-socket proxy to the real engine that can be cut, to play an engine dying mid-build."""

    def __init__(self, path: Path, upstream: str = "/var/run/docker.sock") -> None:
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(str(path))
        self.listener.listen(16)
        self.upstream = upstream
        self.asked: list[str] = []
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self.listener.accept()
            except OSError:
                return
            up = socket.socket(socket.AF_UNIX)
            up.connect(self.upstream)
            self.sockets += [down, up]
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pump, args=(a, b, a is down), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, asking: bool) -> None:
        try:
            while data := src.recv(65536):
                if asking:  # the first line of a connection's first request: "POST /grpc HTTP/1.1"
                    self.asked.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
                    asking = False
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)  # the end of one side's stream, passed on: an attach ends so
        except OSError:
            pass

    def cut(self) -> None:
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def test_engine_dying_mid_build_is_a_clear_error(client: docker.DockerClient, tmp_path: Path, store: OnDemand,
                                                 monkeypatch: pytest.MonkeyPatch, nothing_left: None) -> None:
    proxy = _Proxy(tmp_path / "engine.sock")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/engine.sock")
    proxied = connection.connect(Settings.read())
    variant = _one(tmp_path, "FROM debian:bullseye\nRUN sleep 20\n", "    expect: {exit_code: 0}")
    threading.Timer(4, proxy.cut).start()
    with pytest.raises(ProjectError) as caught:
        measure_one(proxied, variant, store=OnDemand(proxied, store.image_id, settings=Settings.read(),
                                                         engine=store.engine))
    assert "the engine stopped answering during the build" in str(caught.value) and "pytest-x" in str(caught.value)
    assert "Check that dockerd is still running" in str(caught.value)


# Docker Desktop, Colima and rootless Docker name their engine with a docker CLI context, not
# DOCKER_HOST. A build follows the context as the CLI does, for the Engine API and for buildx
# alike, and builds on that context's own builder even where the author selected another
# (`docker buildx create --use`: here it could not even start, its BuildKit image not being here).
@pytest.mark.docker
def test_an_engine_named_by_the_clis_context_is_the_one_built_on_and_measured(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    short = Path(tempfile.mkdtemp(prefix="sg-ctx-", dir="/tmp"))  # a socket's path has at most 107 bytes
    proxy = _Proxy(short / "engine.sock")
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))  # the author's own stays as it is

    def docker_cli(*args: str) -> None:
        subprocess.run(["docker", *args], check=True, capture_output=True, timeout=60)

    try:
        docker_cli("context", "create", "pytest-context", "--docker", f"host=unix://{short}/engine.sock")
        docker_cli("context", "use", "pytest-context")
        docker_cli("buildx", "create", "--name", "pytest-elsewhere", "--driver", "docker-container", "--use")
        path = write_variants(tmp_path, {"pytest-context": ('FROM debian:bullseye\nRUN echo built > /f\n'
                                                            'CMD ["cat", "/f"]\n', '    binary: ""\n'
                                                            '    expect: {exit_code: 0, stdout: "built\\n"}')})
        cache = seeded_cache(tmp_path / "c")
        done = cli("measure", "--json", str(tmp_path / "results.json"), variants=path, cache=cache)
        said = done.stdout + done.stderr
        assert done.returncode == 0 and "Traceback" not in said, said
        results = json.loads((tmp_path / "results.json").read_text())
        assert results["build"]["measured"] == ["pytest-context"] and results["variants"][0]["stdout"] == "built\n"
        assert any(line.startswith("POST /grpc ") for line in proxy.asked), proxy.asked  # buildx, on this engine
        assert any("/containers/create" in line for line in proxy.asked), proxy.asked  # the run, through the API
        # Through a socket no dockerd of this machine serves (as Docker Desktop's, from its VM), no
        # memory cap is made here, where it would not hold, and the build log says so.
        assert not memory.served_here(f"unix://{short}/engine.sock") and memory.served_here(connection.SYSTEM_SOCKET)
        [stored] = [ResultCache(cache / "results").get(p.stem) for p in (cache / "results").glob("*.json")]
        assert stored is not None and f"the memory limit ({Settings.read().default_build_memory_mib} MiB) is not enforced" \
            in stored.build_log, stored
    finally:
        proxy.cut()
        shutil.rmtree(short, ignore_errors=True)


def test_full_disk_while_writing_the_cache(tmp_path: Path) -> None:
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        (mount / "filler").write_bytes(b"\0" * 60_000)
        store = ResultCache(mount / "results")
        with pytest.raises(ProjectError) as caught:
            store.put("k", measurement(stderr="x" * 200_000))
        assert "No space left on device" in str(caught.value) and str(mount) in str(caught.value)
        assert not list((mount / "results").glob("*.tmp"))
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_two_builds_at_once_share_the_work_and_agree(client: docker.DockerClient, tmp_path: Path) -> None:
    scratch = (REPO / "dockerfiles" / "Dockerfile.scratch").read_text()
    path = write_variants(tmp_path, {
        "pytest-a": (scratch, '    expect: {exit_code: 0, stderr: "Hello, World!\\n"}'),
        "pytest-b": (scratch.replace("USER small-user:small-user", "USER 65532"),
                     '    expect: {exit_code: 0, stderr: "Hello, World!\\n"}'),
    })
    env = {**os.environ, "SMALLEST_GO_VARIANTS": str(path), "SMALLEST_GO_CACHE": str(seeded_cache(tmp_path / "c"))}
    procs = [subprocess.Popen([sys.executable, "-m", "macros", "measure"], cwd=REPO, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    measured = sum(int(re.search(r"\((\d+) measured", out).group(1)) for out in outputs)
    assert measured == 2, outputs  # each variant measured once, by one of the two builds
    tables = [[line.split()[:3] for line in out.splitlines() if line.startswith("pytest-")] for out in outputs]
    assert tables[0] == tables[1] and len(tables[0]) == 2



def test_interrupting_one_build_leaves_the_other_builds_runs_alone(client: docker.DockerClient,
                                                                    tmp_path: Path) -> None:
    """Two builds at once; one is stopped (SIGTERM) while the other's run container is running.
    The stopped one removes the containers of its own run only: the other completes and verifies."""
    def measure(name: str, dockerfile: str, expect: str) -> subprocess.Popen[str]:
        path = write_variants(tmp_path / name, {f"pytest-{name}": (dockerfile, f'    binary: ""\n    expect: {expect}')})
        return subprocess.Popen([sys.executable, "-m", "macros", "measure"], cwd=REPO, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env={**os.environ, "SMALLEST_GO_VARIANTS": str(path),
                                     "SMALLEST_GO_CACHE": str(tmp_path / name / "cache")})

    for name in ("stopped", "survivor"):
        (tmp_path / name).mkdir()
    stopped = measure("stopped", "FROM debian:bullseye\nRUN sleep 60\n", "{exit_code: 0}")
    survivor = measure("survivor", f'FROM debian:bullseye\nRUN echo {tmp_path.name}\nCMD ["sh", "-c", "sleep 2; echo done"]\n',
                       '{exit_code: 0, stdout: "done\\n"}')
    try:
        deadline = time.monotonic() + 120
        running = {"label": ["io.smallest-go.variant=pytest-survivor"], "status": "running"}
        while not client.api.containers(filters=running):  # the survivor's run has started
            assert time.monotonic() < deadline, "the survivor's run never started"
            assert survivor.poll() is None, survivor.communicate()[0]
            time.sleep(0.2)
        assert stopped.poll() is None, f"the build to stop ended by itself:\n{stopped.communicate()[0]}"
        stopped.send_signal(signal.SIGTERM)
        stopped_output, _ = stopped.communicate(timeout=30)
        survivor_output, _ = survivor.communicate(timeout=300)
    finally:
        stopped.kill()
        survivor.kill()
    assert stopped.returncode == 130 and "interrupted" in stopped_output, stopped_output
    assert survivor.returncode == 0, survivor_output
    assert "pytest-survivor: ran in" in survivor_output and "verified" in survivor_output
    assert not client.api.containers(all=True, filters={"label": ["io.smallest-go.variant=pytest-survivor"]})


def test_clean_removes_our_namespace_and_nothing_else(client: docker.DockerClient, tmp_path: Path) -> None:
    """`clean` in the tests' namespace: their tags, run containers and untagged first stages go; an
    image the author's namespace also tags keeps that tag (and so stays), as does anyone else's."""
    author = Settings().namespace
    assert author != NAMESPACE
    (tmp_path / "Dockerfile").write_text(f"FROM scratch\nCOPY Dockerfile /\n# {tmp_path.name}\n")
    _theirs, _ = client.images.build(path=str(tmp_path), tag="someone-else/keep:1", rm=True)
    ours, _ = client.images.build(path=str(tmp_path), tag=f"{NAMESPACE}/pytest-clean:latest", rm=True,
                                  labels={labels.VARIANT: "pytest-clean"})
    shared, _ = client.images.build(path=str(tmp_path), dockerfile="Dockerfile", rm=True,
                                    buildargs={"UNUSED": "1"}, labels={labels.VARIANT: "pytest-shared"})
    client.api.tag(shared.id, f"{NAMESPACE}/pytest-shared", "latest")
    client.api.tag(shared.id, f"{author}/pytest-shared", "latest")
    mine = client.api.create_container(ours.id, command=["/x"], labels=labels.probe("pytest-clean", NAMESPACE))["Id"]
    authors = client.api.create_container(shared.id, command=["/x"], labels=labels.probe("pytest-shared", author))["Id"]
    # a multi-stage variant: its first stage stays untagged, with the labels of the stand-in below it
    (tmp_path / "Dockerfile.staged").write_text(
        f"FROM debian:bullseye AS first\nRUN echo {tmp_path.name} > /f\nFROM scratch\nCOPY --from=first /f /f\n")
    client.images.build(path=str(tmp_path), dockerfile="Dockerfile.staged", tag=f"{NAMESPACE}/pytest-staged:latest",
                        rm=True, labels={labels.VARIANT: "pytest-staged"})
    untagged = {i["Id"] for i in client.api.images(filters={"dangling": True, "label": [f"{labels.MANAGED}=true"]})}
    assert untagged
    try:
        done = cli("clean")
        assert done.returncode == 0, done.stdout + done.stderr
        assert images.inspect_image(client, ours.id) is None
        assert not untagged & {i["Id"] for i in client.api.images(all=True)}
        assert images.inspect_image(client, f"{NAMESPACE}/pytest-staged:latest") is None
        assert images.inspect_image(client, f"{NAMESPACE}/pytest-shared:latest") is None
        assert images.inspect_image(client, f"{author}/pytest-shared:latest")["Id"] == shared.id
        left = container_ids(client)
        assert mine not in left and authors in left
        assert images.inspect_image(client, "someone-else/keep:1") is not None
        assert images.inspect_image(client, "golang:1.21-bullseye") is not None  # stand-ins stay without --all
    finally:
        client.api.remove_container(authors, force=True)
        client.api.remove_image(f"{author}/pytest-shared:latest", force=True)
        client.api.remove_image("someone-else/keep:1", force=True)
