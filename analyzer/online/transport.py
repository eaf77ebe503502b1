"""What went wrong with an HTTP exchange, in a few words and never with a header value:
the one describer of the prober and the list downloader."""

from __future__ import annotations

from analyzer.online.deadline import DeadlineExceeded


def describe_transport_error(error: Exception, timeout: float) -> str:
    """``timeout``, ``TLS``, ``DNS``, ``connection refused``...: without header values."""
    import requests

    if isinstance(error, (requests.Timeout, DeadlineExceeded)):
        return f"timeout after {timeout:g} s"
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS error: " + _last_reason(error)
    if isinstance(error, requests.exceptions.ProxyError):
        return "proxy error: " + _last_reason(error)
    if isinstance(error, requests.ConnectionError):
        reason = _last_reason(error)
        lowered = reason.lower()
        if (
            "name or service not known" in lowered
            or "nodename nor servname" in lowered
            or ("temporary failure in name resolution" in lowered)
            or "getaddrinfo" in lowered
        ):
            return "DNS error: the host name does not resolve"
        if "refused" in lowered:
            return "connection refused"
        return "connection error: " + reason
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut off"
    return f"request failed: {type(error).__name__}"


def _last_reason(error: Exception) -> str:
    """The innermost message of a requests/urllib3 error chain, shortened."""
    reason: BaseException = error
    seen = 0
    while seen < 5:
        nested = (
            reason.args[0]
            if reason.args and isinstance(reason.args[0], BaseException)
            else getattr(reason, "reason", None)
        )
        if not isinstance(nested, BaseException):
            break
        reason = nested
        seen += 1
    text = str(reason).strip() or type(reason).__name__
    return text if len(text) <= 160 else text[:157] + "..."
