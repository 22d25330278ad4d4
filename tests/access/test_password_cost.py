"""Production hashes passwords with argon2's strong defaults; the cheap hasher of the tests is theirs alone."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import TEST_HASHER

from zhili.core import credentials

STRONG = "$argon2id$v=19$m=65536,t=3,p=4$"
CHEAP = "$argon2id$v=19$m=8,t=1,p=1$"


def test_the_application_hashes_with_the_strong_parameters() -> None:
    # A fresh interpreter: the application as deployed, without the test session's swap.
    script = (
        "import sys\n"
        "from zhili.core.credentials import hash_password, password_needs_rehash, verify_password\n"
        "strong = hash_password('zhili-demo')\n"
        "print(strong, verify_password(strong, 'zhili-demo'), password_needs_rehash(sys.argv[1]))\n"
    )
    cheap = TEST_HASHER.hash("zhili-demo")
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, cheap], check=True, capture_output=True, text=True
    )
    strong, verified, cheap_needs_rehash = result.stdout.split()
    assert strong.startswith(STRONG)
    assert verified == "True"
    assert cheap_needs_rehash == "True"  # a test-strength hash would be upgraded at the next login


def test_the_tests_hash_cheaply() -> None:
    assert credentials.hash_password("zhili-demo").startswith(CHEAP)
