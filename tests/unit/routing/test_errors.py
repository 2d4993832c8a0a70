"""Every check of the routing tables: one line `FILE:LINE: where: what`, at the right line."""

from __future__ import annotations

import pytest

from .conftest import Errors

GW = '[gateways.pstn]\ndestinations = ["sip:gw.example.net"]\n'

CASES = [
    # ----- [[rules]] shape and keys
    ("rules = 3\n", "sipwarden.toml:1: [[rules]]: expected an array of tables, got 3"),
    ("rules = [1]\n", "sipwarden.toml:1: [[rules]] 1: expected a table, got 1"),
    (
        "[[rules]]\nlookup = true\n[[rules]]\nname = 'x'\nlokup = true\n",
        'sipwarden.toml:5: [[rules]] 2 "x": lokup: unknown key "lokup"; did you mean "lookup"?',
    ),
    (
        "[[rules]]\nname = 'bad name'\nlookup = true\n",
        'sipwarden.toml:2: [[rules]] 1 "bad name": name: "bad name" is not a name'
        " (letters, digits, _ . + -)",
    ),
    (
        "[[rules]]\nname = 'x'\n",
        'sipwarden.toml:1: [[rules]] 1 "x": a rule needs an action'
        " (lookup, forward, reply, challenge, redirect) or a modifier",
    ),
    (
        "[[rules]]\nlookup = true\nforward = true\n",
        "sipwarden.toml:3: [[rules]] 1: forward: a rule has one action,"
        " this one has lookup and forward",
    ),
    (
        "[[rules]]\nlookup = false\n",
        "sipwarden.toml:2: [[rules]] 1: lookup: expected true, got false"
        " (leave the key out instead)",
    ),
    (
        "[[rules]]\nname = 'a'\nlookup = true\n[[rules]]\nname = 'a'\nreply = 486\n",
        'sipwarden.toml:5: [[rules]] 2 "a": name: "a" is used twice',
    ),
    # ----- match
    (
        "[[rules]]\nlookup = true\nmatch = 'x'\n",
        'sipwarden.toml:3: [[rules]] 1: match: expected a table, got "x"',
    ),
    (
        "[[rules]]\nlookup = true\n[rules.match]\nmethd = 'INVITE'\n",
        'sipwarden.toml:4: [[rules]] 1: match.methd: unknown key "methd"; did you mean "method"?',
    ),
    (
        "[[rules]]\nlookup = true\nmatch.method = ['INVITE', 'IN VITE']\n",
        'sipwarden.toml:3: [[rules]] 1: match.method: "IN VITE" is not a SIP method name',
    ),
    (
        "[[rules]]\nlookup = true\nmatch.method = []\n",
        "sipwarden.toml:3: [[rules]] 1: match.method: expected a string or a non-empty array"
        " of strings, got []",
    ),
    (
        "[[rules]]\nlookup = true\nmatch = { from_user = '[a-' }\n",
        'sipwarden.toml:3: [[rules]] 1: match.from_user: invalid regular expression "[a-":'
        " unterminated character set at position 0",
    ),
    (
        "[[rules]]\nlookup = true\nmatch.source = ['10.0.0.0/8',\n  '10.0.0.300']\n",
        'sipwarden.toml:4: [[rules]] 1: match.source: "10.0.0.300" is not an IP address or CIDR'
        " network",
    ),
    (
        "[[rules]]\nlookup = true\nmatch.transport = 'sctp'\n",
        "sipwarden.toml:3: [[rules]] 1: match.transport: expected one of udp, tcp, tls, ws, wss,"
        ' got "sctp"',
    ),
    (
        "[[rules]]\nlookup = true\nmatch.authenticated = 1\n",
        "sipwarden.toml:3: [[rules]] 1: match.authenticated: expected true, false or a name, got 1",
    ),
    (
        "[[rules]]\nlookup = true\nmatch.trusted = 'nobody'\n",
        'sipwarden.toml:3: [[rules]] 1: match.trusted: no [[trusted]] peer is named "nobody"',
    ),
    (
        "[[rules]]\nlookup = true\nmatch.from_local = 'yes'\n",
        'sipwarden.toml:3: [[rules]] 1: match.from_local: expected true or false, got "yes"',
    ),
    (
        "[[rules]]\nlookup = true\nmatch.time = '18:00-18:00'\n",
        'sipwarden.toml:3: [[rules]] 1: match.time: "18:00-18:00" is not a time window'
        " (00:00 to 24:00, start != end)",
    ),
    (
        "[[rules]]\nlookup = true\nmatch.time = '8-18'\n",
        'sipwarden.toml:3: [[rules]] 1: match.time: expected "HH:MM-HH:MM", got "8-18"',
    ),
    (
        "[[rules]]\nlookup = true\nmatch.days = ['mon', 'funday']\n",
        'sipwarden.toml:3: [[rules]] 1: match.days: "funday" is not a day or range of days'
        ' (mon..sun, "mon-fri")',
    ),
    (
        "[[rules]]\nlookup = true\nmatch.days = 'mon'\nmatch.timezone = 'Mars/Olympus'\n",
        'sipwarden.toml:4: [[rules]] 1: match.timezone: unknown time zone "Mars/Olympus"'
        ' (an IANA name like "Europe/Berlin")',
    ),
    (
        "[[rules]]\nlookup = true\nmatch.timezone = 'UTC'\n",
        "sipwarden.toml:3: [[rules]] 1: match.timezone: timezone needs time or days",
    ),
    (
        "[[rules]]\nlookup = true\nmatch.header = {}\n",
        "sipwarden.toml:3: [[rules]] 1: match.header: expected { Name = 'pattern' }, got an empty"
        " table",
    ),
    (
        "[[rules]]\nlookup = true\n[rules.match.header]\nA = 'x'\nB = '(['\n",
        'sipwarden.toml:5: [[rules]] 1: match.header.B: invalid regular expression "([":'
        " unterminated character set at position 1",
    ),
    # ----- modifiers
    (
        "[[rules]]\nlookup = true\nrewrite = { pattern = '0(\\d+)' }\n",
        "sipwarden.toml:3: [[rules]] 1: rewrite: pattern and replace go together",
    ),
    (
        "[[rules]]\nlookup = true\nrewrite = { pattern = '0(\\d+)', replace = '$2' }\n",
        'sipwarden.toml:3: [[rules]] 1: rewrite.replace: "$2": $2 refers to a group the pattern'
        " lacks (only 1 group(s))",
    ),
    (
        "[[rules]]\nlookup = true\nrewrite = { strip = -1 }\n",
        "sipwarden.toml:3: [[rules]] 1: rewrite.strip: expected an integer from 0 to 64, got -1",
    ),
    (
        "[[rules]]\nlookup = true\nrewrite = {}\n",
        "sipwarden.toml:3: [[rules]] 1: rewrite: expected pattern and replace, strip or prefix",
    ),
    (
        "[[rules]]\nlookup = true\nset_header = { X-A = 'cost $' }\n",
        "sipwarden.toml:3: [[rules]] 1: set_header.X-A: \"cost $\": '$' at column 6:"
        " write $$ for a '$'",
    ),
    (
        "[[rules]]\nlookup = true\nset_header = { 'X A' = 'x' }\n",
        'sipwarden.toml:3: [[rules]] 1: set_header.X A: "X A" is not a header name',
    ),
    (
        "[[rules]]\nlookup = true\nremove_header = ['X-A', 'Call-ID']\n",
        "sipwarden.toml:3: [[rules]] 1: remove_header: Call-ID is managed by the proxy and cannot"
        " be changed by rules",
    ),
    (
        '[[rules]]\nlookup = true\nset_header = { X-A = """a\nb""" }\n',
        "sipwarden.toml:3: [[rules]] 1: set_header.X-A: a header value cannot contain line breaks",
    ),
    # ----- terminal actions
    (
        "[[rules]]\nforward = { lcr = 1 }\n",
        "sipwarden.toml:2: [[rules]] 1: forward.lcr: expected true, got 1",
    ),
    (
        '[gateways.pstn]\ndestinations = ["sip:a b"]\n',
        'sipwarden.toml:2: [gateways.pstn]: destinations #1: "sip:a b" is not a SIP URI:'
        " whitespace, control or non-ASCII character in URI",
    ),
    (
        "[[rules]]\nforward = 'sip:${who}@gw'\n",
        'sipwarden.toml:2: [[rules]] 1: forward: "sip:${who}@gw": ${who} is not a named group'
        " of the rule's patterns",
    ),
    (
        "[[rules]]\nforward = 'mailto:x@y'\n",
        'sipwarden.toml:2: [[rules]] 1: forward: "mailto:x@y" is not a SIP, SIPS or tel URI',
    ),
    (
        "[[rules]]\nforward = { gateway = 'pstn', lcr = true }\n",
        "sipwarden.toml:2: [[rules]] 1: forward: expected one of uri, gateway or lcr = true",
    ),
    (
        GW + "[[rules]]\nforward = { gateway = 'pstm' }\n",
        'sipwarden.toml:4: [[rules]] 1: forward.gateway: no gateway group "pstm" (groups: pstn)',
    ),
    (
        "[[rules]]\nforward = { lcr = true }\n",
        "sipwarden.toml:2: [[rules]] 1: forward.lcr: lcr = true needs an [lcr] table with at least"
        " one prefix",
    ),
    (
        "[[rules]]\nreply = 200\n",
        "sipwarden.toml:2: [[rules]] 1: reply: expected an integer from 400 to 699, got 200",
    ),
    (
        "[[rules]]\nreply = { reason = 'Nope' }\n",
        "sipwarden.toml:2: [[rules]] 1: reply: reply needs a code",
    ),
    (
        "[[rules]]\nreply = { code = 480, reason = '' }\n",
        "sipwarden.toml:2: [[rules]] 1: reply.reason: expected a one-line reason phrase",
    ),
    (
        "[[rules]]\nchallenge = { realm = 1 }\n",
        "sipwarden.toml:2: [[rules]] 1: challenge.realm: expected a string, got 1",
    ),
    (
        "[[rules]]\nredirect = 'sip:bad host@x'\n",
        'sipwarden.toml:2: [[rules]] 1: redirect: "sip:bad host@x" is not a SIP, SIPS or tel URI:'
        " whitespace, control or non-ASCII character in URI",
    ),
    # ----- gateways
    ("gateways = 1\n", "sipwarden.toml:1: [gateways]: expected tables [gateways.NAME], got 1"),
    (
        '[gateways."a b"]\ndestinations = ["sip:gw"]\n',
        "sipwarden.toml:1: [gateways.a b]: the group name may only use letters, digits, _ . + -",
    ),
    (
        "[gateways.pstn]\nselect = 'priority'\n",
        "sipwarden.toml:1: [gateways.pstn]: a gateway group needs destinations",
    ),
    (
        "[gateways.pstn]\ndestinations = []\n",
        "sipwarden.toml:2: [gateways.pstn]: destinations: expected a non-empty array of URIs or"
        " tables, got []",
    ),
    (
        '[gateways.pstn]\ndestinations = [\n  "sip:a.example.net",\n  "tel:+49",\n]\n',
        'sipwarden.toml:4: [gateways.pstn]: destinations #2: "tel:+49" is not a SIP or SIPS URI',
    ),
    (
        '[gateways.pstn]\ndestinations = [\n  { uri = "sip:a.example.net" },\n'
        '  { uri = "sip:b.example.net", weight = 0 },\n]\n',
        "sipwarden.toml:4: [gateways.pstn]: destinations #2.weight: expected an integer from 1"
        " to 1000, got 0",
    ),
    (
        '[[gateways.pstn.destinations]]\nuri = "sip:a.example.net"\n'
        '[[gateways.pstn.destinations]]\nuri = "sip:b.example.net"\npriority = -1\n',
        "sipwarden.toml:5: [gateways.pstn]: destinations #2.priority: expected an integer from 0"
        " to 1000, got -1",
    ),
    (
        '[gateways.pstn]\ndestinations = ["sip:a.example.net", "sip:a.example.net"]\n',
        'sipwarden.toml:2: [gateways.pstn]: destinations: "sip:a.example.net" is listed twice',
    ),
    (
        "[gateways.pstn]\ndestinations = [{ weight = 2 }]\n",
        "sipwarden.toml:2: [gateways.pstn]: destinations #1: a destination needs a uri",
    ),
    (
        GW + "select = 'fastest'\n",
        "sipwarden.toml:3: [gateways.pstn]: select: expected one of round_robin, weighted,"
        ' hash_call_id, hash_from, priority, got "fastest"',
    ),
    (
        GW + "failover = [408, '7xx']\n",
        'sipwarden.toml:3: [gateways.pstn]: failover: "7xx" is not a status 300-699, "Nxx",'
        ' "transport" or "timeout"',
    ),
    (
        GW + "failover = '5xx'\n",
        'sipwarden.toml:3: [gateways.pstn]: failover: expected an array like [408, "5xx",'
        ' "transport", "timeout"], got "5xx"',
    ),
    (
        GW + "[gateways.pstn.probe]\ninterval = 10\nup_after = 0\n",
        "sipwarden.toml:5: [gateways.pstn]: probe.up_after: expected an integer from 1 to 100,"
        " got 0",
    ),
    (
        GW + "probe = { interval = -5 }\n",
        "sipwarden.toml:3: [gateways.pstn]: probe.interval: expected a number >= 0, got -5",
    ),
    # ----- lcr
    (
        GW + '[lcr]\n"+49" = ["pstn"]\n"49x" = ["pstn"]\n',
        'sipwarden.toml:5: [lcr]: 49x: "49x" is not a number prefix (digits, optional leading +)',
    ),
    (
        GW + '[lcr]\n"+49" = ["pstn",\n  "nosuch"]\n',
        'sipwarden.toml:5: [lcr]: +49: no gateway group "nosuch"',
    ),
    # ----- trusted
    ("trusted = 'x'\n", 'sipwarden.toml:1: [[trusted]]: expected an array of tables, got "x"'),
    (
        "[[trusted]]\nsource = '10.0.0.1'\n",
        "sipwarden.toml:1: [[trusted]] 1: a trusted peer needs a name",
    ),
    (
        "[[trusted]]\nname = 'a'\n",
        'sipwarden.toml:1: [[trusted]] 1 "a": a trusted peer needs source, tls_names or'
        " tls_fingerprints",
    ),
    (
        "[[trusted]]\nname = 'a'\nsource = ['192.0.2.0/24', 'x']\n",
        'sipwarden.toml:3: [[trusted]] 1 "a": source: "x" is not an IP address or CIDR network',
    ),
    (
        "[[trusted]]\nname = 'a'\ntls_fingerprints = ['AB:CD']\n",
        'sipwarden.toml:3: [[trusted]] 1 "a": tls_fingerprints: "AB:CD" is not like'
        ' "sha256:AB:CD:..."',
    ),
    (
        "[[trusted]]\nname = 'a'\nsource = '10.0.0.1'\n"
        "[[trusted]]\nname = 'a'\nsource = '10.0.0.2'\n",
        'sipwarden.toml:5: [[trusted]] 2 "a": name: "a" is used twice',
    ),
    (
        "[[trusted]]\nname = 'a'\nsource = '10.0.0.1'\ndestinations = ['(']\n",
        'sipwarden.toml:4: [[trusted]] 1 "a": destinations: invalid regular expression "(":'
        " missing ), unterminated subpattern at position 0",
    ),
]


@pytest.mark.parametrize(("text", "message"), CASES)
def test_error_names_file_line_and_key(errors: Errors, text: str, message: str) -> None:
    assert errors(text) == [message]


def test_every_broken_item_is_reported_in_file_order(errors: Errors) -> None:
    text = (
        "[[rules]]\nreply = 1\n"  # 1-2
        "[[rules]]\nlookup = true\n"  # 3-4: fine
        "[[rules]]\nforward = { gateway = 'pstn' }\n"  # 5-6: pstn is broken, but declared
        "[gateways.pstn]\ndestinations = 'x'\n"  # 7-8
    )
    assert errors(text) == [
        "sipwarden.toml:2: [[rules]] 1: reply: expected an integer from 400 to 699, got 1",
        "sipwarden.toml:8: [gateways.pstn]: destinations: expected a non-empty array of URIs or"
        ' tables, got "x"',
    ]
