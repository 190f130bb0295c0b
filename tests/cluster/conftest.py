"""Fixtures for cluster tests: a running API double (tests/apidouble), a kubeconfig pointing at it, a
configured ``kubernetes`` ApiClient, and Hera's ``WorkflowsService`` for its Argo Server front.

Every fixture closes what it opens; ``api_double`` fails the test if a server thread outlives it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.apidouble import ApiDouble
from tests.apidouble.fixtures import NAMESPACE  # api_double, kubeconfig: a plugin (pyproject addopts)


@pytest.fixture
def kube_client(kubeconfig: Path) -> Iterator[Any]:
    """A ``kubernetes.client.ApiClient`` loaded from ``kubeconfig`` (no global configuration touched)."""
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    api = client.ApiClient(configuration)
    try:
        yield api
    finally:
        api.close()


@pytest.fixture
def argo_service(api_double: ApiDouble) -> Iterator[Any]:
    """Hera's ``WorkflowsService`` for the Argo Server front (namespace ``ml``, token ``argo-token``)."""
    import requests
    from hera.workflows import WorkflowsService

    session = requests.Session()
    session.trust_env = False  # never route loopback through a proxy from the environment
    service = WorkflowsService(host=api_double.argo_url, token=api_double.argo_token, namespace=NAMESPACE,
                               session=session)
    try:
        yield service
    finally:
        service.close()
