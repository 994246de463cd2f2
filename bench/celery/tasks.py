"""Celery app for the Anvil side-by-side jobs benchmark.

Redis is both the broker and the result backend. The URL comes from
CELERY_BROKER_URL / CELERY_RESULT_BACKEND, else REDIS_URL, else
redis://127.0.0.1:${REDIS_PORT:-6379}/0.

Settings are what a user tuning for throughput *without* giving up
at-least-once delivery would pick:
  - task_acks_late: a message is acked only after the task ran, so a worker
    crash re-delivers it (the durable choice; default is ack-on-receive);
  - worker_prefetch_multiplier=4 (Celery's default; with acks_late each
    process may hold up to 4 unacked messages, which keeps tiny tasks fed);
  - results stored in Redis (so completion is observable by the client);
  - JSON only.
"""
import os

import celery
from celery import Celery

_default_url = "redis://127.0.0.1:%s/0" % os.environ.get("REDIS_PORT", "6379")
BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or _default_url
RESULT_URL = os.environ.get("CELERY_RESULT_BACKEND") or os.environ.get("REDIS_URL") or _default_url

app = Celery("anvil_bench", broker=BROKER_URL, backend=RESULT_URL)

app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,  # with acks_late: redeliver if the child dies
    worker_prefetch_multiplier=int(os.environ.get("CELERY_PREFETCH", "4")),
    task_ignore_result=False,
    result_expires=3600,
    worker_disable_rate_limits=True,
    broker_pool_limit=int(os.environ.get("CELERY_BROKER_POOL_LIMIT", "10")),
    timezone="UTC",
    enable_utc=True,
)

if tuple(int(p) for p in celery.__version__.split(".")[:2]) >= (5, 3):
    app.conf.broker_connection_retry_on_startup = True


@app.task(name="bench.noop")
def noop(x):
    return {"x": x}
