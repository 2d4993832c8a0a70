"""RFC 4475 and RFC 5118 torture messages: the manifest verdict and each message's own point.

`accept`: parse_datagram + validate succeed. `reject`: they raise ParseError (with the status
the RFC names, where it names one for a request). `lenient`: either, and the specific check says
what must hold in each case. Every message also has a focused expectation test below.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest

from sipwarden.errors import ParseError
from sipwarden.sip import (
    AbsoluteUri,
    Message,
    Request,
    Response,
    SipUri,
    parse_datagram,
    stateless_error,
)

from .corpus import Entry, entries, manifest

NAMES = sorted(entries())


def parse_ok(entry: Entry) -> Message:
    message = parse_datagram(entry.wire)
    message.validate()
    return message


def parse_error(entry: Entry) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_ok(entry)
    return caught.value


def outcome(entry: Entry) -> Message | ParseError:
    try:
        return parse_ok(entry)
    except ParseError as error:
        return error


def test_corpus_is_complete() -> None:
    corpora = manifest()["corpus"]
    by_corpus = {c: [e for e in entries().values() if e.corpus == c] for c in corpora}
    assert len(by_corpus["rfc4475"]) == corpora["rfc4475"]["messages"] == 49
    assert len(by_corpus["rfc5118"]) == corpora["rfc5118"]["messages"] == 12


@pytest.mark.parametrize("name", NAMES)
def test_verdict(name: str) -> None:
    entry = entries()[name]
    if entry.verdict == "accept":
        parse_ok(entry)
    elif entry.verdict == "reject":
        error = parse_error(entry)
        assert 400 <= error.status <= 599
    else:
        assert entry.verdict == "lenient"
        outcome(entry)  # either is allowed; EXPECT[name] checks the conditions


@pytest.mark.parametrize("name", NAMES)
def test_raw_file_never_crashes(name: str) -> None:
    """The archived bytes as they are (LF endings, unterminated sections): ParseError at most."""
    data = entries()[name].data
    with contextlib.suppress(ParseError):
        parse_datagram(data).validate()


def test_every_message_has_a_focused_expectation() -> None:
    assert set(EXPECT) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_expectation(name: str) -> None:
    EXPECT[name](entries()[name])


# ----- accepted messages ---------------------------------------------------------------------
def x_wsinv(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and m.method == "INVITE"
    assert m.max_forwards == 68 and m.cseq.seq == 9 and m.cseq.method == "INVITE"
    assert m.to.tag == "1918181833n" and m.from_.tag == "98asjd8"
    assert m.from_.display_name == 'J Rosenberg \\"'
    assert [v.transport for v in m.vias] == ["UDP", "TCP", "UDP"]
    assert m.vias[1].branch == "z9hG4bK9ikj8" and m.vias[2].branch == "z9hG4bK30239"
    assert m.header("Subject") == ""
    assert m.header("NewFangledHeader") == "newfangled value continued newfangled value"
    assert m.contacts[0].q == 0.33 and m.contacts[0].param("newparam") == "newvalue"
    assert m.contacts[0].display_name == 'Quoted string ""'
    assert m.routes[0].uri == SipUri_parse(
        "sip:services.example.com;lr;unknownwith=value;unknown-no-value"
    )
    assert len(m.body) == 150 and m.serialize() == e.wire
    # A proxy edits the message; the unknown header must travel byte-exact.
    m.push_via("SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnew")
    m.decrement_max_forwards()
    out = m.serialize()
    assert b"\r\nUnknownHeaderWithUnusualValue: ;;,,;;,;\r\n" in out
    again = parse_datagram(out)
    again.validate()
    assert again.max_forwards == 67 and again.top_via.branch == "z9hG4bKnew"
    assert again.header("UnknownHeaderWithUnusualValue") == ";;,,;;,;"


def SipUri_parse(text: str) -> SipUri:
    from sipwarden.sip.uri import parse_sip_uri

    return parse_sip_uri(text)


def x_intmeth(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request)
    assert m.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert m.cseq.method == m.method
    assert m.top_via.branch == "z9hG4bK-.!%66*_+`'~"
    assert m.to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert m.from_.tag == "_token~1'+`*%!-."
    assert m.from_.display_name == "token1~` token2'+_ token3*%!.-"
    assert m.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    value = m.header("extensionHeader-!.%*+_`'~") or ""
    assert value.encode("utf-8") == b"\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb"
    assert m.serialize() == e.wire


def x_esc01(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and isinstance(m.uri, SipUri)
    assert m.uri.user == "sips:user@example.com" and m.uri.host == "example.net"
    assert isinstance(m.to.uri, SipUri) and m.to.uri.user == "user"
    assert isinstance(m.from_.uri, SipUri) and m.from_.uri.user == "I have spaces"
    contact = m.contacts[0].uri
    assert isinstance(contact, SipUri) and contact.user == "caller"
    assert contact == SipUri_parse("sip:caller@host5.example.net;lr;name=value%2541")
    assert contact != SipUri_parse("sip:caller@host5.example.net;lr;name=valueA")
    assert m.content_type is not None and m.content_type.mime == "application/sdp"


def x_escnull(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m.to.uri, SipUri) and m.to.uri.user == "null-\x00-null"
    first, second = (c.uri for c in m.contacts)
    assert isinstance(first, SipUri) and isinstance(second, SipUri)
    assert first.user == "\x00" and second.user == "\x00\x00" and first != second


def x_esc02(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and m.method == "RE%47IST%45R" and m.method != "REGISTER"
    assert m.to.display_name == "%Z%45" and m.from_.display_name == "%Z%45"
    assert len(m.contacts) == 2
    assert m.header("C%6Fntact") == "<sip:alias2@host2.example.com>"


def x_lwsdisp(e: Entry) -> None:
    m = parse_ok(e)
    assert m.from_.display_name == "caller" and m.from_.tag is not None


def x_longreq(e: Entry) -> None:
    m = parse_ok(e)
    assert m.to.display_name is not None and m.to.display_name.startswith("I have a user name of")
    assert len(m.to.display_name) > 100
    assert len(m.call_id) > 100 and len(m.from_.tag or "") > 100
    assert len(m.vias) > 30 and len(m.body) == e.meta["body_bytes"]
    assert m.serialize() == e.wire


def x_dblreq(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and m.method == "REGISTER" and m.body == b""
    assert m.serialize() == e.wire[: e.wire.find(b"\r\n\r\n") + 4]
    assert b"INVITE" not in m.serialize()


def x_semiuri(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and isinstance(m.uri, SipUri)
    assert m.uri.user == "user;par=u@example.net" and m.uri.host == "example.com"
    assert m.values("Accept")[-1] == "message/sipfrag" and len(m.values("Accept")) == 6


def x_transports(e: Entry) -> None:
    m = parse_ok(e)
    assert [v.transport for v in m.vias] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]


def x_mpart01(e: Entry) -> None:
    m = parse_ok(e)
    assert len(m.body) == int(e.meta["declared_content_length"][0]) == e.meta["body_bytes"]
    assert b"\x00" in m.body
    assert m.content_type is not None and m.content_type.mime == "multipart/mixed"
    assert m.serialize() == e.wire


def x_unreason(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Response) and m.status == 200
    assert m.reason.startswith("= 2**3 * 5**2 ") and "\u043d\u043e" in m.reason
    assert m.serialize() == e.wire


def x_noreason(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Response) and m.status == 100 and m.reason == ""


def x_unkscm(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and isinstance(m.uri, AbsoluteUri)
    assert m.uri.scheme == "nobodyknowsthisscheme"  # a proxy answers 416 on this


def x_novelsc(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and isinstance(m.uri, AbsoluteUri)
    assert m.uri.scheme == "soap.beep"


def x_unksm2(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m.to.uri, AbsoluteUri) and m.to.uri.scheme == "isbn"
    assert isinstance(m.from_.uri, AbsoluteUri) and m.from_.uri.scheme == "http"
    assert isinstance(m.contacts[0].uri, AbsoluteUri) and m.contacts[0].uri.scheme == "name"


def x_bext01(e: Entry) -> None:
    m = parse_ok(e)
    assert m.require == ["nothingSupportsThis", "nothingSupportsThisEither"]
    assert m.proxy_require == ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]


def x_invut(e: Entry) -> None:
    m = parse_ok(e)
    assert m.content_type is not None and m.content_type.mime == "application/unknownformat"


def x_regaut01(e: Entry) -> None:
    from sipwarden.sip.digest import parse_credentials

    m = parse_ok(e)
    value = m.header("Authorization")
    assert value == "NoOneKnowsThisScheme opaque-data=here"
    assert parse_credentials(value).scheme == "NoOneKnowsThisScheme"
    m.push_via("SIP/2.0/UDP proxy.example.com;branch=z9hG4bKfwd")
    assert b"\r\nAuthorization: NoOneKnowsThisScheme opaque-data=here\r\n" in m.serialize()


def x_bcast(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Response) and m.vias[1].host == "255.255.255.255"


def x_zeromf(e: Entry) -> None:
    m = parse_ok(e)
    assert m.max_forwards == 0  # a proxy answers 483 (RFC 3261 §16.3 step 3)


def x_cparam01(e: Entry) -> None:
    m = parse_ok(e)
    contact = m.contacts[0]
    assert contact.params == (("unknownparam", None),)
    assert isinstance(contact.uri, SipUri) and not contact.uri.has_param("unknownparam")


def x_cparam02(e: Entry) -> None:
    m = parse_ok(e)
    contact = m.contacts[0]
    assert contact.params == ()
    assert isinstance(contact.uri, SipUri) and contact.uri.has_param("unknownparam")


def x_regescrt(e: Entry) -> None:
    m = parse_ok(e)
    uri = m.contacts[0].uri
    assert isinstance(uri, SipUri) and uri.headers == (("Route", "<sip:sip.example.com>"),)
    assert "?Route=%3Csip:sip.example.com%3E" in str(uri)


def x_sdp01(e: Entry) -> None:
    m = parse_ok(e)
    assert m.values("Accept") == ["text/nobodyKnowsThis"]


def x_inv2543(e: Entry) -> None:
    m = parse_ok(e)
    assert m.top_via.branch is None and not m.top_via.has_rfc3261_branch
    assert m.from_.tag is None and m.max_forwards is None
    assert not m.has("Content-Length") and len(m.body) == e.meta["body_bytes"]
    m.push_via("SIP/2.0/UDP p.example.com;branch=z9hG4bKx")
    out = parse_datagram(m.serialize())
    assert out.header("Content-Length") == str(len(m.body)) and out.body == m.body


def x_ipv6_good(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and isinstance(m.uri, SipUri)
    assert m.uri.host == "[2001:db8::10]" and m.uri.port is None
    assert m.top_via.host == "[2001:db8::9:1]"
    contact = m.contacts[0].uri
    assert isinstance(contact, SipUri) and contact.host == "[2001:db8::1]"


def x_port_ambiguous(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and isinstance(m.uri, SipUri)
    assert m.uri.host == "[2001:db8::10:5070]" and m.uri.port is None


def x_port_unambiguous(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and isinstance(m.uri, SipUri)
    assert m.uri.host == "[2001:db8::10]" and m.uri.port == 5070


def x_received_delim(e: Entry) -> None:
    m = parse_ok(e)
    assert m.top_via.received == "2001:db8::9:255"
    assert m.top_via.branch == "z9hG4bKas3-111"


def x_received_no_delim(e: Entry) -> None:
    m = parse_ok(e)
    assert m.top_via.received == "2001:db8::9:255"
    assert m.top_via.branch == "z9hG4bKas3"  # the colons did not end the parameter list


def x_ipv6_in_sdp(e: Entry) -> None:
    m = parse_ok(e)
    assert b"IN IP6 2001:db8::20" in m.body


def x_mult_ip_in_header(e: Entry) -> None:
    m = parse_ok(e)
    hosts = [(v.host, v.port) for v in m.vias]
    assert hosts == [("[2001:db8::9:1]", 6050), ("192.0.2.1", None), ("[2001:db8::9:255]", None)]
    assert m.vias[2].received == "192.0.2.200"


def x_mult_ip_in_sdp(e: Entry) -> None:
    m = parse_ok(e)
    assert b"IN IP4" in m.body and b"IN IP6" in m.body


def x_ipv4_mapped(e: Entry) -> None:
    m = parse_ok(e)
    assert (m.top_via.host, m.top_via.port) == ("[::ffff:192.0.2.10]", 19823)
    contact = m.contacts[0].uri
    assert isinstance(contact, SipUri) and contact.host == "[::ffff:192.0.2.2]"


def x_three_colons(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and isinstance(m.uri, SipUri)
    assert m.uri.host == "[2001:db8:::192.0.2.1]"


def x_two_colons(e: Entry) -> None:
    m = parse_ok(e)
    assert isinstance(m, Request) and isinstance(m.uri, SipUri)
    assert m.uri.host == "[2001:db8::192.0.2.1]"


# ----- rejected messages ---------------------------------------------------------------------
def rejected_with(status: int, *, answer: bool = True) -> Callable[[Entry], None]:
    """The message must fail with `status`; a request gets a stateless answer with that code."""

    def check(e: Entry) -> None:
        error = parse_error(e)
        assert error.status == status, error
        reply = stateless_error(e.wire, error)
        if answer:
            assert reply is not None and reply.startswith(f"SIP/2.0 {status} ".encode())
            parse_datagram(reply).validate()
        else:
            assert reply is None

    return check


def x_badinv01(e: Entry) -> None:
    error = parse_error(e)
    assert (error.status == 400 and "Via" in error.reason) or "list" in error.reason
    assert stateless_error(e.wire, error) is None  # its only Via is unreadable: drop


def x_clerr(e: Entry) -> None:
    error = parse_error(e)
    assert error.status == 400 and "Content-Length" in error.reason
    reply = stateless_error(e.wire, error)
    assert reply is not None and reply.startswith(b"SIP/2.0 400 ")


def x_ncl(e: Entry) -> None:
    error = parse_error(e)
    assert error.status == 400 and "Content-Length" in error.reason


def x_mcl01(e: Entry) -> None:
    error = parse_error(e)
    assert error.status == 400 and "Content-Length" in error.reason


def x_scalar02(e: Entry) -> None:
    error = parse_error(e)
    assert error.status == 400 and "CSeq" in error.reason
    reply = stateless_error(e.wire, error)
    assert reply is not None and b"CSeq: 36893488147419103232 REGISTER" in reply


def x_scalarlg(e: Entry) -> None:
    error = parse_error(e)
    assert stateless_error(e.wire, error) is None  # a response: dropped silently


def x_bigcode(e: Entry) -> None:
    with pytest.raises(ParseError):
        parse_datagram(e.wire)
    assert stateless_error(e.wire, ParseError("bad status code")) is None


def x_badvers(e: Entry) -> None:
    rejected_with(505)(e)


def x_mismatch01(e: Entry) -> None:
    rejected_with(400)(e)


def x_mismatch02(e: Entry) -> None:
    rejected_with(501)(e)


def x_insuf(e: Entry) -> None:
    error = parse_error(e)
    assert error.status == 400 and "missing" in error.reason


def x_multi01(e: Entry) -> None:
    error = parse_error(e)
    assert error.status == 400 and "more than one" in error.reason


def x_ipv6_bad(e: Entry) -> None:
    rejected_with(400)(e)


# ----- lenient messages: we reject them; say why that is the safe side ------------------------
def lenient_rejected(e: Entry) -> None:
    error = parse_error(e)
    assert error.status == 400
    reply = stateless_error(e.wire, error)
    assert reply is not None and reply.startswith(b"SIP/2.0 400 ")


def x_quotbal(e: Entry) -> None:
    error = parse_error(e)
    assert "quoted" in error.reason


def x_ltgtruri(e: Entry) -> None:
    lenient_rejected(e)


def x_lwsruri(e: Entry) -> None:
    lenient_rejected(e)


def x_lwsstart(e: Entry) -> None:
    lenient_rejected(e)


def x_trws(e: Entry) -> None:
    lenient_rejected(e)


def x_escruri(e: Entry) -> None:
    """Tolerating it would oblige us to strip the header; rejecting is simpler and allowed."""
    error = parse_error(e)
    assert error.status == 400 and "header" in error.reason


def x_baddate(e: Entry) -> None:
    """Date is never used by a proxy, so the message is processed (the RFC's first choice)."""
    m = parse_ok(e)
    assert (m.header("Date") or "").endswith("EST")


def x_regbadct(e: Entry) -> None:
    """The message parses (Contact is not needed to route it); reading the Contact fails 400."""
    m = parse_ok(e)
    with pytest.raises(ParseError) as caught:
        m.contacts  # noqa: B018
    assert caught.value.status == 400


def x_badaspec(e: Entry) -> None:
    error = parse_error(e)
    assert error.status == 400 and "To" in error.reason


def x_baddn(e: Entry) -> None:
    error = parse_error(e)
    assert error.status == 400 and "display name" in error.reason


def x_badbranch(e: Entry) -> None:
    """Accepted; the bare magic cookie is not an RFC 3261 branch, so matching falls back to
    the RFC 2543 rules (the RFC's second choice) instead of colliding with other bare cookies."""
    m = parse_ok(e)
    assert m.top_via.branch == "z9hG4bK" and not m.top_via.has_rfc3261_branch


EXPECT: dict[str, Callable[[Entry], None]] = {
    "wsinv": x_wsinv,
    "intmeth": x_intmeth,
    "esc01": x_esc01,
    "escnull": x_escnull,
    "esc02": x_esc02,
    "lwsdisp": x_lwsdisp,
    "longreq": x_longreq,
    "dblreq": x_dblreq,
    "semiuri": x_semiuri,
    "transports": x_transports,
    "mpart01": x_mpart01,
    "unreason": x_unreason,
    "noreason": x_noreason,
    "badinv01": x_badinv01,
    "clerr": x_clerr,
    "ncl": x_ncl,
    "scalar02": x_scalar02,
    "scalarlg": x_scalarlg,
    "quotbal": x_quotbal,
    "ltgtruri": x_ltgtruri,
    "lwsruri": x_lwsruri,
    "lwsstart": x_lwsstart,
    "trws": x_trws,
    "escruri": x_escruri,
    "baddate": x_baddate,
    "regbadct": x_regbadct,
    "badaspec": x_badaspec,
    "baddn": x_baddn,
    "badvers": x_badvers,
    "mismatch01": x_mismatch01,
    "mismatch02": x_mismatch02,
    "bigcode": x_bigcode,
    "badbranch": x_badbranch,
    "insuf": x_insuf,
    "unkscm": x_unkscm,
    "novelsc": x_novelsc,
    "unksm2": x_unksm2,
    "bext01": x_bext01,
    "invut": x_invut,
    "regaut01": x_regaut01,
    "multi01": x_multi01,
    "mcl01": x_mcl01,
    "bcast": x_bcast,
    "zeromf": x_zeromf,
    "cparam01": x_cparam01,
    "cparam02": x_cparam02,
    "regescrt": x_regescrt,
    "sdp01": x_sdp01,
    "inv2543": x_inv2543,
    "ipv6-good": x_ipv6_good,
    "ipv6-bad": x_ipv6_bad,
    "port-ambiguous": x_port_ambiguous,
    "port-unambiguous": x_port_unambiguous,
    "via-received-param-with-delim": x_received_delim,
    "via-received-param-no-delim": x_received_no_delim,
    "ipv6-in-sdp": x_ipv6_in_sdp,
    "mult-ip-in-header": x_mult_ip_in_header,
    "mult-ip-in-sdp": x_mult_ip_in_sdp,
    "ipv4-mapped-ipv6": x_ipv4_mapped,
    "ipv6-bug-abnf-3-colons": x_three_colons,
    "ipv6-correct-abnf-2-colons": x_two_colons,
}
