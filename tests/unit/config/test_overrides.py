"""Command-line overrides win over the file; their errors name the flag."""

from __future__ import annotations

import pytest

from sipwarden.config import ConfigError, Overrides, load_config
from sipwarden.transport.listen import ListenSpec
from tests.unit.config.conftest import Fails, Load

FILE = """\
[server]
data_dir = "from-file"
domains = ["file.example"]
listen = ["udp:127.0.0.1:5060"]
"""


def test_empty_overrides_keep_the_file(load: Load) -> None:
    server = load(FILE, Overrides()).server
    assert server.data_dir == "from-file"
    assert server.domains == ("file.example",)
    assert server.listen == (ListenSpec("udp", "127.0.0.1", 5060),)


def test_overrides_replace_the_file(load: Load) -> None:
    overrides = Overrides(
        data_dir="/srv/sip", domains=("a.example", "B.example"), listen=("tcp:[::1]:5080",)
    )
    server = load(FILE, overrides).server
    assert server.data_dir == "/srv/sip"
    assert server.domains == ("a.example", "b.example")
    assert server.listen == (ListenSpec("tcp", "::1", 5080),)


def test_relative_data_dir_override_is_relative_to_the_working_directory(load: Load) -> None:
    assert load(FILE, Overrides(data_dir="here")).server.data_dir == "here"


def test_overrides_without_a_file() -> None:
    config = load_config(None, Overrides(listen=("ws:0.0.0.0:8080",)))
    assert config.server.listen == (ListenSpec("ws", "0.0.0.0", 8080),)


def test_bad_listen_override_names_the_flag() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, Overrides(listen=("udp:0.0.0.0:5060", "sctp:0.0.0.0:5060")))
    assert str(caught.value) == (
        "--listen: listen spec 'sctp:0.0.0.0:5060': protocol 'sctp' is not one of "
        "udp, tcp, tls, ws, wss"
    )


def test_bad_domain_override_names_the_flag(fails: Fails) -> None:
    assert fails(FILE, Overrides(domains=("ok.example", "-bad.example"))) == (
        "--domain: '-bad.example' is not a hostname or IP address"
    )


def test_duplicate_listen_override(fails: Fails) -> None:
    overrides = Overrides(listen=("udp:0.0.0.0:5060", "UDP:0.0.0.0:5060"))
    assert fails(FILE, overrides) == '--listen: "UDP:0.0.0.0:5060" is listed twice'


def test_empty_data_dir_override_names_the_flag(fails: Fails) -> None:
    assert fails(FILE, Overrides(data_dir="")) == '--data-dir: expected a non-empty string, got ""'


def test_the_file_is_still_checked_when_overridden(fails: Fails) -> None:
    text = '[server]\nlisten = ["bogus"]\n'
    assert fails(text, Overrides(listen=("udp:0.0.0.0:5060",))) == (
        "sipwarden.toml:2: [server] listen: listen spec 'bogus': expected PROTO:HOST:PORT"
    )


def test_clashing_listen_overrides_name_the_flag(fails: Fails) -> None:
    overrides = Overrides(listen=("wss:[::]:443", "ws:[::1]:443"))
    assert fails(FILE, overrides) == (
        "--listen: listen specs 'wss:[::]:443' and 'ws:[::1]:443' would bind the same TCP port 443"
    )
