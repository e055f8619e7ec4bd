"""gunicorn settings for production: `make serve`, or gunicorn -c gunicorn.conf.py.

Every value can be overridden from the environment (GUNICORN_CMD_ARGS) or the command line.
"""

import gc
import multiprocessing
import os
import re

from gunicorn.glogging import Logger

bind = os.environ.get("EVENTAPP_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Two workers per core, plus one, so that a request waiting on the database leaves the core
# to another.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# gthread keeps idle keep-alive connections off the worker; one thread each, because the
# requests are CPU-bound Python: with 2 workers under a registration rush (`make bench`),
# 4 threads gave 15 % fewer registrations a second and a p99 four times longer than 1.
worker_class = "gthread"
threads = int(os.environ.get("EVENTAPP_THREADS", "1"))
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# Load the app once in the master so workers share its memory and start fast.
preload_app = True
# An access log on stdout by default; EVENTAPP_ACCESS_LOG="" turns it off (benchmarks).
accesslog = os.environ.get("EVENTAPP_ACCESS_LOG", "-") or None
errorlog = "-"


# A participant's link /r/<token>/… is their password: the access log writes it masked,
# wherever it appears (request line, path, referer, any header or environ a format adds).
PARTICIPANT_TOKEN = re.compile(r"(/r/)[^/?#\s\"]+")


def mask_participant_tokens(text: str) -> str:
    return PARTICIPANT_TOKEN.sub(r"\1***", text)


class TokenMaskingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: mask_participant_tokens(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }


logger_class = TokenMaskingLogger
# Which X-Forwarded-* headers to believe is decided by the app alone, from
# EVENTAPP_TRUSTED_PROXIES (eventapp/security.py): gunicorn believes none itself.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
wsgi_app = "eventapp:create_app()"

# Mail is delivered beside the web workers by `eventapp mail send --watch`, started and
# stopped with the server, so that requests only queue it (eventapp/mail/).
# EVENTAPP_MAIL_WORKER=0 leaves delivery to a watcher run elsewhere (one per database is
# enough; more are safe).
_mail_worker = os.environ.get("EVENTAPP_MAIL_WORKER", "1") != "0"
if _mail_worker:
    os.environ.setdefault("EVENTAPP_MAIL_DELIVERY", "worker")


def pre_fork(server, worker):
    # The application is loaded once in the master (preload_app): moving its objects out of
    # the collector's sight before the fork spares every worker walking (and copying) them at
    # each full collection, which on a large programme cost more than building its page.
    gc.freeze()


def when_ready(server):
    from eventapp.security import rate_limit_notice

    notice = rate_limit_notice(os.environ.get("EVENTAPP_RATELIMIT_STORAGE_URI"), server.num_workers)
    if notice:
        server.log.warning(notice)
    if not _mail_worker:
        return
    import subprocess
    import sys

    command = [sys.executable, "-c", "from eventapp.cli import main; main()", "mail", "send",
               "--watch", "--parent", str(os.getpid())]  # fmt: skip
    # A little lower priority: during a rush, answering people comes before their mail.
    server.mail_watcher = subprocess.Popen(command, preexec_fn=lambda: os.nice(5))  # noqa: S603, PLW1509
    server.log.info("mail watcher started (pid %s)", server.mail_watcher.pid)


def on_exit(server):
    watcher = getattr(server, "mail_watcher", None)
    if watcher is not None and watcher.poll() is None:
        watcher.terminate()
        try:
            watcher.wait(timeout=graceful_timeout)
        except Exception:
            watcher.kill()
