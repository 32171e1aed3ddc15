"""The runtime contract, run against every backend: what tools, evaluation and sessions rely on."""

from __future__ import annotations

import time
from pathlib import Path

from mlgym_tui.core.runtime import Runtime


def test_cwd_and_exported_variables_persist_between_commands(runtime: Runtime) -> None:
    runtime.run("mkdir -p sub/dir && cd sub/dir && export GREETING=hello", timeout=10)
    result = runtime.run('pwd; echo "$GREETING"', timeout=10)
    assert result.exit_code == 0
    assert result.output.splitlines() == [f"{runtime.workspace}/sub/dir", "hello"]
    assert runtime.cwd() == f"{runtime.workspace}/sub/dir"


def test_exit_code_and_interleaved_streams(runtime: Runtime) -> None:
    result = runtime.run("echo out; echo err >&2; exit_code_is() { return 3; }; exit_code_is", timeout=10)
    assert result.exit_code == 3
    assert result.output == "out\nerr\n"


def test_output_streams_before_the_command_ends(runtime: Runtime) -> None:
    seen: list[tuple[float, str]] = []
    start = time.monotonic()
    runtime.run("echo first; sleep 1; echo second", timeout=10,
                on_output=lambda text: seen.append((time.monotonic() - start, text)))
    first = [t for t, text in seen if "first" in text]
    assert first and first[0] < 0.9, seen
    assert "".join(text for _, text in seen) == "first\nsecond\n"


def test_timeout_kills_the_whole_command_and_keeps_the_shell(runtime: Runtime) -> None:
    runtime.run("cd /tmp && export KEEP=1", timeout=10)
    start = time.monotonic()
    result = runtime.run("sleep 300 | cat & sleep 301; echo never", timeout=1.5)
    assert result.timed_out and result.exit_code == 124
    assert time.monotonic() - start < 10
    assert "never" not in result.output
    after = runtime.run('pwd; echo "$KEEP"; pgrep -f "sleep 30[01]" || echo none-left', timeout=10)
    assert after.output.splitlines()[:2] == ["/tmp", "1"]


def test_a_busy_builtin_loop_is_stopped_and_state_restored(runtime: Runtime) -> None:
    runtime.run("cd /tmp && export KEEP=2", timeout=10)
    result = runtime.run("while true; do :; done", timeout=1)
    assert result.timed_out
    after = runtime.run('pwd; echo "$KEEP"', timeout=10)
    assert after.output.splitlines() == ["/tmp", "2"]


def test_exit_in_a_command_restarts_the_shell_with_its_state(runtime: Runtime) -> None:
    runtime.run("cd /tmp && export KEEP=3", timeout=10)
    result = runtime.run("exit 7", timeout=10)
    assert result.exit_code == 7 and result.shell_restarted
    assert runtime.run('pwd; echo "$KEEP"', timeout=10).output.splitlines() == ["/tmp", "3"]


def test_syntax_errors_and_heredocs_do_not_desynchronise_the_shell(runtime: Runtime) -> None:
    assert runtime.run("echo 'unterminated", timeout=10).exit_code == 2
    assert runtime.run("cat <<EOF\nline one\nEOF", timeout=10).output == "line one\n"
    assert runtime.run("if (", timeout=10).exit_code == 2
    assert runtime.run("echo fine", timeout=10).output == "fine\n"


def test_commands_do_not_read_the_protocol_stream(runtime: Runtime) -> None:
    result = runtime.run("cat; read line; echo read=$?", timeout=10)
    assert result.output.strip().endswith("read=1")
    assert runtime.run("echo still-in-sync", timeout=10).output == "still-in-sync\n"


def test_output_is_capped_keeping_head_and_tail(runtime: Runtime) -> None:
    result = runtime.run("seq 1 200000", timeout=60)
    assert result.exit_code == 0
    assert result.cut_bytes > 1_000_000
    assert result.output.startswith("1\n2\n3\n")
    assert result.output.rstrip().endswith("199999\n200000")
    assert "output cut" in result.output
    assert len(result.output) < 25_000


def test_binary_output_is_decoded_safely(runtime: Runtime) -> None:
    result = runtime.run(r"printf 'ok\xff\xfe\x00end\n'", timeout=10)
    assert result.output.startswith("ok") and result.output.rstrip().endswith("end")
    assert "\x00" not in result.output
    result.output.encode("utf-8")  # always valid text


def test_file_api_round_trip(runtime: Runtime, tmp_path: Path) -> None:
    ws = runtime.workspace
    runtime.write_file(f"{ws}/nested/a.txt", "héllo\n".encode())
    assert runtime.read_file(f"{ws}/nested/a.txt") == "héllo\n".encode()
    assert runtime.run("cat nested/a.txt", timeout=10).output == "héllo\n"
    assert runtime.exists(f"{ws}/nested") and not runtime.exists(f"{ws}/missing")
    src = tmp_path / "src"
    (src / "deep").mkdir(parents=True)
    (src / "deep" / "f.bin").write_bytes(bytes(range(256)))
    runtime.copy_in(src, f"{ws}/copied")
    assert runtime.read_file(f"{ws}/copied/deep/f.bin") == bytes(range(256))
    runtime.copy_out(f"{ws}/copied", tmp_path / "back")
    assert (tmp_path / "back" / "deep" / "f.bin").read_bytes() == bytes(range(256))


def test_read_missing_file_raises_file_not_found(runtime: Runtime) -> None:
    try:
        runtime.read_file(f"{runtime.workspace}/nope.txt")
    except FileNotFoundError:
        return
    raise AssertionError("expected FileNotFoundError")


def test_exec_runs_beside_the_shell_without_touching_its_state(runtime: Runtime) -> None:
    runtime.run("cd /tmp", timeout=10)
    result = runtime.exec(["sh", "-c", "echo out; echo err >&2; exit 4"], timeout=10)
    assert (result.exit_code, result.stdout, result.stderr) == (4, "out\n", "err\n")
    assert runtime.run("pwd", timeout=10).output == "/tmp\n"


def test_close_twice_is_safe(runtime: Runtime) -> None:
    runtime.close()
    runtime.close()


def test_a_timeout_spares_background_jobs_of_earlier_commands(runtime: Runtime) -> None:
    runtime.run("sleep 60 >/dev/null 2>&1 &", timeout=10)
    result = runtime.run("sleep 30", timeout=1)
    assert result.timed_out
    alive = runtime.run("jobs -r | wc -l", timeout=10)
    assert alive.output.strip() == "1", alive.output
    runtime.run("kill %1", timeout=10)
