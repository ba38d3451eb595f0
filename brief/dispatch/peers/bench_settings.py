"""Settings of the ``whatsapp_callbacks`` benchmark's server: Brief's own, plus the reference
view's URL (:mod:`brief.dispatch.peers.bench_site`)."""

from brief.settings import *  # noqa: F403

ROOT_URLCONF = "brief.dispatch.peers.bench_site"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# The reference view skips the same middleware as the callbacks do (a like-for-like figure).
BRIEF_MACHINE_PATHS = ["/hooks/", "/bench/verify-only/"]
