"""Faults in the machinery, injected for real: the registry killed during a push, what a dead run
left in the engine and the cgroups, the cache's disk full, and another dockerd beside the one
`ensure-engine.sh` must start. Each asserts the message, the exit status, that nothing is left
behind or lost, and that the next build recovers. Marked `faults` (and `docker`: they need the
engine, and never skip without one)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import docker
import pytest
from macros.engine import buildkit, cleanup, labels, lock, memory, service
from macros.measure import bases, registry
from macros.measure.registry import OnDemand
from macros.model.settings import Settings

from tests.helpers import NAMESPACE, REPO, cli, container_ids, seeded_cache, write_variants

pytestmark = [pytest.mark.docker, pytest.mark.faults]
SETTINGS = Settings.read()


def _smallest_base(client: docker.DockerClient) -> tuple[str, str]:
    """The smallest base of bases.yml present in the engine: (reference, image ID)."""
    present = [(r["Size"], ref, r["Id"]) for ref in bases.load_recipes(SETTINGS)
               if (r := client.api.inspect_image(ref) if _has(client, ref) else None)]
    _size, ref, image_id = min(present)
    return ref, image_id


def _has(client: docker.DockerClient, ref: str) -> bool:
    try:
        client.api.inspect_image(ref)
        return True
    except docker.errors.ImageNotFound:
        return False


def test_a_registry_killed_before_a_push_is_started_again_and_the_push_succeeds(
        client: docker.DockerClient, store: OnDemand) -> None:
    _ref, image_id = _smallest_base(client)
    store.get()  # running and answering
    before = service.find(client, registry.ROLE)
    assert before is not None and before.running
    client.api.kill(before.container_id)  # what `docker kill smallest-go-registry` does
    namespace = f"{NAMESPACE}-fault"  # its own, so that removing it below touches nothing of the other tests
    pushed = store.push(image_id, f"{namespace}/fault-push")
    after = service.find(client, registry.ROLE)
    assert pushed.transfer_bytes > 0 and store.pushes == 1
    assert after is not None and after.running and after.container_id == before.container_id  # the same one
    name = f"{store.get().facts.address}/{namespace}/fault-push:latest"  # the name the push left on the base
    assert name in client.api.inspect_image(image_id)["RepoTags"]
    cleanup.remove_ours(client, namespace=namespace, engine_lock=Settings.read().engine_lock)
    assert name not in client.api.inspect_image(image_id)["RepoTags"]  # the name goes, the base stays


def test_a_registry_published_on_another_port_is_made_again_on_the_port_asked(
        client: docker.DockerClient, store: OnDemand, tmp_path: Path) -> None:
    """registry_port changed since the registry was made: it is made again there (its blobs stay),
    instead of waiting for an answer on a port it does not listen on."""
    settings = Settings.read()
    store.get()
    before = service.find(client, registry.ROLE)
    assert before is not None and before.running and before.port == settings.registry_port
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        other = probe.getsockname()[1]
    try:
        moved = registry.ensure(client, before.image_id, settings=replace(settings, registry_port=other),
                                memo=tmp_path / "versions.json")
        now = service.find(client, registry.ROLE)
        assert now is not None and now.port == other and now.container_id != before.container_id
        assert moved.facts.address == f"127.0.0.1:{other}" and registry.answers(moved.facts.address)
    finally:  # and back, as the other tests and the author's builds expect it
        registry.ensure(client, before.image_id, settings=settings, memo=tmp_path / "versions.json")
    back = service.find(client, registry.ROLE)
    assert back is not None and back.port == settings.registry_port and registry.answers(registry.address(settings))


def _dead_run_id() -> str:
    return uuid.uuid4().hex[:16]


def test_what_a_dead_run_left_is_removed_by_the_next_build_and_a_live_run_s_is_kept(
        client: docker.DockerClient, tmp_path: Path) -> None:
    ref, image_id = _smallest_base(client)
    dead, live = _dead_run_id(), _dead_run_id()
    made = {}
    for run in (dead, live):  # as a crashed build's export container looks: created, never started
        made[run] = client.api.create_container(image_id, command=["/nonexistent"], labels={
            labels.MANAGED: "true", labels.ROLE: "probe", labels.RUN: run, labels.HOST: labels.HOST_NAME})["Id"]
    hierarchy = next(h for h in (memory.CGROUP_ROOT / "memory", memory.CGROUP_ROOT) if h.is_dir())
    meter = hierarchy / f"{NAMESPACE}-meter-{dead}-0123abcd"
    cap = hierarchy / "smallest-go-memory-cap-12345678"  # a build's cap, left by a build that died
    for folder in (meter, cap):
        folder.mkdir()
        (folder / "buildkit").mkdir()  # what BuildKit leaves in the parent it is given
    builds = {run: Path(tempfile.mkdtemp(prefix=f"{buildkit.FOLDER_PREFIX}{run}-")) for run in (dead, live)}
    for folder in builds.values():  # as a build's folder is when its run is ended mid-build
        (folder / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "Dockerfile.uses").write_text(f"FROM {ref} AS base\nFROM scratch\n")
    try:
        with lock.held(SETTINGS.run_locks / f"{live}.lock", exclusive=True):  # that run is still going
            done = cli("bases", "--dockerfiles", str(tmp_path))
        said = done.stdout + done.stderr
        assert done.returncode == 0, said
        assert ("removed one container, 2 cgroup folders and one build folder that earlier runs left when they "
                "did not finish") in said
        left = {c["Id"] for c in client.api.containers(all=True)}
        assert made[dead] not in left and made[live] in left and not meter.exists() and not cap.exists()
        assert not builds[dead].exists() and builds[live].exists()
    finally:
        client.api.remove_container(made[live], force=True)
        shutil.rmtree(builds[live], ignore_errors=True)
        memory.remove_tree(meter)
        memory.remove_tree(cap)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of our own for the cache folder: room for what a provisioned cache starts with (the
    bases' layer files run to megabytes), in whole pages as tmpfs counts them, and 4 MiB more."""
    seeded = [p for name in registry.PROVISIONING_MEMOS for p in (REPO / ".cache" / name, *(REPO / ".cache" / name).rglob("*"))
              if p.is_file()]
    room = sum(-(-p.stat().st_size // 4096) * 4096 for p in seeded) + (4 << 20)
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={room}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


def test_a_full_cache_disk_says_which_disk_loses_nothing_and_the_next_build_recovers(
        client: docker.DockerClient, small_disk: Path, tmp_path: Path) -> None:
    ref, _image_id = _smallest_base(client)  # any base will do: the variant only fails to start on it
    path = write_variants(tmp_path, {"pytest-disk": (f"FROM {ref}\nCMD [\"/nonexistent\"]\n",
                                                     '    binary: ""\n    expect: {fails_with: "no such file"}')})
    cache = seeded_cache(small_disk / "cache")
    first = cli("measure", variants=path, cache=cache)
    assert first.returncode == 0, first.stdout + first.stderr
    entries = {p: p.read_bytes() for p in (cache / "results").glob("*.json")}
    assert entries
    filler = small_disk / "filler"
    with filler.open("wb") as f:  # fill the disk to the last byte
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    full = cli("measure", variants=path, cache=cache, env={"SMALLEST_GO_REFRESH": "all"})
    said = full.stdout + full.stderr
    assert full.returncode == 1 and "Traceback" not in said, said
    assert "No space left on device" in said and f"the filesystem at {small_disk} has" in said, said
    assert "Free some space there, or set SMALLEST_GO_CACHE" in said
    assert {p: p.read_bytes() for p in (cache / "results").glob("*.json")} == entries  # nothing lost
    assert not [p for p in cache.rglob("*") if p.name.endswith(".tmp")]  # nothing half-written
    filler.unlink()
    again = cli("measure", variants=path, cache=cache)
    assert again.returncode == 0 and "1 reused from the cache" in again.stdout + again.stderr, again.stderr


# An interrupt while a stand-in is bootstrapped on this machine (the first minute of a bare build):
# debootstrap and everything it started stop, and its half-made root (with /proc mounted in it, if
# the interrupt comes during the upgrade) is unmounted and removed. Before, debootstrap ran on to
# its end, a second try started, and 181 MB were left in /tmp. The stand-in has a name of the
# tests' own, so an interrupt that came too late could not replace the author's debian:bullseye.
def test_an_interrupt_during_a_bootstrap_stops_it_and_leaves_nothing(tmp_path: Path) -> None:
    shutil.copytree(REPO / "dockerfiles" / "bases", tmp_path / "bases")
    with (tmp_path / "bases" / "bases.yml").open("a") as f:
        f.write("\nsmallest-go-test/debian:interrupted:\n  recipe: debian\n  build_args: {SUITE: bullseye, VERSION: '11'}\n"
                "  prepare:\n    debootstrap: {suite: bullseye, variant: minbase, mirror: http://deb.debian.org/debian}\n")
    (tmp_path / "named").mkdir()
    (tmp_path / "named" / "Dockerfile.x").write_text("FROM smallest-go-test/debian:interrupted\n")
    before = set(Path(tempfile.gettempdir()).glob(f"{buildkit.FOLDER_PREFIX}*"))
    log = tmp_path / "bases.log"
    env = {**os.environ, "SMALLEST_GO_BASES": str(tmp_path / "bases" / "bases.yml"),
           "SMALLEST_GO_CACHE": str(seeded_cache(tmp_path / "cache"))}
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "macros", "bases", "--dockerfiles", str(tmp_path / "named")],
                                   cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "debootstrap --variant" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(5)  # into the bootstrap: packages being fetched and unpacked
        made = set(Path(tempfile.gettempdir()).glob(f"{buildkit.FOLDER_PREFIX}*")) - before
        assert made and "bootstrap done" not in log.read_text(), log.read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 130, log.read_text()
    finally:
        if process.poll() is None:  # a failed assertion above: stop it the way it is meant to be stopped
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    said = log.read_text()
    assert "interrupted: stopping the builds in flight" in said and "(try 2)" not in said, said
    assert not [f for f in made if f.exists()], said
    mounted = Path("/proc/self/mountinfo").read_text()
    assert not [f for f in made if str(f) in mounted]
    running = subprocess.run(["pgrep", "-af", "debootstrap"], capture_output=True, text=True).stdout
    assert not [f for f in made if str(f) in running], running


def _dockerd_args(root: Path) -> str:
    """A dockerd of its own beside the system one: its own data, state, containerd and no bridge.
    It runs in a network namespace of its own (`unshare --net`): a second dockerd in the system's
    namespace takes the system engine's docker0 bridge down (seen here), and every container of
    the system engine loses its network."""
    return (f"--data-root {root}/data --exec-root {root}/exec --bridge none --iptables=false "
            "--ip-masq=false --ip-forward=false")


def _answers(socket: Path) -> bool:
    return subprocess.run(["docker", "-H", f"unix://{socket}", "info"], capture_output=True, timeout=20).returncode == 0


def _ensure(target: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    env |= {"ENGINE_SOCKET": str(target / "docker.sock"), "ENGINE_PIDFILE": str(target / "docker.pid"),
            "ENGINE_DOCKERD_ARGS": _dockerd_args(target), "DOCKERD_LOG": str(target / "dockerd.log"),
            "ENGINE_WAIT_SECONDS": "60"}
    return subprocess.run(["unshare", "--net", "bash", str(REPO / "scripts" / "ensure-engine.sh")],
                          capture_output=True, text=True, env=env, timeout=180)


def _stop(pidfile: Path) -> None:
    try:
        pid = int(pidfile.read_text())
        os.kill(pid, signal.SIGTERM)
        for _ in range(60):
            os.kill(pid, 0)
            time.sleep(0.5)
    except (OSError, ValueError):
        pass


def test_ensure_engine_asks_the_socket_beside_another_dockerd_and_waits_for_one_shutting_down() -> None:
    root = Path(tempfile.mkdtemp(prefix="sg-engines-", dir="/tmp"))  # short: a socket path has 108 bytes
    decoy, target = root / "decoy", root / "target"
    for folder in (decoy, target):
        folder.mkdir()
    other = subprocess.Popen(["unshare", "--net", "dockerd", "--host", f"unix://{decoy}/docker.sock", "--pidfile",
                              str(decoy / "docker.pid"), *_dockerd_args(decoy).split()],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not _answers(decoy / "docker.sock"):
            assert time.monotonic() < deadline and other.poll() is None, "the decoy dockerd did not start"
            time.sleep(1)
        started = _ensure(target)  # another dockerd runs, this socket does not answer: start one
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"starting dockerd for unix://{target}/docker.sock" in started.stdout and _answers(target / "docker.sock")
        first_pid = int((target / "docker.pid").read_text())
        os.kill(first_pid, signal.SIGTERM)  # shutting down: the next call must wait for it, then start anew
        again = _ensure(target)
        assert again.returncode == 0, again.stdout + again.stderr
        assert _answers(target / "docker.sock") and int((target / "docker.pid").read_text()) != first_pid
        assert _answers(decoy / "docker.sock")  # the other engine was left alone
        assert registry.answers(registry.address(SETTINGS))  # and so was the system engine's network
    finally:
        _stop(target / "docker.pid")
        other.terminate()
        other.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_ensure_engine_follows_the_clis_context_and_installs_nothing_for_it(tmp_path: Path) -> None:
    """An author whose engine is a context's (Docker Desktop, Colima, rootless Docker) has it
    checked, with that context's own builder, even where another builder is selected; a context
    whose engine does not answer is named, and nothing is installed or started in its place."""
    short = Path(tempfile.mkdtemp(prefix="sg-ctx-", dir="/tmp"))  # a socket's path has at most 107 bytes
    (short / "engine.sock").symlink_to("/var/run/docker.sock")
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"} | {"DOCKER_CONFIG": str(tmp_path / "config")}

    def run(*args: str, **more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), capture_output=True, text=True, env=env | more, timeout=120)

    try:
        for name, socket_name in (("pytest-live", "engine.sock"), ("pytest-dead", "none.sock")):
            run("docker", "context", "create", name, "--docker", f"host=unix://{short}/{socket_name}")
        run("docker", "context", "use", "pytest-live")
        run("docker", "buildx", "create", "--name", "pytest-elsewhere", "--driver", "docker-container", "--use")
        live = run("bash", str(REPO / "scripts" / "ensure-engine.sh"))
        assert live.returncode == 0, live.stdout + live.stderr
        assert "already answering through the docker CLI's context pytest-live, building with BuildKit" in live.stdout
        dead = run("bash", str(REPO / "scripts" / "ensure-engine.sh"), DOCKER_CONTEXT="pytest-dead")
        assert dead.returncode == 1 and "the docker CLI's context pytest-dead does not answer" in dead.stderr, \
            dead.stdout + dead.stderr
        assert "dockerd" not in dead.stdout and "apt" not in dead.stdout
    finally:
        shutil.rmtree(short, ignore_errors=True)


def test_the_engine_stopped_during_a_build_fails_clearly_and_the_next_build_recovers(
        client: docker.DockerClient, tmp_path: Path) -> None:
    """The system engine itself is stopped (SIGTERM, as `systemctl stop docker` sends it) while a
    build step runs, then started again by ensure-engine.sh, as an author would."""
    shell_base = next(ref for ref, recipe in bases.load_recipes(SETTINGS).items() if "debootstrap" in recipe.prepare)
    token = uuid.uuid4().hex  # a step no layer cache holds
    path = write_variants(tmp_path, {"pytest-engine-stop": (
        f"FROM {shell_base}\nRUN sleep 10 # {token}\nCMD [\"true\"]\n", '    binary: ""\n    expect: {exit_code: 0}')})
    cache = seeded_cache(tmp_path / "cache")
    before = container_ids(client)
    proc = subprocess.Popen([sys.executable, "-m", "macros", "-v", "measure"], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "SMALLEST_GO_VARIANTS": str(path), "SMALLEST_GO_CACHE": str(cache)})
    seen: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:  # until the step runs
        seen.append(line)
        if f"RUN sleep 10 # {token}" in line:  # BuildKit's progress: the step has started
            break
    time.sleep(2)
    dockerd = int(Path("/var/run/docker.pid").read_text())
    try:
        os.kill(dockerd, signal.SIGTERM)
        rest, _ = proc.communicate(timeout=180)
    finally:  # whatever happens, the engine is started again
        for _ in range(120):  # the engine shuts down (it gives running containers 10 s)
            try:
                os.kill(dockerd, 0)
                time.sleep(0.5)
            except OSError:
                break
        restarted = subprocess.run(["bash", str(REPO / "scripts" / "ensure-engine.sh")], capture_output=True,
                                   text=True, timeout=180)
    said = "".join(seen) + rest
    print(*(line for line in said.splitlines() if line.startswith(("ERROR", "  -->"))), sep="\n")
    assert proc.returncode == 1 and "Traceback" not in said, said[-3000:]
    assert "the engine stopped during the build" in said or "stopped answering during the build" in said, said[-3000:]
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    again = cli("measure", variants=path, cache=cache)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 measured" in again.stdout + again.stderr
    assert container_ids(client) == before  # nothing of the lost build is left
