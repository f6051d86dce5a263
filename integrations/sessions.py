"""HTTP sessions reused per vendor account and thread: a new session per call would open a new
connection (and in production a new TLS handshake) for every request to Cal.com (#15).

One session per (service, base URL, account) and thread: requests' Session is not promised to be
thread-safe, and one tenant's cookies (should a vendor set any) never travel with another's
requests. Each session keeps its connections alive in its own pool.
"""

import hashlib
import os
import threading

import requests

_local = threading.local()


def session_for(service: str, base_url: str, api_key: str) -> requests.Session:
    sessions = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    account = hashlib.sha256(api_key.encode()).hexdigest()[:16]  # never the key itself
    key = (service, base_url.rstrip("/"), account)
    if key not in sessions:
        sessions[key] = _session(base_url)
    return sessions[key]


def _session(base_url: str) -> requests.Session:
    """A session that reads the environment's proxy and CA settings once, when it is made:
    requests would read them on every request, a twentieth of a booking event's CPU (#15)."""
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))  # honours NO_PROXY
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.trust_env = False
    return session
