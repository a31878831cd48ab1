"""E-mail addresses: email-validator's syntax rules, no network, domain lower-cased."""

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from partnerspace.identifiers.rules import IdentifierError, Normalized, Note, email


def test_plain_address_is_kept_without_note():
    assert email("jan.peeters@example.be") == Normalized("jan.peeters@example.be")


def test_domain_is_lower_cased_with_note():
    assert email("Jan.Peeters@Example.BE") == Normalized(
        "Jan.Peeters@example.be",
        (Note("normalized", "case_changed", "Jan.Peeters@Example.BE", "Jan.Peeters@example.be"),),
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("info@bücher.de", "info@bücher.de"),
        ("info@BÜCHER.de", "info@bücher.de"),
        ("jan@xn--bcher-kva.de", "jan@bücher.de"),  # Punycode is returned in Unicode
        ("josé@exemple.be", "josé@exemple.be"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
    ],
)
def test_internationalized_addresses_are_accepted(raw, expected):
    assert email(raw).value == expected


def test_punycode_domain_becomes_unicode_with_a_reformatted_note():
    assert [n.reason for n in email("jan@xn--bcher-kva.de").notes] == ["reformatted"]


@pytest.mark.parametrize(
    "raw",
    [
        "jan",
        "jan@",
        "@example.be",
        "jan@example",  # no period in the domain
        "jan@@example.be",
        "jan..peeters@example.be",
        ".jan@example.be",
        "jan@example..be",
        "jan@-example.be",
        "jan peeters@example.be",
        "Jan <jan@example.be>",
        "jan@localhost",
        "jan@printer.local",  # special-use domain
        "jan@hidden.onion",
        "jan@example.invalid",
        "jan@123.456",
        "jan@" + "a" * 64 + ".be",
        "jan@ab--cd.be",
    ],
)
def test_malformed_addresses_are_invalid_email(raw):
    with pytest.raises(IdentifierError) as exc:
        email(raw)
    assert exc.value.code == "invalid_email"
    assert exc.value.value == raw


def test_numbers_are_invalid_email():
    with pytest.raises(IdentifierError):
        email(12345)


def _library(text):
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _ours(text):
    try:
        return email(text).value
    except IdentifierError:
        return None


_LOCAL = st.from_regex(r"[A-Za-z0-9._+!#'=~-]{1,70}", fullmatch=True)
_LABEL = st.from_regex(r"[A-Za-z0-9-]{1,66}|xn--[a-z0-9]{2,10}|[a-zé]{1,8}", fullmatch=True)
_TLD = st.sampled_from(
    ["be", "BE", "com", "Nl", "museum", "local", "test", "onion", "arpa", "invalid", "1", "x"]
)
_DOMAIN = st.builds(
    lambda labels, tld: ".".join([*labels, tld]), st.lists(_LABEL, min_size=0, max_size=4), _TLD
)
_ADDRESSES = st.one_of(
    st.emails(),
    st.builds(lambda local, domain: f"{local}@{domain}", _LOCAL, _DOMAIN),
    st.builds(lambda a, b: f"{a}@{b}", st.text(max_size=20), st.text(max_size=20)),
)


@given(_ADDRESSES)
def test_accepts_exactly_what_email_validator_accepts_and_returns_its_normal_form(text):
    text = text.strip()
    if not text:
        return
    assert _ours(text) == _library(text)


@given(_ADDRESSES)
def test_a_normalized_address_is_a_fixed_point(text):
    value = _ours(text)
    if value is not None:
        assert email(value) == Normalized(value)
