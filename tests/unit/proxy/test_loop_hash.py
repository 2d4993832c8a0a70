"""The §16.6 step 8 hash (proxy/loop.py) over exactly the fields it always covered: checked
against the plain formula, so the cheaper gathering cannot drift from it (a change would turn
loops into spirals, or back, for requests forwarded before an upgrade)."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from sipwarden.proxy.loop import loop_hash
from sipwarden.sip import Request, Via
from tests.unit.proxy.helpers import SECRET, make_request

TOKENS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=12)


def reference(request: Request, via: Via | None, secret: bytes) -> str:
    """The formula as first written: every field gathered, lists joined, one keyed hash."""
    fields = (
        request.uri_text,
        request.to.tag or "",
        request.from_.tag or "",
        request.call_id,
        str(request.cseq.seq),
        "" if via is None else str(via),
        ",".join(request.header_lines("proxy-require")),
        ",".join(request.header_lines("proxy-authorization")),
    )
    data = "\0".join(fields).encode("utf-8", "surrogateescape")
    return hashlib.blake2b(data, key=secret[:64], digest_size=8).hexdigest()


@given(
    user=TOKENS,
    to_tag=st.one_of(st.just(""), TOKENS.map(lambda t: f";tag={t}")),
    requires=st.lists(TOKENS, max_size=3),
    auths=st.lists(TOKENS, max_size=2),
    below=st.booleans(),
)
def test_the_hash_is_the_reference_formula(
    user: str, to_tag: str, requires: list[str], auths: list[str], below: bool
) -> None:
    extra = "".join(f"Proxy-Require: {r}\n" for r in requires) + "".join(
        f'Proxy-Authorization: Digest username="{a}"\n' for a in auths
    )
    request = make_request(uri=f"sip:{user}@proxy.example.com", extra=extra, to_tag=to_tag)
    via = request.vias[0] if below else None
    assert loop_hash(request, via, SECRET) == reference(request, via, SECRET)
