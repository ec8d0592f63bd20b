import pytest

# The shared landing suite lives in plain modules; let pytest rewrite their asserts too.
pytest.register_assert_rewrite("tests.integration.landing_behaviour", "tests.integration.landing_helpers")
