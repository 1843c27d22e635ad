# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The extractor's DOM passes in C, over the libxml2 tree lxml parsed.

crawlers/html/boilerplate.py (analyse, analyse_with_rescue, pick_container, is_link_heavy) and
crawlers/html/extract.py (_walk, normalise_block) are the reference: this module computes the same
Analysis, picks the same container and emits the same blocks, so extract_document gives the
same Document with either (tests/crawlers/html/test_fastdom.py checks both on every test page and
on generated ones). The Python version is ~2 us an element in analyse and ~1.5 in the walk; here an
element costs tens of nanoseconds and the page's time is lxml's parse.

How: lxml's public C API (etreepublic.pxd) gives the libxml2 node under an element; the
passes read libxml2's node and attribute structs (type, name, children, next, parent,
content, properties), which are stable public API, and call no libxml2 function. Elements are
kept in an array in visit order (pre-order), each with the index after its subtree, so the
walk finds an element's analysis by counting as it goes (checked against the node pointer).

What stays in Python, through callbacks: image URLs (crawlers/html/image_urls.py, a few per page;
an <img>'s attributes are handed over as a dict, a <picture> as its element), attribute
verdicts on values that are not pure ASCII
(str.lower and re's IGNORECASE fold a few non-ASCII letters to ASCII ones: the Kelvin sign,
dotted I, long s), and the rescue rule's comment-thread test (rare). Whitespace and alnum tests
use CPython's own tables (Py_UNICODE_ISSPACE / ISALNUM), i.e. str.split/strip/isalnum exactly.
"""

from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memcpy, strlen

cimport lxml.includes.etreepublic as cetree
from lxml.includes cimport tree
from lxml.includes.tree cimport xmlAttr, xmlNode

from crawlers.html import boilerplate as _bp


cdef extern from "Python.h":
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)
    bint Py_UNICODE_ISALNUM(Py_UCS4 ch)
    object PyUnicode_DecodeUTF8(const char* s, Py_ssize_t size, const char* errors)

cetree.import_lxml__etree()

# Tag classes (one bit each); names come from boilerplate.py / extract.py's sets at import.
cdef enum:
    T_DROP = 1 << 0
    T_SEMANTIC = 1 << 1
    T_HEADER = 1 << 2
    T_PARAGRAPH = 1 << 3
    T_DIV = 1 << 4
    T_IMG = 1 << 5
    T_PICTURE = 1 << 6
    T_A = 1 << 7
    T_BLOCK = 1 << 8
    T_COMPOUND = 1 << 9
    T_CELL = 1 << 10
    T_BR = 1 << 11
    T_LINK_DENSITY = 1 << 12
    T_SHORT_LINKS = 1 << 13  # p, li: judged as short, almost-all-link paragraphs
    T_NEVER_ATTR_DROPPED = 1 << 14
    T_SOFT_DROP = 1 << 15  # dropped like a class-matched element (form)

cdef enum:
    KIND_MEASURED = 0
    KIND_DROPPED = 1  # not visited below it
    KIND_SOFT = 2     # dropped by class/id/role: measured, not summed upwards

cdef enum:
    LINE = 0x1f  # extract._LINE
    CELL = 0x1e  # extract._CELL


cdef class _StrTable:
    """Open-addressing table: byte string -> unsigned flags (0 = absent)."""
    cdef object _keys  # keeps the key bytes alive
    cdef const char** _slot_key
    cdef Py_ssize_t* _slot_len
    cdef unsigned int* _slot_val
    cdef size_t _mask

    def __cinit__(self, dict entries):
        cdef size_t size = 16
        while size < 4 * len(entries):
            size *= 2
        self._mask = size - 1
        self._slot_key = <const char**>malloc(size * sizeof(char*))
        self._slot_len = <Py_ssize_t*>malloc(size * sizeof(Py_ssize_t))
        self._slot_val = <unsigned int*>malloc(size * sizeof(unsigned int))
        if not self._slot_key or not self._slot_len or not self._slot_val:
            raise MemoryError()
        cdef size_t i
        for i in range(size):
            self._slot_key[i] = NULL
            self._slot_len[i] = 0
            self._slot_val[i] = 0
        self._keys = []
        cdef bytes key
        cdef size_t h
        for name, value in entries.items():
            key = name.encode("utf-8")
            self._keys.append(key)
            h = _hash(key, len(key)) & self._mask
            while self._slot_key[h] != NULL:
                h = (h + 1) & self._mask
            self._slot_key[h] = key
            self._slot_len[h] = len(key)
            self._slot_val[h] = value

    def __dealloc__(self):
        free(self._slot_key)
        free(self._slot_len)
        free(self._slot_val)

    cdef inline unsigned int get(self, const char* s, Py_ssize_t n) noexcept:
        cdef size_t h = _hash(s, n) & self._mask
        while self._slot_key[h] != NULL:
            if self._slot_len[h] == n and memcmp(self._slot_key[h], s, n) == 0:
                return self._slot_val[h]
            h = (h + 1) & self._mask
        return 0


cdef inline size_t _hash(const char* s, Py_ssize_t n) noexcept:
    cdef size_t h = 14695981039346656037ULL
    cdef Py_ssize_t i
    for i in range(n):
        h = (h ^ <unsigned char>s[i]) * 1099511628211ULL
    return h


def _tag_table():
    from crawlers.html import extract as _ex
    flags = {}

    def add(names, bit):
        for name in names:
            flags[name] = flags.get(name, 0) | bit

    add(_bp.DROP_TAGS, T_DROP)
    add(_bp.SEMANTIC_TAGS, T_SEMANTIC)
    add(("header",), T_HEADER)
    add(_bp.PARAGRAPH_TAGS, T_PARAGRAPH)
    add(("div",), T_DIV)
    add(("img",), T_IMG)
    add(("picture",), T_PICTURE)
    add(("a",), T_A)
    add(_ex.BLOCK_TAGS, T_BLOCK)
    add(_ex.COMPOUND_TAGS, T_COMPOUND)
    add(_ex.CELL_TAGS, T_CELL)
    add(("br",), T_BR)
    add(_bp.LINK_DENSITY_TAGS, T_LINK_DENSITY)
    add(_bp.LINK_JUDGED_TAGS - _bp.LINK_DENSITY_TAGS, T_SHORT_LINKS)
    add(_bp.NEVER_ATTR_DROPPED, T_NEVER_ATTR_DROPPED)
    add(_bp.SOFT_DROP_TAGS, T_SOFT_DROP)
    return flags


cdef _StrTable TAGS = _StrTable(_tag_table())
cdef _StrTable CHROME_TOKENS = _StrTable({t: 1 for t in _bp.BOILERPLATE_TOKENS})
cdef _StrTable DROP_ROLES = _StrTable({r: 1 for r in _bp.DROP_ROLES})
cdef _StrTable HEADER_TOKENS = _StrTable({t: 1 for t in _bp.HEADER_TOKENS})
cdef _StrTable ARTICLE_TOKENS = _StrTable({t: 1 for t in _bp.ARTICLE_TOKENS})
# Prefixes of either kind in one table: 1 chrome (BOILERPLATE_PREFIXES), 2 caption.
cdef _StrTable PREFIXES = _StrTable(
    {p: (1 if p in _bp.BOILERPLATE_PREFIXES else 0) | (2 if p in _bp.CAPTION_PREFIXES else 0)
     for p in (*_bp.BOILERPLATE_PREFIXES, *_bp.CAPTION_PREFIXES)})
cdef int[8] PREFIX_LENGTHS  # the distinct prefix lengths, ascending, 0-terminated
_lengths = sorted({len(p) for p in (*_bp.BOILERPLATE_PREFIXES, *_bp.CAPTION_PREFIXES)})
assert len(_lengths) < 8, "crawlers/html/_fastdom.pyx: too many prefix lengths"
for _k in range(8):
    PREFIX_LENGTHS[_k] = _lengths[_k] if _k < len(_lengths) else 0
cdef int B_CHROME = _bp.CHROME
cdef int B_ARTICLE = _bp.ARTICLE
cdef int B_CAPTION = _bp.CAPTION
cdef int RESCUE_ROUNDS = _bp.RESCUE_ROUNDS
cdef double IMAGE_BONUS = _bp.IMAGE_BONUS
cdef double MAX_LINK_DENSITY = _bp.MAX_LINK_DENSITY
cdef double PARAGRAPH_LINK_DENSITY = _bp.PARAGRAPH_LINK_DENSITY
cdef long SHORT_PARAGRAPH = _bp.SHORT_PARAGRAPH
cdef double SEMANTIC_MIN_SHARE = _bp.SEMANTIC_MIN_SHARE
cdef double SEMANTIC_INNER_SHARE = _bp.SEMANTIC_INNER_SHARE
cdef long RESCUE_MIN_CHARS = _bp.RESCUE_MIN_CHARS
# boilerplate._JUDGED_ATTRS, by position in _Attrs.
cdef tuple JUDGED = ("class", "id", "role", "hidden", "aria-hidden", "style", "itemprop")
assert frozenset(JUDGED) == _bp._JUDGED_ATTRS, "crawlers/html/_fastdom.pyx: judged attributes out of date"


# ---------------------------------------------------------------------------------------------
# growable byte buffer

cdef struct Buf:
    char* data
    Py_ssize_t len
    Py_ssize_t cap


cdef int buf_reserve(Buf* b, Py_ssize_t extra) except -1:
    cdef Py_ssize_t cap = b.cap or 256
    cdef char* data
    if b.len + extra <= b.cap:
        return 0
    while cap < b.len + extra:
        cap *= 2
    data = <char*>realloc(b.data, cap)
    if data == NULL:
        raise MemoryError()
    b.data, b.cap = data, cap
    return 0


cdef inline int buf_add(Buf* b, const char* s, Py_ssize_t n) except -1:
    if b.len + n > b.cap:
        buf_reserve(b, n)
    memcpy(b.data + b.len, s, n)
    b.len += n
    return 0


cdef inline int buf_byte(Buf* b, char c) except -1:
    if b.len + 1 > b.cap:
        buf_reserve(b, 1)
    b.data[b.len] = c
    b.len += 1
    return 0


# ---------------------------------------------------------------------------------------------
# UTF-8 text

cdef inline Py_UCS4 _next_cp(const unsigned char* s, Py_ssize_t n, Py_ssize_t* i) noexcept:
    """The code point at s[i] (libxml2 stores valid UTF-8); i moves past it."""
    cdef unsigned char c = s[i[0]]
    cdef Py_ssize_t k = i[0]
    if c < 0x80:
        i[0] = k + 1
        return c
    if c >= 0xF0 and k + 3 < n:
        i[0] = k + 4
        return ((c & 0x07) << 18) | ((s[k + 1] & 0x3F) << 12) | ((s[k + 2] & 0x3F) << 6) | (s[k + 3] & 0x3F)
    if c >= 0xE0 and k + 2 < n:
        i[0] = k + 3
        return ((c & 0x0F) << 12) | ((s[k + 1] & 0x3F) << 6) | (s[k + 2] & 0x3F)
    if c >= 0xC0 and k + 1 < n:
        i[0] = k + 2
        return ((c & 0x1F) << 6) | (s[k + 1] & 0x3F)
    i[0] = k + 1  # a stray byte counts as one character
    return c


cdef inline xmlNode* _text_or_skip(xmlNode* n) noexcept:
    """lxml's _textNodeOrSkip: the text/CDATA node at n, stepping over XInclude markers."""
    while n != NULL:
        if n.type == tree.XML_TEXT_NODE or n.type == tree.XML_CDATA_SECTION_NODE:
            return n
        if n.type == tree.XML_XINCLUDE_START or n.type == tree.XML_XINCLUDE_END:
            n = n.next
            continue
        return NULL
    return NULL


cdef struct StripCount:
    long count     # characters since the first non-space one
    long trailing  # of which trailing whitespace
    bint started


cdef inline void _count_stripped(StripCount* sc, const unsigned char* s) noexcept:
    cdef Py_ssize_t i = 0, n = strlen(<const char*>s)
    cdef Py_UCS4 cp
    cdef bint space
    while i < n:
        cp = _next_cp(s, n, &i)
        space = Py_UNICODE_ISSPACE(cp)
        if not sc.started:
            if space:
                continue
            sc.started = True
        sc.count += 1
        sc.trailing = sc.trailing + 1 if space else 0


cdef long _stripped_len(xmlNode* first) noexcept:
    """len(text.strip()) of lxml's .text (first = node.children) or .tail (first = node.next)."""
    cdef StripCount sc
    sc.count = sc.trailing = 0
    sc.started = False
    cdef xmlNode* n = _text_or_skip(first)
    while n != NULL:
        if n.content != NULL:
            _count_stripped(&sc, n.content)
        n = _text_or_skip(n.next)
    return sc.count - sc.trailing


cdef int _append_text(Buf* b, xmlNode* first) except -1:
    cdef xmlNode* n = _text_or_skip(first)
    while n != NULL:
        if n.content != NULL:
            buf_add(b, <const char*>n.content, strlen(<const char*>n.content))
        n = _text_or_skip(n.next)
    return 0


cdef bint _collapse(Buf* out, const unsigned char* s, Py_ssize_t a, Py_ssize_t b, bint* alnum) except -1:
    """" ".join(s[a:b].split()) appended to out (each word copied whole); True when anything
    was written. ASCII bytes are judged directly, others decoded to a code point first."""
    cdef Py_ssize_t i = a, j, start
    cdef Py_UCS4 cp
    cdef bint wrote = False
    while i < b:
        while i < b:  # the gap
            if s[i] < 0x80:
                if not Py_UNICODE_ISSPACE(s[i]):
                    break
                i += 1
            else:
                j = i
                cp = _next_cp(s, b, &j)
                if not Py_UNICODE_ISSPACE(cp):
                    break
                i = j
        if i >= b:
            break
        if wrote:
            buf_byte(out, b" ")
        start = i
        while i < b:  # the word
            if s[i] < 0x80:
                if Py_UNICODE_ISSPACE(s[i]):
                    break
                if not alnum[0] and Py_UNICODE_ISALNUM(s[i]):
                    alnum[0] = True
                i += 1
            else:
                j = i
                cp = _next_cp(s, b, &j)
                if Py_UNICODE_ISSPACE(cp):
                    break
                if not alnum[0] and Py_UNICODE_ISALNUM(cp):
                    alnum[0] = True
                i = j
        buf_add(out, <const char*>s + start, i - start)
        wrote = True
    return wrote


cdef object _normalise(Buf* raw, Buf* out):
    """extract.normalise_block(raw) as str, or None when it holds no letter or digit."""
    cdef const unsigned char* s = <const unsigned char*>raw.data
    cdef Py_ssize_t n = raw.len, line_start = 0, line_end, cell_start, cell_end, mark
    cdef Py_ssize_t line_mark, k
    cdef bint alnum = False, any_line = False, any_cell, has_cell, written
    out.len = 0
    while line_start <= n:
        line_end = line_start
        has_cell = False
        while line_end < n and s[line_end] != LINE:
            if s[line_end] == CELL:
                has_cell = True
            line_end += 1
        line_mark = out.len
        if any_line:
            buf_byte(out, b"\n")
        mark = out.len
        if has_cell:
            any_cell = False
            cell_start = line_start
            while cell_start <= line_end:
                cell_end = cell_start
                while cell_end < line_end and s[cell_end] != CELL:
                    cell_end += 1
                k = out.len
                if any_cell:
                    buf_add(out, b" | ", 3)
                if _collapse(out, s, cell_start, cell_end, &alnum):
                    any_cell = True
                else:
                    out.len = k
                cell_start = cell_end + 1
            written = any_cell
        else:
            written = _collapse(out, s, line_start, line_end, &alnum)
        if written:
            any_line = True
        else:
            out.len = line_mark
        line_start = line_end + 1
    raw.len = 0
    if not alnum:
        return None
    return PyUnicode_DecodeUTF8(out.data, out.len, NULL)


# ---------------------------------------------------------------------------------------------
# attributes

cdef struct Attrs:
    xmlAttr* a[7]  # by position in JUDGED
    bint any


cdef inline int _attr_slot(const char* name) noexcept:
    # JUDGED by position; a switch on the first byte keeps this to one or two compares.
    cdef char c = name[0]
    if c == b"c":
        return 0 if _eq(name, b"class") else -1
    if c == b"i":
        if _eq(name, b"id"):
            return 1
        return 6 if _eq(name, b"itemprop") else -1
    if c == b"r":
        return 2 if _eq(name, b"role") else -1
    if c == b"h":
        return 3 if _eq(name, b"hidden") else -1
    if c == b"a":
        return 4 if _eq(name, b"aria-hidden") else -1
    if c == b"s":
        return 5 if _eq(name, b"style") else -1
    return -1


cdef inline bint _eq(const char* a, const char* b) noexcept:
    cdef Py_ssize_t i = 0
    while a[i] == b[i]:
        if a[i] == 0:
            return True
        i += 1
    return False


cdef void _judged_attrs(xmlNode* node, Attrs* out) noexcept:
    cdef xmlAttr* a = node.properties
    cdef int k
    for k in range(7):
        out.a[k] = NULL
    out.any = False
    while a != NULL:
        if a.ns == NULL and a.name != NULL:
            k = _attr_slot(<const char*>a.name)
            if k >= 0 and out.a[k] == NULL:
                out.a[k] = a
                out.any = True
        a = a.next
    return


cdef int _attr_value(xmlAttr* a, Buf* b) except -1:
    """The attribute's value (libxml2 keeps it as text children) into b; b is cleared first."""
    b.len = 0
    if a == NULL:
        return 0
    cdef xmlNode* n = a.children
    while n != NULL:
        if n.content != NULL:
            buf_add(b, <const char*>n.content, strlen(<const char*>n.content))
        n = n.next
    return 0


cdef dict _attr_dict(xmlNode* node, Buf* scratch):
    """The element's attributes as lxml's `attrib` maps them ({ns}name for a namespaced one;
    the first of a repeated name, as `get` answers), for the image URL rules in Python."""
    cdef dict out = {}
    cdef xmlAttr* a = node.properties
    cdef object name
    while a != NULL:
        if a.name != NULL:
            name = PyUnicode_DecodeUTF8(<const char*>a.name, strlen(<const char*>a.name), NULL)
            if a.ns != NULL and a.ns.href != NULL:
                name = "{" + PyUnicode_DecodeUTF8(<const char*>a.ns.href, strlen(<const char*>a.ns.href), NULL) + "}" + name
            if name not in out:
                _attr_value(a, scratch)
                out[name] = PyUnicode_DecodeUTF8(scratch.data, scratch.len, NULL)
        a = a.next
    return out


cdef inline bint _ascii(Buf* b) noexcept:
    cdef Py_ssize_t i
    for i in range(b.len):
        if <unsigned char>b.data[i] >= 0x80:
            return False
    return True


cdef inline char _lower(char c) noexcept:
    return c + 32 if b"A" <= c <= b"Z" else c


cdef bint _ieq(Buf* b, Py_ssize_t start, Py_ssize_t end, const char* word) noexcept:
    """b[start:end].lower() == word (ASCII)."""
    cdef Py_ssize_t i, n = strlen(word)
    if end - start != n:
        return False
    for i in range(n):
        if _lower(b.data[start + i]) != word[i]:
            return False
    return True


cdef inline bint _is_token_char(char c) noexcept:
    return (b"a" <= c <= b"z") or (b"0" <= c <= b"9")


cdef bint _style_hides(Buf* b) noexcept:
    """boilerplate._HIDDEN_STYLE.search on an ASCII value."""
    cdef Py_ssize_t i
    for i in range(b.len):
        if _decl_at(b, i, b"display", b"none") or _decl_at(b, i, b"visibility", b"hidden"):
            return True
    return False


cdef bint _decl_at(Buf* b, Py_ssize_t i, const char* prop, const char* value) noexcept:
    """`prop \\s* : \\s* value` (case-insensitive) starts at b[i]."""
    cdef Py_ssize_t n = b.len, k
    cdef const char* p = prop
    while p[0]:
        if i >= n or _lower(b.data[i]) != p[0]:
            return False
        i += 1
        p += 1
    while i < n and Py_UNICODE_ISSPACE(<unsigned char>b.data[i]):
        i += 1
    if i >= n or b.data[i] != b":":
        return False
    i += 1
    while i < n and Py_UNICODE_ISSPACE(<unsigned char>b.data[i]):
        i += 1
    p = value
    while p[0]:
        if i >= n or _lower(b.data[i]) != p[0]:
            return False
        i += 1
        p += 1
    return True


cdef int _token_bits(Buf* cls, Buf* ident, Buf* scratch) except -1:
    """boilerplate._token_verdicts on ASCII values: CHROME | ARTICLE | CAPTION bits."""
    scratch.len = 0
    buf_add(scratch, cls.data, cls.len)
    buf_byte(scratch, b" ")
    buf_add(scratch, ident.data, ident.len)
    cdef Py_ssize_t i = 0, start, n = scratch.len
    cdef char* s = scratch.data
    cdef int k, bits = 0
    cdef unsigned int prefix
    cdef bint header = False
    for i in range(n):
        s[i] = _lower(s[i])
    i = 0
    while i < n:
        while i < n and not _is_token_char(s[i]):
            i += 1
        start = i
        while i < n and _is_token_char(s[i]):
            i += 1
        if i == start:
            break
        prefix = 0
        k = 0
        while PREFIX_LENGTHS[k] and PREFIX_LENGTHS[k] <= i - start:
            prefix |= PREFIXES.get(s + start, PREFIX_LENGTHS[k])
            k += 1
        if CHROME_TOKENS.get(s + start, i - start) or prefix & 1:
            bits |= B_CHROME
        elif HEADER_TOKENS.get(s + start, i - start):
            header = True
        if ARTICLE_TOKENS.get(s + start, i - start):
            bits |= B_ARTICLE
        if prefix & 2:
            bits |= B_CAPTION
    if header and not bits & B_ARTICLE:
        bits |= B_CHROME
    return bits


cdef bint _shows_image(xmlNode* root) noexcept:
    """boilerplate.shows_image: an <img> or <picture> below root."""
    cdef xmlNode* c = root.children
    cdef unsigned int flags
    while c != NULL and c != root:
        if c.type == tree.XML_ELEMENT_NODE:
            flags = TAGS.get(<const char*>c.name, strlen(<const char*>c.name)) if c.name != NULL else 0
            if flags & (T_IMG | T_PICTURE):
                return True
            if c.children != NULL:
                c = c.children
                continue
        while c.next == NULL:
            c = c.parent
            if c == root:
                return False
        c = c.next
    return False


cdef bint _role_is_chrome(Buf* role) noexcept:
    """role.strip().lower() in DROP_ROLES, ASCII."""
    cdef Py_ssize_t a = 0, b = role.len, i
    while a < b and Py_UNICODE_ISSPACE(<unsigned char>role.data[a]):
        a += 1
    while b > a and Py_UNICODE_ISSPACE(<unsigned char>role.data[b - 1]):
        b -= 1
    for i in range(a, b):
        role.data[i] = _lower(role.data[i])
    return DROP_ROLES.get(role.data + a, b - a) != 0


# ---------------------------------------------------------------------------------------------
# the passes

cdef struct Rec:
    xmlNode* node
    unsigned int flags
    int end          # index after the last record of the subtree
    int post         # rank in post-order among measured elements (-1: not measured)
    char kind
    bint shadowed    # inside a class-dropped subtree (never a container candidate)
    bint shadow_kids
    bint in_sem      # inside (or is) <article>/<main>/role=main
    bint semantic    # a semantic container candidate
    long own         # own text, then tails of children and comments
    long text        # subtree text (measured part)
    long links       # link text within
    double score


cdef class _Passes:
    cdef Rec* recs
    cdef int n_recs, cap
    cdef int* stack
    cdef int depth, stack_cap
    cdef int num_nodes, post, max_nodes
    cdef bint cap_hit
    cdef object verdicts   # el -> (hidden, chrome, role_main, article_body) for non-ASCII values
    cdef object doc
    cdef xmlNode** exempt
    cdef int n_exempt
    cdef Buf v_class, v_id, v_role, v_misc, scratch

    def __dealloc__(self):
        free(self.recs)
        free(self.stack)
        free(self.exempt)
        free(self.v_class.data)
        free(self.v_id.data)
        free(self.v_role.data)
        free(self.v_misc.data)
        free(self.scratch.data)

    cdef int _push(self, int i) except -1:
        cdef int* grown
        if self.depth == self.stack_cap:
            self.stack_cap = self.stack_cap * 2 or 64
            grown = <int*>realloc(self.stack, self.stack_cap * sizeof(int))
            if grown == NULL:
                raise MemoryError()
            self.stack = grown
        self.stack[self.depth] = i
        self.depth += 1
        return 0

    cdef int _new_rec(self, xmlNode* node) except -1:
        cdef Rec* grown
        if self.n_recs == self.cap:
            self.cap = self.cap * 2 or 256
            grown = <Rec*>realloc(self.recs, self.cap * sizeof(Rec))
            if grown == NULL:
                raise MemoryError()
            self.recs = grown
        cdef Rec* r = &self.recs[self.n_recs]
        r.node = node
        r.flags = TAGS.get(<const char*>node.name, strlen(<const char*>node.name)) if node.name != NULL else 0
        r.end = r.post = -1
        r.kind = KIND_MEASURED
        r.shadowed = r.shadow_kids = r.in_sem = r.semantic = False
        r.own = r.text = r.links = 0
        r.score = 0.0
        self.n_recs += 1
        return self.n_recs - 1

    cdef object _proxy(self, xmlNode* node):
        return cetree.elementFactory(<cetree._Document>self.doc, node)

    cdef bint _is_exempt(self, xmlNode* node) noexcept:
        cdef int k
        for k in range(self.n_exempt):
            if self.exempt[k] == node:
                return True
        return False

    cdef bint _start(self, xmlNode* node) except -1:
        """analyse's start event; True to descend."""
        cdef int parent = self.stack[self.depth - 1] if self.depth else -1
        cdef int i = self._new_rec(node)
        cdef Rec* r = &self.recs[i]
        cdef Attrs attrs
        cdef bint in_sem = False, hidden = False, chrome = False, role_main = False, body = False
        cdef bint python = False, named_article = False, caption = False
        cdef int bits
        self.num_nodes += 1
        r.own = _stripped_len(node.children)
        if parent >= 0:
            in_sem = self.recs[parent].in_sem
            r.shadowed = r.shadow_kids = self.recs[parent].shadow_kids
        r.in_sem = in_sem
        self._push(i)
        _judged_attrs(node, &attrs)
        if attrs.any:
            _attr_value(attrs.a[0], &self.v_class)
            _attr_value(attrs.a[1], &self.v_id)
            _attr_value(attrs.a[2], &self.v_role)
            python = not (_ascii(&self.v_class) and _ascii(&self.v_id) and _ascii(&self.v_role))
            _attr_value(attrs.a[4], &self.v_misc)
            python = python or not _ascii(&self.v_misc)
            hidden = attrs.a[3] != NULL or _ieq(&self.v_misc, 0, self.v_misc.len, b"true")
            if not hidden and attrs.a[5] != NULL:
                _attr_value(attrs.a[5], &self.v_misc)
                python = python or not _ascii(&self.v_misc)
                hidden = _style_hides(&self.v_misc)
            _attr_value(attrs.a[6], &self.v_misc)
            python = python or not _ascii(&self.v_misc)
            body = _ieq(&self.v_misc, 0, self.v_misc.len, b"articlebody")
            role_main = _ieq(&self.v_role, 0, self.v_role.len, b"main")
            if python:
                hidden, chrome, role_main, body, named_article, caption = self.verdicts(self._proxy(node))
            else:
                bits = _token_bits(&self.v_class, &self.v_id, &self.scratch)
                chrome = _role_is_chrome(&self.v_role) or bits & B_CHROME
                named_article = bits & B_ARTICLE
                caption = bits & B_CAPTION
        if self.num_nodes > self.max_nodes:
            self.cap_hit = True
        if (self.num_nodes > self.max_nodes or r.flags & T_DROP or hidden
                or (r.flags & T_HEADER and not in_sem and not named_article)
                or (caption and not r.flags & (T_IMG | T_PICTURE) and not _shows_image(node))):
            r.kind = KIND_DROPPED
            return False
        if ((r.flags & T_SOFT_DROP or (attrs.any and not (r.flags & T_NEVER_ATTR_DROPPED) and chrome))
                and not self._is_exempt(node)):
            r.kind = KIND_SOFT
            r.shadow_kids = True
        if attrs.any:
            if r.flags & T_SEMANTIC or role_main or body:
                r.semantic = True
            if not in_sem:
                r.in_sem = (r.flags & T_SEMANTIC) != 0 or role_main
        elif r.flags & T_SEMANTIC:
            r.semantic = True
            r.in_sem = True
        return True

    cdef int _end(self, xmlNode* node) except -1:
        """analyse's end event."""
        self.depth -= 1
        cdef int i = self.stack[self.depth]
        cdef int parent = self.stack[self.depth - 1] if self.depth else -1
        cdef int grand = self.stack[self.depth - 2] if self.depth > 1 else -1
        cdef Rec* r = &self.recs[i]
        cdef long t, links, credit
        cdef double images
        if r.node != node:
            raise RuntimeError("crawlers.html._fastdom: analysis stack out of step with the tree")
        r.end = self.n_recs
        if parent >= 0:
            self.recs[parent].own += _stripped_len(node.next)
        if r.kind == KIND_DROPPED:
            return 0
        t = r.text + r.own
        links = t if r.flags & T_A else r.links
        r.text, r.links = t, links
        r.post = self.post
        self.post += 1
        if r.kind == KIND_MEASURED and parent >= 0:
            self.recs[parent].text += t
            self.recs[parent].links += links
        if r.flags & T_PARAGRAPH or (r.flags & T_DIV and r.own > 0):
            images = 0
        elif r.flags & (T_IMG | T_PICTURE):
            images = IMAGE_BONUS
        else:
            return 0
        credit = t - links if t > links else 0
        if parent >= 0:
            self.recs[parent].score += credit + images
            if grand >= 0:
                self.recs[grand].score += (credit + images) / 2
        return 0

    cdef int analyse(self, xmlNode* root, int max_nodes) except -1:
        """boilerplate.analyse over root's subtree (records in self.recs)."""
        cdef xmlNode* c = root
        cdef xmlNode* child
        self.n_recs = self.depth = self.num_nodes = self.post = 0
        self.cap_hit = False
        self.max_nodes = max_nodes
        while True:
            if c.type == tree.XML_ELEMENT_NODE:
                if self._start(c):
                    child = _event_node(c.children)
                    if child != NULL:
                        c = child
                        continue
                self._end(c)
            elif self.depth:  # a comment or PI: only its tail is text
                self.recs[self.stack[self.depth - 1]].own += _stripped_len(c.next)
            while True:
                if c == root:
                    return 0
                child = _event_node(c.next)
                if child != NULL:
                    c = child
                    break
                c = c.parent
                self._end(c)

    cdef inline long non_link(self, int i) noexcept:
        cdef Rec* r = &self.recs[i]
        return r.text - r.links if r.kind != KIND_DROPPED else 0

    cdef inline bint candidate(self, int i) noexcept:
        return self.recs[i].kind == KIND_MEASURED and not self.recs[i].shadowed

    cdef int pick_container(self) noexcept:
        """boilerplate.pick_container: index of the main-content element (0 is the body)."""
        cdef long total = self.non_link(0), n
        cdef int i, best = -1
        cdef double best_score = 0.0, s, weight, best_weight = -1.0
        for i in range(self.n_recs):
            if not self.recs[i].semantic or not self.candidate(i):
                continue
            n = self.non_link(i)
            weight = <double>(n * n) / self.recs[i].text if n else 0.0
            if weight > best_weight or (weight == best_weight and self.recs[i].post < self.recs[best].post):
                best, best_weight = i, weight
        if best >= 0 and total and self.non_link(best) >= SEMANTIC_MIN_SHARE * total:
            return self._innermost_semantic(best)
        best = -1
        best = -1
        for i in range(self.n_recs):
            s = self.recs[i].score
            if s <= 0 or not self.candidate(i):
                continue
            if s > best_score or (s == best_score and self.recs[i].post < self.recs[best].post):
                best, best_score = i, s
        return best if best >= 0 else 0

    cdef int _innermost_semantic(self, int outer) noexcept:
        cdef double need
        cdef long n, inner_len
        cdef int i, inner
        while True:
            need = SEMANTIC_INNER_SHARE * self.non_link(outer)
            inner, inner_len = -1, -1
            # descendants of outer are the records after it, up to its end
            for i in range(outer + 1, self.recs[outer].end):
                if not self.recs[i].semantic or not self.candidate(i):
                    continue
                n = self.non_link(i)
                if n < need or n < inner_len:
                    continue
                if n > inner_len or self.recs[i].post < self.recs[inner].post:
                    inner, inner_len = i, n
            if inner < 0 or need <= 0:
                return outer
            outer = inner

    cdef bint link_heavy(self, int i) noexcept:
        cdef Rec* r = &self.recs[i]
        cdef double density = <double>r.links / r.text if r.text else 0.0
        if r.flags & T_LINK_DENSITY:
            return density > MAX_LINK_DENSITY
        return r.text < SHORT_PARAGRAPH and density > PARAGRAPH_LINK_DENSITY


cdef inline xmlNode* _event_node(xmlNode* n) noexcept:
    """The next node iterwalk reports (element, comment, PI) from n on."""
    while n != NULL:
        if (n.type == tree.XML_ELEMENT_NODE or n.type == tree.XML_COMMENT_NODE
                or n.type == tree.XML_PI_NODE):
            return n
        n = n.next
    return NULL


cdef int _flush(list blocks, Buf* raw, Buf* out) except -1:
    cdef object text
    if raw.len:
        text = _normalise(raw, out)
        if text is not None:
            blocks.append(text)
    return 0


cdef list _walk(_Passes p, int ci, object image_ref, object picture_ref):
    """extract._walk: the container's texts and images in order."""
    cdef list blocks = []
    cdef Buf raw, out
    cdef xmlNode* container = p.recs[ci].node
    cdef xmlNode* c = container
    cdef xmlNode* child
    cdef int i = ci, compound = 0
    cdef Rec* r
    cdef object ref
    cdef unsigned int flags
    raw.data = out.data = NULL
    raw.len = raw.cap = out.len = out.cap = 0
    try:
        while True:
            if c.type == tree.XML_ELEMENT_NODE:
                r = &p.recs[i]
                if r.node != c:
                    raise RuntimeError("crawlers.html._fastdom: walk out of step with the analysis")
                flags = r.flags
                if r.kind != KIND_MEASURED or (flags & (T_LINK_DENSITY | T_SHORT_LINKS) and c != container
                                               and p.link_heavy(i)):
                    ref = None
                elif flags & T_IMG:
                    ref = image_ref(_attr_dict(c, &p.scratch))
                elif flags & T_PICTURE:
                    ref = picture_ref(p._proxy(c))
                elif flags & T_BR:
                    buf_byte(&raw, LINE)
                    ref = None
                else:
                    if flags & T_COMPOUND:
                        if not compound:
                            _flush(blocks, &raw, &out)
                        compound += 1
                    elif flags & T_BLOCK:
                        if compound:
                            buf_byte(&raw, LINE)
                        else:
                            _flush(blocks, &raw, &out)
                    _append_text(&raw, c.children)
                    i += 1
                    child = _event_node(c.children)
                    if child != NULL:
                        c = child
                        continue
                    _walk_end(c, container, flags, &compound, blocks, &raw, &out)
                    ref = False  # handled: fall through to the next sibling
                if ref is not False:
                    if ref is not None:
                        _flush(blocks, &raw, &out)
                        blocks.append(ref)
                    if c != container:
                        _append_text(&raw, c.next)
                    i = r.end
            else:  # a comment or PI: only its tail is text
                _append_text(&raw, c.next)
            while True:
                if c == container:
                    _flush(blocks, &raw, &out)
                    return blocks
                child = _event_node(c.next)
                if child != NULL:
                    c = child
                    break
                c = c.parent
                flags = TAGS.get(<const char*>c.name, strlen(<const char*>c.name)) if c.name != NULL else 0
                _walk_end(c, container, flags, &compound, blocks, &raw, &out)
    finally:
        free(raw.data)
        free(out.data)


cdef int _walk_end(xmlNode* c, xmlNode* container, unsigned int flags, int* compound, list blocks,
                   Buf* raw, Buf* out) except -1:
    if flags & T_COMPOUND:
        compound[0] -= 1
        _flush(blocks, raw, out)
    elif flags & T_CELL:
        buf_byte(raw, CELL)
    elif flags & T_BLOCK:
        if compound[0]:
            buf_byte(raw, LINE)
        else:
            _flush(blocks, raw, out)
    if c != container:
        _append_text(raw, c.next)
    return 0


def content_blocks(root, int max_nodes, image_ref, picture_ref, verdicts, rescuable):
    """(blocks, num_nodes, node_cap_hit) of root's main content: extract.extract_document's
    analyse_with_rescue + pick_container + _walk, in C.

    image_ref(attributes: dict) -> ImageRef | None for an <img>, picture_ref(el) for a
    <picture> (its <source>s and first <img>); verdicts(el) -> boilerplate.attr_verdicts for an
    element whose judged attributes are not ASCII; rescuable(el) -> whether a class-dropped
    element may be rescued (not a comment thread).
    """
    cdef xmlNode* node = (<cetree._Element>root)._c_node
    cdef _Passes p = _Passes()
    cdef list rescued
    cdef long floor
    cdef int i, k, rounds
    cdef xmlNode** grown
    p.doc = (<cetree._Element>root)._doc
    p.verdicts = verdicts
    p.analyse(node, max_nodes)
    # analyse_with_rescue: class-dropped elements holding more text than the rest of the page
    for rounds in range(RESCUE_ROUNDS):
        floor = p.non_link(0)
        if floor < RESCUE_MIN_CHARS:
            floor = RESCUE_MIN_CHARS
        rescued = []
        for i in range(p.n_recs):
            if (p.recs[i].kind == KIND_SOFT and p.non_link(i) > floor
                    and rescuable(p._proxy(p.recs[i].node))):
                rescued.append(i)
        if not rescued:
            break
        grown = <xmlNode**>realloc(p.exempt, (p.n_exempt + len(rescued)) * sizeof(xmlNode*))
        if grown == NULL:
            raise MemoryError()
        p.exempt = grown
        for k, i in enumerate(rescued):
            p.exempt[p.n_exempt + k] = p.recs[i].node
        p.n_exempt += len(rescued)
        p.analyse(node, max_nodes)
    return _walk(p, p.pick_container(), image_ref, picture_ref), p.num_nodes, bool(p.cap_hit)
