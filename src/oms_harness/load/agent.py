"""The part of a load run that lives inside Locust: import this from a locustfile.

Importing it imports Locust, which monkey-patches the process with gevent. Only
``load/locustfile.py`` (and a Kubernetes ConfigMap copy of it) imports it, inside the Locust
subprocess that ``oms-harness load`` starts; the harness and its tests never do.

The work is split by job: :mod:`.generator` (the open-model dispatch and record loop, no
sockets, no Locust), :mod:`.transport` (every private touchpoint of Locust, gevent and
geventhttpclient, with a self-check and a public fallback) and :mod:`.hooks` (Locust's event
hooks, the dispatcher user and the load shape). This module registers the hooks once.
"""

from __future__ import annotations

from .hooks import ArrivalShape, OpenModelUser, install

install()

__all__ = ["ArrivalShape", "OpenModelUser"]
