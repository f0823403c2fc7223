"""Just enough PromQL lexing to list the series names and label matchers an expression reads
(promtool checks the syntax; this answers "which metrics does it need").

    SeriesNames('sum by (le) (rate(foo_bucket{a="b"}[5m])) / bar')  -> {"foo_bucket", "bar"}
    LabelMatchers('foo{source="real", split=~"a|b"}')  -> [("foo", "source", "=", "real"), ...]
"""
import re

FUNCTIONS_AND_KEYWORDS = {
    # aggregation operators and clauses
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
    "topk", "quantile", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "atan2",
    # literals
    "inf", "nan",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}")
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")\s*,?')


def _strip(expr):
    # Label matchers go first (their values are strings), then strings, ranges, grouping labels.
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = _STRING.sub(" ", expr)
    expr = _RANGE.sub(" ", expr)
    expr = _GROUPING.sub(" ", expr)
    return expr


def SeriesNames(expr):
    """The metric names an expression selects (function names, keywords and numbers excluded)."""
    names = set()
    stripped = _strip(expr)
    for match in _IDENT.finditer(stripped):
        word = match.group(0)
        rest = stripped[match.end():].lstrip()
        if rest.startswith("("):
            continue  # a function or an aggregation
        if word.lower() in FUNCTIONS_AND_KEYWORDS:
            continue
        before = stripped[:match.start()]
        if re.search(r"[0-9.]$", before):
            continue  # the exponent or unit of a number, e.g. 1e3
        names.add(word)
    # Selectors with only a matcher on __name__ are not used here.
    return names


def LabelMatchers(expr):
    """(metric or None, label, operator, value) for every matcher in every selector."""
    matchers = []
    for selector in _SELECTOR.finditer(expr):
        metric, body = selector.group(1), selector.group(2)
        position = 0
        while position < len(body):
            match = _MATCHER.match(body, position)
            if match is None:
                if body[position:].strip():
                    raise ValueError(f"cannot parse label matchers {{{body}}} in {expr!r}")
                break
            matchers.append((metric, match.group(1), match.group(2), match.group(3)[1:-1]))
            position = match.end()
    return matchers
