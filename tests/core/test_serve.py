"""``brief serve``: the processes it starts for its options."""

from __future__ import annotations

from brief.core.management.commands.serve import commands_for

OPTS = {"bind": "127.0.0.1:8000", "workers": 2, "threads": 4, "no_worker": True, "no_beat": True}


def pools(commands) -> list[tuple[str, str, str]]:
    """(bind, workers, threads) of each gunicorn the commands start."""
    found = []
    for cmd in commands:
        if "gunicorn" in cmd:
            found.append(
                tuple(cmd[cmd.index(flag) + 1] for flag in ("--bind", "--workers", "--threads"))
            )
    return found


def test_serve_starts_one_web_pool_by_default():
    assert pools(commands_for(OPTS)) == [("127.0.0.1:8000", "2", "4")]


def test_hooks_bind_adds_a_pool_of_its_own_for_the_callbacks():
    opts = {**OPTS, "hooks_bind": "127.0.0.1:8100", "hooks_workers": 3, "hooks_threads": 16}
    assert pools(commands_for(opts)) == [
        ("127.0.0.1:8000", "2", "4"),
        ("127.0.0.1:8100", "3", "16"),
    ]
    # both serve the same application (the proxy decides who gets /hooks/)
    apps = {cmd[cmd.index("gunicorn") + 1] for cmd in commands_for(opts) if "gunicorn" in cmd}
    assert apps == {"brief.wsgi:application"}
