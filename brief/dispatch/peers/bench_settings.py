"""Settings of the ``whatsapp_callbacks`` benchmark's server: Brief's own, plus the reference
view's URL (:mod:`brief.dispatch.peers.bench_site`)."""

from brief.settings import *  # noqa: F403

ROOT_URLCONF = "brief.dispatch.peers.bench_site"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
