"""The `flamingo` console script: every subcommand resolves, and data commands never import torch."""

from __future__ import annotations

import subprocess
import sys

from pipeline.cli import COMMANDS, _resolve, main

DATA_COMMANDS = [words for words, target, _ in COMMANDS if not target.startswith(("flamingo.", "demo.run"))]


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(" ".join(words) in out for words, _, _ in COMMANDS)
    assert main(["no-such-command"]) == 2


def test_every_command_resolves_to_a_callable(capsys):
    import importlib
    import importlib.util

    has_torch = importlib.util.find_spec("torch") is not None
    for words, target, _ in COMMANDS:
        assert _resolve(list(words))[0] == target
        module, func = target.split(":")
        if not has_torch and target.startswith(("flamingo.", "demo.run")):
            # a lean install (no model extra): help where the module imports without torch, else
            # one line saying what to install
            try:
                code = main([*words, "--help"])
            except SystemExit as exc:
                code = exc.code
            err = capsys.readouterr().err
            assert code == 0 or (code == 2 and "pip install 'flamingo-data[model]'" in err), (words, err)
            if words == ("train",):  # imports torch at the top: the one-line message, exactly
                expected = "flamingo train: needs the 'model' extra (no module 'torch'): "
                assert err == expected + "pip install 'flamingo-data[model]'\n"
            continue
        assert callable(getattr(importlib.import_module(module), func)), target


def test_data_commands_do_not_import_torch():
    # a fresh interpreter: the test process itself has imported torch long ago
    code = (
        "import sys\nfrom pipeline.cli import main\n"
        f"for words in {DATA_COMMANDS!r}:\n"
        "    try:\n        main([*words, '--help'])\n    except SystemExit:\n        pass\n"
        "sys.stderr.write('TORCH=%s' % ('torch' in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "TORCH=False" in done.stderr, done.stderr[-2000:]
    assert len(DATA_COMMANDS) >= 10
