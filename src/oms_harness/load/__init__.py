"""Load runs on Locust: an open-model arrival schedule, corrected HDR latency, an SLO gate.

Only :mod:`oms_harness.load.agent` imports Locust (and with it gevent's monkey-patching); it
runs inside the Locust subprocess. Everything else here is plain Python the harness process
and the tests import freely.
"""
