"""The generated admin token on AWS fits conda's /t/<token>/ alphabet ([A-Za-z0-9-])."""

from __future__ import annotations

from tests.infra.conftest import Synthesis


def test_generated_admin_token_is_letters_and_digits(synthesis: Synthesis) -> None:
    secrets = synthesis.of_type("AWS::SecretsManager::Secret")
    generators = [s["Properties"].get("GenerateSecretString") for s in secrets.values()]
    admin = [g for g in generators if g is not None]
    assert len(admin) == 1, generators
    spec = admin[0]
    # Secrets Manager draws from letters, digits, punctuation and (optionally) space:
    # without punctuation and space only letters and digits remain.
    assert spec["ExcludePunctuation"] is True
    assert spec.get("IncludeSpace", False) is False
    assert "SecretStringTemplate" not in spec  # a bare string, not JSON
    assert spec["PasswordLength"] >= 43  # as many bits as an API key's random part
