"""The local reference implementation of ``GET /customers/{id}/balance`` (``oms-harness serve``)."""
