"""What a user runs: an openai app plain, under otel-carbon, and under the official openai-v2 instrumentation.

One run measures, non-stream and stream, the same app (``benchmarks/user_path_app.py``) against the
OpenAI stand-in on loopback (``tests/support/standin/server.py``, answers in about 1 ms):

- ``plain``: no OpenTelemetry at all;
- ``otel-carbon``: ``opentelemetry-instrument`` with otel-carbon installed (its instrumentation and
  carbon processor), traces and metrics exported over OTLP/gRPC;
- ``openai-v2``: the same launcher and exporters with the official
  ``opentelemetry-instrumentation-openai-v2`` (newest on PyPI) instead of otel-carbon.

Exports go to ``null_otlp_sink.py``, a gRPC server that does not decode. The app runs
``gc.collect()`` after warm-up and times the calls plus a final flush of the telemetry pipeline.

Two figures per configuration:

- instructions per call, by callgrind: the app is run twice under
  ``valgrind --tool=callgrind --instr-atstart=no`` with N1 and N2 timed calls (collection switched on
  for the timed loop only) and the difference is divided by N2 - N1, which cancels start-up, warm-up
  and the final flush. The batch and metric export timers are set long so that under valgrind's
  slowdown spans are still exported in full batches of 512, as in the real-time run;
- wall time per call: median over ``--rounds`` interleaved rounds, one fresh process per
  configuration per round, in rotating order.

otel-carbon and the peer live in their own virtualenvs next to this file (``.venv-carbon``: this
checkout installed editable; ``.venv-peer``: the official instrumentation), created on first use
with the same openai, OpenTelemetry, grpcio and protobuf versions (``--recreate`` rebuilds them).
Neither enters the project's test venvs.

    python3 benchmarks/bench_user_path.py [--rounds 7] [--calls 300] [--callgrind-calls 20 120]
    python3 benchmarks/bench_user_path.py --no-callgrind      # wall time only
    python3 benchmarks/bench_user_path.py --setup-only        # just create the two venvs

Targets (issue 7 §5): otel-carbon <= 1.15x plain and below openai-v2, non-stream and stream.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP = HERE / "user_path_app.py"
CARBON_VENV = HERE / ".venv-carbon"
PEER_VENV = HERE / ".venv-peer"
PEER_PACKAGE = "opentelemetry-instrumentation-openai-v2"
# openai-v2 2.4b0 imports httpx, which openai 3 (httpx2) no longer installs, and
# opentelemetry.util.genai.instruments, which opentelemetry-util-genai 1.x removed: without these two
# the launcher fails to load it and the "instrumented" run measures nothing.
PEER_EXTRAS = ["httpx", "opentelemetry-util-genai<1"]
SHARED_PACKAGES = ["openai", "opentelemetry-distro", "opentelemetry-exporter-otlp-proto-grpc"]
PINNED_ACROSS_VENVS = (
    "openai",
    "httpx",
    "httpx2",
    "pydantic",
    "opentelemetry-api",
    "opentelemetry-sdk",
    "opentelemetry-instrumentation",
    "opentelemetry-semantic-conventions",
    "opentelemetry-distro",
    "opentelemetry-exporter-otlp-proto-grpc",
    "opentelemetry-exporter-otlp-proto-common",
    "opentelemetry-proto",
    "grpcio",
    "protobuf",
    "wrapt",
)
TARGET_RATIO = 1.15
MODES = ("non-stream", "stream")


@dataclass(frozen=True)
class Variant:
    name: str
    venv: Path
    instrumented: bool


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def pip(venv: Path, *arguments: str) -> None:
    subprocess.run([str(venv_python(venv)), "-m", "pip", "install", "--quiet", *arguments], check=True)


def installed_versions(venv: Path) -> dict[str, str]:
    listing = subprocess.run(
        [str(venv_python(venv)), "-m", "pip", "list", "--format=json"], check=True, capture_output=True, text=True
    ).stdout
    return {package["name"].lower(): package["version"] for package in json.loads(listing)}


def create_venvs(recreate: bool) -> None:
    for venv in (CARBON_VENV, PEER_VENV):
        if recreate and venv.exists():
            shutil.rmtree(venv)
    if not venv_python(CARBON_VENV).exists():
        print(f"creating {CARBON_VENV.relative_to(ROOT)} (otel-carbon editable from {ROOT})", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(CARBON_VENV)], check=True)
        pip(CARBON_VENV, "--upgrade", "pip")
        pip(CARBON_VENV, "-e", f"{ROOT}[otlp]", *SHARED_PACKAGES)
    if not venv_python(PEER_VENV).exists():
        print(f"creating {PEER_VENV.relative_to(ROOT)} ({PEER_PACKAGE}, newest)", flush=True)
        carbon_versions = installed_versions(CARBON_VENV)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as constraints:
            constraints.writelines(
                f"{name}=={carbon_versions[name]}\n" for name in PINNED_ACROSS_VENVS if name in carbon_versions
            )
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        pip(PEER_VENV, "--upgrade", "pip")
        try:
            pip(PEER_VENV, "-c", constraints.name, PEER_PACKAGE, *PEER_EXTRAS, *SHARED_PACKAGES)
        except subprocess.CalledProcessError:
            print("the peer does not install with otel-carbon's versions; installing its own", flush=True)
            pip(PEER_VENV, PEER_PACKAGE, *PEER_EXTRAS, *SHARED_PACKAGES)
        finally:
            os.unlink(constraints.name)


def variants() -> list[Variant]:
    chosen = [Variant("plain", CARBON_VENV, False), Variant("otel-carbon", CARBON_VENV, True)]
    chosen.append(Variant("openai-v2", PEER_VENV, True))
    if installed_versions(PEER_VENV).get("openai") != installed_versions(CARBON_VENV).get("openai"):
        chosen.append(Variant("plain (peer's openai)", PEER_VENV, False))
    return chosen


def plain_for(variant: Variant, all_variants: list[Variant]) -> str:
    if variant.venv == PEER_VENV and any(other.name == "plain (peer's openai)" for other in all_variants):
        return "plain (peer's openai)"
    return "plain"


def start_line_server(command: list[str], marker: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline()
    if marker not in line:
        process.kill()
        raise RuntimeError(f"{command} did not start: {line!r}")
    return process, line.split(marker, 1)[1].split()[0]


def telemetry_environment(sink_address: str, under_callgrind: bool) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "OPENAI_", "PYTHONPATH"))
    }
    environment.update(
        OTEL_SERVICE_NAME="bench-user-path",
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_METRICS_EXPORTER="otlp",
        OTEL_LOGS_EXPORTER="none",
        OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://{sink_address}",
        OTEL_EXPORTER_OTLP_INSECURE="true",
    )
    if under_callgrind:
        environment.update(OTEL_BSP_SCHEDULE_DELAY="3600000", OTEL_METRIC_EXPORT_INTERVAL="3600000")
    return environment


def app_command(variant: Variant, base_url: str, mode: str, calls: int) -> list[str]:
    command = [str(venv_python(variant.venv)), str(APP), "--base-url", base_url, "--calls", str(calls)]
    if mode == "stream":
        command.append("--stream")
    if variant.instrumented:
        command = [str(variant.venv / "bin" / "opentelemetry-instrument"), *command]
    return command


def run_app(command: list[str], environment: dict[str, str]) -> dict[str, float]:
    # Not from the repository root: the launcher puts the working directory on sys.path, where an
    # editable install's otel_carbon.egg-info would register otel-carbon's entry points in the peer's venv.
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, cwd=HERE, timeout=1800)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def callgrind_instructions(command: list[str], environment: dict[str, str], output_dir: Path) -> int:
    output_dir.mkdir(parents=True)
    valgrind = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--trace-children=yes",
        "--trace-children-skip=*callgrind_control*,*perl*,*vgdb*",
        f"--callgrind-out-file={output_dir}/callgrind.%p.%n",
    ]
    run_app([*valgrind, *command, "--callgrind"], environment)
    total = 0
    for output in output_dir.iterdir():
        for line in output.read_text().splitlines():
            if line.startswith("totals:"):
                total += int(line.split()[1])
    return total


def check_instrumented(all_variants: list[Variant], base_url: str) -> None:
    """Fail unless every instrumented configuration really emits a chat span (a silent load failure would not)."""
    environment = telemetry_environment("unused", under_callgrind=False)
    environment.update(OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="none")
    for variant in all_variants:
        if not variant.instrumented:
            continue
        for mode in MODES:
            command = app_command(variant, base_url, mode, 1) + ["--warmup", "0"]
            output = subprocess.run(command, env=environment, capture_output=True, text=True, cwd=HERE).stdout
            if '"name": "chat gpt-4o-mini"' not in output:
                raise RuntimeError(f"{variant.name} ({mode}) emitted no chat span; is its instrumentation loading?")


def measure_instructions(
    all_variants: list[Variant], base_url: str, sink_address: str, calls: tuple[int, int], work_dir: Path
) -> dict[tuple[str, str], float]:
    environment = telemetry_environment(sink_address, under_callgrind=True)
    per_call: dict[tuple[str, str], float] = {}
    for mode in MODES:
        for variant in all_variants:
            counts = [
                callgrind_instructions(
                    app_command(variant, base_url, mode, n) + ["--warmup", "10"],
                    environment,
                    work_dir / f"{variant.venv.name}-{variant.instrumented}-{mode}-{n}",
                )
                for n in calls
            ]
            per_call[(variant.name, mode)] = (counts[1] - counts[0]) / (calls[1] - calls[0])
            print(
                f"  callgrind {mode:10} {variant.name:22} {per_call[(variant.name, mode)] / 1e6:6.3f} M/call",
                flush=True,
            )
    return per_call


def measure_wall(
    all_variants: list[Variant], base_url: str, sink_address: str, rounds: int, calls: int
) -> dict[tuple[str, str], list[dict[str, float]]]:
    environment = telemetry_environment(sink_address, under_callgrind=False)
    samples: dict[tuple[str, str], list[dict[str, float]]] = {}
    for round_index in range(rounds):
        for mode in MODES:
            shift = round_index % len(all_variants)
            for variant in all_variants[shift:] + all_variants[:shift]:
                result = run_app(app_command(variant, base_url, mode, calls), environment)
                samples.setdefault((variant.name, mode), []).append(result)
        print(f"  wall round {round_index + 1}/{rounds} done", flush=True)
    return samples


def median_of(samples: list[dict[str, float]], key: str) -> float:
    return statistics.median(sample[key] for sample in samples)


def report(
    all_variants: list[Variant],
    instructions: dict[tuple[str, str], float],
    wall: dict[tuple[str, str], list[dict[str, float]]],
) -> dict[str, object]:
    rows: list[dict[str, object]] = []
    print()
    print(
        f"{'mode':10} {'configuration':22} {'M instr/call':>12} {'vs plain':>9} {'wall µs':>9} {'vs plain':>9} {'cpu µs':>8}"
    )
    for mode in MODES:
        for variant in all_variants:
            key, plain_key = (variant.name, mode), (plain_for(variant, all_variants), mode)
            row: dict[str, object] = {"mode": mode, "configuration": variant.name}
            cells = [f"{mode:10} {variant.name:22}"]
            if key in instructions:
                ratio = instructions[key] / instructions[plain_key]
                row.update(instructions_per_call=instructions[key], instructions_ratio=ratio)
                cells.append(f"{instructions[key] / 1e6:12.3f} {ratio:8.3f}x")
            else:
                cells.append(f"{'-':>12} {'-':>9}")
            if key in wall:
                wall_us, plain_us = median_of(wall[key], "wall_us"), median_of(wall[plain_key], "wall_us")
                cpu_us = median_of(wall[key], "cpu_us")
                row.update(wall_us=wall_us, wall_ratio=wall_us / plain_us, cpu_us=cpu_us)
                cells.append(f"{wall_us:9.0f} {wall_us / plain_us:8.3f}x {cpu_us:8.0f}")
            print(" ".join(cells))
            rows.append(row)
    verdicts = []
    for mode in MODES:
        for source, label in (
            (instructions, "instructions"),
            ({key: median_of(v, "wall_us") for key, v in wall.items()}, "wall time"),
        ):
            if ("otel-carbon", mode) not in source:
                continue
            carbon = source[("otel-carbon", mode)] / source[("plain", mode)]
            peer_plain = plain_for(Variant("openai-v2", PEER_VENV, True), all_variants)
            peer = source[("openai-v2", mode)] / source[(peer_plain, mode)]
            met = carbon <= TARGET_RATIO and carbon < peer
            verdicts.append(
                f"{mode:10} by {label:12}: otel-carbon {carbon:.3f}x, openai-v2 {peer:.3f}x -> {'met' if met else 'NOT met'}"
            )
    print(f"\ntarget: otel-carbon <= {TARGET_RATIO}x plain and below openai-v2")
    print("\n".join(verdicts))
    return {"rows": rows, "verdicts": verdicts}


def machine_description() -> dict[str, object]:
    carbon, peer = installed_versions(CARBON_VENV), installed_versions(PEER_VENV)
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "openai": carbon.get("openai"),
        "openai_peer_venv": peer.get("openai"),
        "opentelemetry_sdk": carbon.get("opentelemetry-sdk"),
        "opentelemetry_sdk_peer_venv": peer.get("opentelemetry-sdk"),
        PEER_PACKAGE: peer.get(PEER_PACKAGE),
        "grpcio": carbon.get("grpcio"),
        "protobuf": carbon.get("protobuf"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved wall-time rounds")
    parser.add_argument("--calls", type=int, default=300, help="timed calls per wall-time process")
    parser.add_argument("--callgrind-calls", type=int, nargs=2, default=(20, 120), metavar=("N1", "N2"))
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("--no-wall", action="store_true")
    parser.add_argument("--setup-only", action="store_true")
    parser.add_argument("--recreate", action="store_true", help="rebuild the two benchmark venvs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    create_venvs(args.recreate)
    if args.setup_only:
        return
    if not args.no_callgrind and shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind), or pass --no-callgrind")
    machine = machine_description()
    print(json.dumps(machine), flush=True)
    all_variants = variants()
    standin, base_url = start_line_server([str(venv_python(CARBON_VENV)), "-m", "tests.support.standin.server"], " at ")
    sink, sink_address = start_line_server([str(venv_python(CARBON_VENV)), str(HERE / "null_otlp_sink.py")], " at ")
    try:
        check_instrumented(all_variants, base_url)
        instructions: dict[tuple[str, str], float] = {}
        wall: dict[tuple[str, str], list[dict[str, float]]] = {}
        if not args.no_callgrind:
            with tempfile.TemporaryDirectory(prefix="bench-user-path-") as work_dir:
                instructions = measure_instructions(
                    all_variants, base_url, sink_address, tuple(args.callgrind_calls), Path(work_dir)
                )
        if not args.no_wall:
            wall = measure_wall(all_variants, base_url, sink_address, args.rounds, args.calls)
        figures = report(all_variants, instructions, wall)
        machine["load_average_at_end"] = os.getloadavg()
        print(f"load average at start {machine['load_average_at_start']}, at end {machine['load_average_at_end']}")
        if args.json is not None:
            args.json.write_text(json.dumps({"machine": machine, **figures}, indent=2) + "\n")
    finally:
        for process in (standin, sink):
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
