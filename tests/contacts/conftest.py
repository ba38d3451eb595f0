from tests.campaigns.conftest import make_brief  # noqa: F401  (fixture)
