"""The SSRF guard: which webhook URLs are refused at creation, and which addresses at delivery."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from simulacra.infra.webhook_guard import Policy, WebhookUrlRefused, check_url, pin

STRICT = Policy()
OPEN = Policy(allow_http=True, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.1/hook",  # the resolver's shorthand for 127.0.0.1
        "https://2130706433/hook",  # 127.0.0.1 as one number
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.10:8443/hook",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://100.100.100.200/",  # Alibaba's metadata, in CGNAT space
        "https://[::1]/hook",
        "https://[fc00::1]/hook",
        "https://[fd00:ec2::254]/",  # AWS metadata over IPv6, in fc00::/7
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
        "https://localhost/hook",
        "https://api.localhost./hook",
    ],
)
def test_private_and_local_hosts_are_refused_at_creation(url: str) -> None:
    with pytest.raises(WebhookUrlRefused) as refused:
        check_url(url, STRICT)
    assert refused.value.code == "simio_webhook_url_not_allowed"
    check_url(url.replace("https://", "http://"), OPEN)  # an operator who allows them gets them


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.com/x", "simio_webhook_url_insecure"),
        ("ftp://hooks.example.com/x", "simio_webhook_url_invalid"),
        ("https://user:pw@hooks.example.com/x", "simio_webhook_url_invalid"),
        ("https://hooks.example.com/x#top", "simio_webhook_url_invalid"),
        ("https://hooks.example.com:0/x", "simio_webhook_url_invalid"),
        ("https://[::1/x", "simio_webhook_url_invalid"),
        ("hooks.example.com/x", "simio_webhook_url_invalid"),
    ],
)
def test_malformed_or_insecure_urls_are_refused(url: str, code: str) -> None:
    with pytest.raises(WebhookUrlRefused) as refused:
        check_url(url, STRICT)
    assert refused.value.code == code


def test_a_public_https_url_is_accepted_without_a_lookup() -> None:
    # No DNS on the test machine: a name is judged at delivery, after resolving it.
    assert check_url("https://hooks.example.com/simulacra?t=1", STRICT).hostname == "hooks.example.com"
    assert check_url("https://8.8.8.8/hook", STRICT).hostname == "8.8.8.8"


def test_a_name_that_resolves_to_loopback_is_refused_at_delivery() -> None:
    # `localhost` is refused by name at creation; at delivery what counts is what the name resolves to.
    with pytest.raises(WebhookUrlRefused, match="127.0.0.1|::1"):
        pin(urlsplit("https://localhost:8443/hook"), STRICT)


def test_delivery_connects_to_the_address_it_checked() -> None:
    pinned = pin(urlsplit("http://localhost:8080/hook?x=1"), OPEN)
    assert pinned.url in ("http://127.0.0.1:8080/hook?x=1", "http://[::1]:8080/hook?x=1")
    assert (pinned.host_header, pinned.server_name) == ("localhost:8080", "localhost")
    v6 = pin(urlsplit("https://[2001:db8::1]/hook"), OPEN)
    assert (v6.url, v6.host_header) == ("https://[2001:db8::1]:443/hook", "[2001:db8::1]")
