"""A throw-away copy of the project's training inputs, and the Rasa commands run on it with the
Rasa environment (.venv-rasa) — the tests never change the repository's data or model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "jieli.tar.gz"
LEARNED = "learned_from_agents.yml"
# Rasa 3.6 merges the retrieval intents of the data into the domain and says so even though
# domain.yml lists `faq` (without it the rule would be refused): the one notice we expect.
KNOWN_NOTICE = "duplicated intents have been found across multiple domain files: faq"


def rasa_env(pythonpath: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIELI_")}
    env.update(
        {
            "PYTHONPATH": str(pythonpath),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
        }
    )
    return env


def need_rasa() -> None:
    import pytest

    if not RASA.exists():
        pytest.fail(f"{RASA} is missing: run `make setup`")


@dataclass
class Project:
    """config.yml, domain.yml, data/ and the code and lexicons the pipeline loads, in `path`."""

    path: Path

    @classmethod
    def copy(cls, target: Path) -> Project:
        target.mkdir(parents=True, exist_ok=True)
        for name in ("config.yml", "domain.yml"):
            shutil.copy2(ROOT / name, target / name)
        ignore = shutil.ignore_patterns("__pycache__", LEARNED)
        for name in ("data", "jieli_contract", "jieli_nlu", "jieli_dialogue", "lexicon"):
            shutil.copytree(ROOT / name, target / name, ignore=ignore)
        return cls(target)

    @property
    def nlu_dir(self) -> Path:
        return self.path / "data" / "nlu"

    @property
    def learned(self) -> Path:
        return self.nlu_dir / LEARNED

    def rasa(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(RASA), *args], cwd=self.path, env=rasa_env(self.path), capture_output=True, text=True, timeout=timeout
        )

    def validate(self) -> subprocess.CompletedProcess:
        return self.rasa(
            "data",
            "validate",
            "--fail-on-warnings",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data",
            timeout=300,
        )

    def train(self) -> Path:
        result = self.rasa(
            "train",
            "--force",
            "--fixed-model-name",
            "learned",
            "--out",
            "models",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data",
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return self.path / "models" / "learned.tar.gz"

    def load_nlu(self) -> dict:
        """What Rasa itself reads from data/: {intent or retrieval intent: [examples]} and responses."""
        script = (
            "import json, sys\n"
            "from rasa.shared.nlu.training_data.loading import load_data\n"
            "data = load_data('data/nlu')\n"
            "out = {}\n"
            "for m in data.intent_examples:\n"
            "    key = m.get('intent_response_key') or m.get('intent')\n"
            "    out.setdefault(key, []).append(m.get('text'))\n"
            "print(json.dumps({'examples': out, 'responses': data.responses}, ensure_ascii=False))\n"
        )
        result = subprocess.run(
            [str(RASA_PY), "-c", script],
            cwd=self.path,
            env=rasa_env(self.path),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])


def bot_replies(model: Path, *texts: str) -> list[dict]:
    """Each text as the first message of a new conversation with the whole bot (NLU, policies,
    the real action code in-process): [{text, intent, confidence, response_key, actions, said}]."""
    result = subprocess.run(
        [str(RASA_PY), str(Path(__file__).with_name("bot_replies.py")), str(model), *texts],
        cwd=ROOT,
        env=rasa_env(ROOT),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


if __name__ == "__main__":  # pragma: no cover - a manual check: python rasa_project.py MODEL TEXT…
    print(json.dumps(bot_replies(Path(sys.argv[1]), *sys.argv[2:]), ensure_ascii=False, indent=1))
