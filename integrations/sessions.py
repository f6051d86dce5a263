"""HTTP sessions reused per vendor account and thread: a new session per call would open a new
connection (and in production a new TLS handshake) for every request to Cal.com (#15).

One session per (service, base URL, account) and thread: requests' Session is not promised to be
thread-safe, and one tenant's cookies (should a vendor set any) never travel with another's
requests. Each session keeps its connections alive in its own pool.
"""

import hashlib
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
        sessions[key] = requests.Session()
    return sessions[key]
