"""The built-in lists of the shield: scanner User-Agents, deny and premium prefixes.

Plain data, imported by both the configuration model and `security.config`.
"""

# Substrings (matched case-insensitively) of the User-Agent of well-known SIP scanners and
# attack tools: SIPVicious svmap/svwar/svcrack ("friendly-scanner", "sipvicious"), sipcli,
# the VaxSIP SDK toolkit abused by scanners, pplsip, sundayddr, SIPPTS ("sipptk"), iWar,
# SIVuS, smap and sip-scan.
DEFAULT_SCANNER_USER_AGENTS = (
    "friendly-scanner",
    "sipvicious",
    "sipcli",
    "VaxSIPUserAgent",
    "pplsip",
    "sundayddr",
    "sipptk",
    "sip-scan",
    "iWar",
    "SIVuS",
    "smap",
)
# International networks and satellite ranges (ITU-T E.164 +881 GMSS, +882/+883 international
# networks, +870 Inmarsat): the favourite destinations of international revenue share fraud.
DEFAULT_DENY_PREFIXES = ("+870", "+881", "+882", "+883")
# Premium-rate ranges: NANP 900 and 976, UK 09, France 089, Germany 0900 and 0137, Italy 899,
# Spain 803/806/807, Australia 190.
DEFAULT_PREMIUM_PREFIXES = (
    "+1900",
    "+1976",
    "+449",
    "+3389",
    "+49900",
    "+49137",
    "+39899",
    "+34803",
    "+34806",
    "+34807",
    "+61190",
)
