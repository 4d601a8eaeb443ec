"""Conversations where memcached 1.6.18 (Debian, the harness's reference today)
differs from memcached 1.6.45, the release mnemod now matches (issue 18): each
is checked against 1.6.18's own bytes and mnemod's (1.6.45's, checked by hand
over a socket). conv_*.py apply them by name with document_newer(); a
harness that also runs 1.6.45 should expect mnemod's bytes from it.
"""

SWALLOW = ("memcached 1.6.45 reads a storage line's data length first; once it is read, a "
           "refused line (bad flags, exptime or cas, a key over 250 bytes, ms errors) has its "
           "data block swallowed, never run as commands; 1.6.18 ran the block as a command line")
NEED_LENGTH = ("memcached 1.6.45 answers a storage line without its data length "
               "'CLIENT_ERROR bad command line format'; 1.6.18 answered ERROR")
EXTRA_TOKENS = ("memcached 1.6.45 ignores extra tokens on a storage line (the last one decides "
                "noreply); 1.6.18 refused the line with ERROR and ran the data block")
SILENT_CLOSE = ("memcached 1.6.45 closes without a byte on an HTTP request line (any unknown "
                "command whose last token starts HTTP/, meta-shaped ones too); 1.6.18 answered "
                "ERROR to a two-letter command starting with m")
STRICT_LENGTH = ("memcached 1.6.45 reads a storage line's data length as strict digits ('+3' is "
                 "refused, with no block to skip); 1.6.18 read it with strtol")
UNKNOWN_NOREPLY = ("memcached 1.6.45 honours a trailing noreply on an unknown command; "
                   "1.6.18 answered ERROR")

NEWER = {
    'text-key-251-set': (SWALLOW,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-bad-flags': (SWALLOW,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-negative-flags': (SWALLOW,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-bad-exptime': (SWALLOW,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-add-bad-flags': (SWALLOW,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-cas-bad-unique': (SWALLOW,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-cas-negative-unique': (SWALLOW,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-key-too-long-in-set-noreply': (SWALLOW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
VERSION <version>\r\n
"""),
    'text-bad-flags-hex': (SWALLOW,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-ms-key-too-long': (SWALLOW,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-cas-missing-unique': (SWALLOW,
         r"""
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-too-few-tokens': (NEED_LENGTH,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-key-only': (NEED_LENGTH,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-alone': (NEED_LENGTH,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-too-many-tokens': (EXTRA_TOKENS,
         r"""
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-way-too-many': (EXTRA_TOKENS,
         r"""
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
VERSION <version>\r\n
"""),
    'text-refused-set-data-is-not-run': (SWALLOW,
         r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
VALUE keep 0 4\r\n
  data: safe\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-refused-cas-data-is-not-run': (SWALLOW,
         r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
VALUE keep 0 4\r\n
  data: safe\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-refused-set-noreply-data-is-not-run': (SWALLOW,
         r"""
STORED\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
VALUE keep 0 4\r\n
  data: safe\r\n
END\r\n
VERSION <version>\r\n
"""),
    'meta-ms-too-many-flags-swallows': (SWALLOW,
         r"""
CLIENT_ERROR options flags too long\r\n
MN\r\n
EN\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR options flags are too long\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'text-http-meta-shaped': (SILENT_CLOSE,
         r"""
ERROR\r\n
""",
         r"""
<connection closed>
"""),
    'text-unknown-noreply': (UNKNOWN_NOREPLY,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
VERSION <version>\r\n
"""),
    'text-set-bytes-plus-sign': (STRICT_LENGTH,
         r"""
STORED\r\n
VALUE k 0 3\r\n
  data: xyz\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""),
}


def document_newer(conversations, table=None):
    """Attach the 1.6.18-vs-1.6.45 differences above (or those of table, a dict
    of the same shape) to conversations (by name)."""
    by_name = {c.name: c for c in conversations}
    for name, (why, memcached, mnemod) in (NEWER if table is None else table).items():
        conv = by_name.get(name)
        if conv is None:
            continue
        conv.known_difference = why
        conv.memcached = memcached
        conv.mnemod = mnemod
    return conversations
