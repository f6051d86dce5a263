"""Named task queues on django-q2.

The old system had queues webhooks (60 s), bookings (120 s), sync (300 s), notifications (60 s)
and default (180 s). django-q2 expresses a queue as a cluster name: with QUEUE_ROUTING=named each
task goes to its queue's cluster, served by `Q_CLUSTER_NAME=<queue> manage.py qcluster` with that
queue's timeout (Q_CLUSTER["ALT_CLUSTERS"]). With the default QUEUE_ROUTING=single every task
goes to the one default cluster, so a single worker (as `make run` starts) serves everything.
"""

from django.conf import settings
from django_q.tasks import async_task

QUEUE_TIMEOUTS = {"webhooks": 60, "bookings": 120, "sync": 300, "notifications": 60, "default": 180}


def enqueue(func: str, *args, queue: str = "default") -> None:
    if queue not in QUEUE_TIMEOUTS:
        raise ValueError(f"Unknown queue {queue!r}")
    options = {"timeout": QUEUE_TIMEOUTS[queue]}
    if settings.QUEUE_ROUTING == "named" and queue != "default":
        options["cluster"] = queue
    async_task(func, *args, **options)
