"""gunicorn settings for production: `make serve`, or gunicorn -c gunicorn.conf.py.

Every value can be overridden from the environment (GUNICORN_CMD_ARGS) or the command line.
"""

import multiprocessing
import os

bind = os.environ.get("EVENTAPP_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Requests mostly wait on the database: two workers per core, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("EVENTAPP_THREADS", "4"))
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
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "eventapp:create_app()"
