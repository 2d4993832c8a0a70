"""Each kind of error, with its exact one-line `FILE:LINE: what is wrong` message."""

from __future__ import annotations

from pathlib import Path

import pytest

from sipwarden.config import ConfigError, load_config
from tests.unit.config.conftest import Fails, Load


def test_syntax_error_has_line_and_column(fails: Fails) -> None:
    text = '[server]\ndata_dir = "x"\ndomains = [\n  "a.example",\n  oops,\n]\n'
    assert fails(text) == "sipwarden.toml:5: invalid TOML at column 3: Invalid value"


def test_syntax_error_at_end_of_document(fails: Fails) -> None:
    message = fails('[server]\ndata_dir = "x')
    assert message.startswith("sipwarden.toml:2: invalid TOML")


def test_duplicate_key_is_a_syntax_error(fails: Fails) -> None:
    message = fails("[timers]\nt1 = 1\nt1 = 2\n")
    assert message.startswith("sipwarden.toml:3: invalid TOML at column 7: ")


def test_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^nope\.toml: cannot read: No such file or directory$"):
        load_config("nope.toml")


def test_directory_instead_of_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("conf").mkdir()
    with pytest.raises(ConfigError, match=r"^conf: cannot read: Is a directory$"):
        load_config("conf")


def test_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("sipwarden.toml").write_bytes(b'[log]\n\nlevel = "\xff"\n')
    with pytest.raises(ConfigError, match=r"^sipwarden\.toml:3: not valid UTF-8 text$"):
        load_config("sipwarden.toml")


def test_unknown_section_with_suggestion(fails: Fails) -> None:
    text = "[server]\n\n[registar]\nmin_expires = 5\n"
    assert fails(text) == "sipwarden.toml:3: unknown section [registar]; did you mean [registrar]?"


def test_unknown_section_without_suggestion(fails: Fails) -> None:
    assert fails("[zzz]\n") == (
        "sipwarden.toml:1: unknown section [zzz] (expected one of [server], [tls], "
        "[transport], [timers], [registrar], [proxy], [auth], [log], [security], [admin], "
        "[dns], [hep], [cdr], [storage], [state])"
    )


def test_unknown_key_with_suggestion(fails: Fails) -> None:
    text = '[server]\ndata_dir = "d"\ndomain = ["example.com"]\n'
    assert fails(text) == 'sipwarden.toml:3: [server] unknown key "domain"; did you mean "domains"?'


def test_unknown_key_without_suggestion(fails: Fails) -> None:
    assert fails("[log]\ncolour = true\n") == (
        'sipwarden.toml:2: [log] unknown key "colour" (expected one of "level", "format")'
    )


def test_key_outside_any_section(fails: Fails) -> None:
    assert fails('# top\nlisten = ["udp:0.0.0.0:5060"]\n') == (
        "sipwarden.toml:2: listen: settings go inside a [section]; did you mean [server] listen?"
    )


def test_section_that_is_not_a_table(fails: Fails) -> None:
    assert fails("\nlog = 1\n") == "sipwarden.toml:2: [log]: expected a table, got 1"


def test_array_of_tables_is_not_a_section(fails: Fails) -> None:
    assert fails('[[log]]\nlevel = "info"\n') == (
        "sipwarden.toml:1: [log]: expected a table, got [a table]"
    )


def test_subtable_is_an_unknown_key(fails: Fails) -> None:
    text = "[server]\n\n[server.extra]\nx = 1\n"
    assert (
        fails(text) == 'sipwarden.toml:3: [server] unknown key "extra" (expected one of '
        '"data_dir", "domains", "listen")'
    )


def test_bad_listen_spec_points_at_its_line(fails: Fails) -> None:
    text = '[server]\nlisten = [\n  "udp:0.0.0.0:5060",\n  "tcp:example.com:5060",\n]\n'
    assert fails(text) == (
        "sipwarden.toml:4: [server] listen: listen spec 'tcp:example.com:5060': host "
        "'example.com' is not an IPv4 address or [IPv6] address"
    )


def test_bad_domain_points_at_its_line(fails: Fails) -> None:
    text = "[server]\ndomains = [\n  'example.com',\n  'bad_name.example',\n]\n"
    assert fails(text) == (
        "sipwarden.toml:4: [server] domains: 'bad_name.example' is not a hostname or IP address"
    )


def test_duplicate_domain_after_normalising(fails: Fails) -> None:
    text = '[server]\ndomains = ["example.com",\n  "EXAMPLE.com"]\n'
    assert fails(text) == 'sipwarden.toml:3: [server] domains: "EXAMPLE.com" is listed twice'


def test_dotted_key_at_top_level(fails: Fails) -> None:
    text = '[log]\nlevel = "info"\n\n[tls]\n"verify_client" = true\n'
    assert fails(text) == (
        "sipwarden.toml:5: [tls] verify_client = true needs ca, the bundle that client "
        "certificates are verified against"
    )


def test_dotted_key_under_no_header(fails: Fails) -> None:
    assert fails("# x\n\nregistrar.max_contacts = 0\n") == (
        "sipwarden.toml:3: [registrar] max_contacts: expected an integer >= 1, got 0"
    )


def test_inline_table_key(fails: Fails) -> None:
    text = '\ntimers = { t1 = 0.5, t2 = "4" }\n'
    assert fails(text) == 'sipwarden.toml:2: [timers] t2: expected a number > 0, got "4"'


def test_multiline_string_is_not_scanned_for_keys(fails: Fails) -> None:
    text = '[tls]\ncert = """\nmax_contacts = 0\n"""\n[registrar]\nmax_contacts = 0\n'
    assert fails(text).startswith("sipwarden.toml:6: [registrar] max_contacts: ")


def test_min_expires_greater_than_max_expires(fails: Fails) -> None:
    text = "[registrar]\nmin_expires = 600\nmax_expires = 300\n"
    assert fails(text) == (
        "sipwarden.toml:2: [registrar] min_expires (600) is greater than max_expires (300)"
    )


def test_max_expires_below_the_default_minimum_points_at_max(fails: Fails) -> None:
    assert fails("[registrar]\n\nmax_expires = 30\n") == (
        "sipwarden.toml:3: [registrar] min_expires (60) is greater than max_expires (30)"
    )


def test_default_expires_outside_the_bounds(fails: Fails) -> None:
    text = "[registrar]\nmax_expires = 1800\n"
    assert fails(text) == (
        "sipwarden.toml:2: [registrar] default_expires (3600) is not within "
        "min_expires..max_expires (60..1800)"
    )


def test_t2_less_than_t1(fails: Fails) -> None:
    assert fails("[timers]\nt1 = 2\nt2 = 1\n") == (
        "sipwarden.toml:3: [timers] t2 (1.0) is less than t1 (2.0)"
    )


def test_key_without_cert(fails: Fails) -> None:
    assert fails('[tls]\nkey = "k.pem"\n') == (
        "sipwarden.toml:2: [tls] cert and key go together: set both, or neither for a "
        "self-signed pair in the data directory"
    )


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    file = tmp_path / "etc" / "sipwarden.toml"
    text = '[server]\ndata_dir = "data"\n[tls]\ncert = "c.pem"\nkey = "/abs/k.pem"\n'
    file.write_text(text, encoding="utf-8")
    config = load_config(file)
    assert config.server.data_dir == str(tmp_path / "etc" / "data")
    assert (config.tls.cert, config.tls.key) == (str(tmp_path / "etc" / "c.pem"), "/abs/k.pem")


def test_default_data_dir_stays_relative_to_the_working_directory(load: Load) -> None:
    assert load("[log]\n").server.data_dir == "./sipwarden-data"


def test_listeners_on_the_same_tcp_port(fails: Fails) -> None:
    text = '[server]\n\nlisten = ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060", "tls:127.0.0.1:5060"]\n'
    assert fails(text) == (
        "sipwarden.toml:3: [server] listen specs 'tcp:0.0.0.0:5060' and 'tls:127.0.0.1:5060' "
        "would bind the same TCP port 5060"
    )


def test_listeners_on_port_zero_or_other_families_do_not_clash(load: Load) -> None:
    specs = '"tcp:0.0.0.0:0", "tls:0.0.0.0:0", "tcp:[::1]:5060", "tcp:127.0.0.1:5060"'
    text = f"[server]\nlisten = [{specs}]\n"
    assert len(load(text).server.listen) == 4
