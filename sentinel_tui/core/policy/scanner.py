"""Scanner and parser stage: ruamel.yaml's scanner and parser, bent to libyaml's rules.

Only ruamel's *syntax* is used (events: scalars with style and tag, anchors,
aliases, marks); where ruamel accepts or refuses what libyaml does not, the
subclasses here follow libyaml (tags, depth limit, lookahead). Its errors are
translated to libyaml's wording and line convention (``_translate_ruamel_error``).
"""

from __future__ import annotations

import functools
from typing import Any

from .model import _Fatal
from .reader import _go_buffer_starts_with_bom, _go_skip


def _fast_scanner_class() -> type:
    """ruamel's Scanner with the simple-key bookkeeping made linear.

    Stock ruamel rescans every flow level's saved key for every token, which makes
    ``[[[[...]]]]`` quadratic (minutes for a few thousand levels). Keys are saved
    in stream order, so when the oldest one is still on the current line and
    within 1024 characters, none is stale. Behaviour is unchanged.
    """
    from ruamel.yaml.scanner import Scanner

    class _Scanner(Scanner):  # type: ignore[misc, valid-type]
        # yaml.v3's escapes in double quotes: "\'" is one (a quote), "\/" is not
        # (YAML 1.2's and newer libyaml's; yaml.v3 calls it an unknown escape).
        ESCAPE_REPLACEMENTS = {
            key: value for key, value in {**Scanner.ESCAPE_REPLACEMENTS, "'": "'"}.items() if key != "/"
        }

        def need_more_tokens(self) -> bool:
            # yaml.v3 keeps two tokens of lookahead beyond the current one (for
            # comments), so a scanner error up to two tokens ahead is reported
            # before a parser error at the current token, and one just after the
            # first document's end still fails the parse. Only then does it
            # look at a simple key, and only at one that would be the next
            # token handed out: stale there (another line, or 1,024 characters
            # on), it is dropped, or "could not find expected ':'" if required.
            # (libyaml checked every key before every token; yaml.v3 does not.)
            if not self.done and len(self.tokens) < 3:
                return True
            saved = getattr(self, "_go_keys", None)
            entry = saved.get(self.tokens_taken) if saved else None
            if entry is None or self.possible_simple_keys.get(entry[0]) is not entry[1]:
                return False
            level, key = entry
            if self._go_stale(key):
                if key.required:
                    self._go_key_error(key)
                del self.possible_simple_keys[level]
                return False
            return not self.done

        def save_possible_simple_key(self) -> None:
            # Index the keys by token number: need_more_tokens looks one up in
            # O(1) ("[[[[...]]]]" thousands deep stays linear).
            super().save_possible_simple_key()
            key = self.possible_simple_keys.get(self.flow_level)
            if key is not None:
                saved = getattr(self, "_go_keys", None)
                if saved is None:
                    saved = self._go_keys = {}
                saved[key.token_number] = (self.flow_level, key)

        def _go_stale(self, key: Any) -> bool:
            reader = self.reader
            return key.line < reader.line or key.index + 1024 < reader.index

        def _go_key_error(self, key: Any) -> None:
            from ruamel.yaml.scanner import ScannerError

            raise ScannerError(
                "while scanning a simple key", key.mark, "could not find expected ':'", self.reader.get_mark()
            )

        def stale_possible_simple_keys(self) -> None:
            # yaml.v3 checks keys only where need_more_tokens and fetch_value do.
            return None

        def fetch_value(self) -> None:
            key = self.possible_simple_keys.get(self.flow_level)
            if key is not None and self._go_stale(key):
                if key.required:
                    self._go_key_error(key)
                del self.possible_simple_keys[self.flow_level]
            super().fetch_value()

        @property
        def scanner_processing_version(self) -> Any:
            # libyaml's token rules are YAML 1.1's: in flow context ':' is
            # always a value indicator and '?' always a key indicator, '#' is
            # not a tag character. (Scalar resolution is done here, not by ruamel.)
            return (1, 1)

        def scan_to_next_token(self) -> None:
            # yaml.v3 means to let a BOM start any line, but its is_bom looks
            # at the start of its decoded buffer, not at the current character:
            # so a BOM that is not the stream's first bytes is never skipped
            # (it becomes part of the next scalar: a key "\ufeffrules"), and
            # when the buffer does start with one (two BOMs at the start of
            # the stream), whatever character starts a line at column 0 is
            # skipped, a key's first letter included (_go_bom_skip).
            # Tabs separate tokens in flow context and wherever a simple key is
            # not allowed (after "key:", after a scalar), not only in flow
            # context as in ruamel.
            reader = self.reader
            peek, forward = reader.peek, reader.forward
            while True:
                if reader.column == 0 and _go_buffer_starts_with_bom(reader):
                    _go_skip(reader)
                while True:
                    ch = peek()
                    if ch == " " or (ch == "\t" and (self.flow_level > 0 or not self.allow_simple_key)):
                        forward()
                    else:
                        break
                if peek() == "#":
                    while peek() not in "\n\0\r\x85\u2028\u2029":
                        forward()
                if self.scan_line_break():
                    if not self.flow_level:
                        self.allow_simple_key = True
                else:
                    return None

        def scan_directive(self) -> Any:
            # libyaml's directive grammar and wording: names are [0-9A-Za-z_-]+
            # followed by a blank (space, tab, break); %YAML takes two numbers of
            # at most two digits; only 1.1 is compatible (a parser error, so its
            # line is the directive's own 0-based line, as yaml.v3 prints it);
            # any other name is an error.
            from ruamel.yaml import tokens
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            peek, forward = reader.peek, reader.forward
            start_mark = reader.get_mark()
            forward()

            def fail(problem: str, context: str = "while scanning a directive") -> Any:
                return ScannerError(context, start_mark, problem, reader.get_mark())

            length = 0
            while peek(length) in _TAG_ALPHA:
                length += 1
            if not length:
                raise fail("could not find expected directive name")
            name = reader.prefix(length)
            forward(length)
            if peek() not in "\0 \t\r\n\x85\u2028\u2029":
                raise fail("found unexpected non-alphabetical character")
            value: Any
            if name == "YAML":
                while peek() in " \t":
                    forward()

                def number() -> int:
                    digits = 0
                    num = 0
                    while peek() in "0123456789" and peek() != "":
                        digits += 1
                        if digits > 2:
                            raise fail("found extremely long version number", "while scanning a %YAML directive")
                        num = num * 10 + int(peek())
                        forward()
                    if not digits:
                        raise fail("did not find expected version number", "while scanning a %YAML directive")
                    return num

                major = number()
                if peek() != ".":
                    raise fail("did not find expected digit or '.' character", "while scanning a %YAML directive")
                forward()
                minor = number()
                value = (major, minor)
            elif name == "TAG":
                value = self.scan_tag_directive_value(start_mark)
            else:
                raise fail("found unknown directive name")
            end_mark = reader.get_mark()
            while peek() in " \t":
                forward()
            if peek() == "#":
                while peek() not in "\0\r\n\x85\u2028\u2029":
                    forward()
            if peek() not in "\0\r\n\x85\u2028\u2029":
                raise fail("did not find expected comment or line break")
            self.scan_line_break()
            # A version other than 1.1 is refused by the parser when it reaches
            # it (_Parser.process_directives), never in a later document.
            return tokens.DirectiveToken(name, value, start_mark, end_mark)

        def fetch_stream_end(self) -> None:
            # libyaml forces a new line at the end of a stream that does not end
            # with one, so an error there names the line after the last one.
            reader = self.reader
            if reader.column != 0:
                reader.column = 0
                reader.line += 1
            # As ruamel, but the keys of outer levels stay: need_more_tokens
            # still checks the one at the head (yaml.v3 keeps them too).
            from ruamel.yaml.tokens import StreamEndToken

            self.unwind_indent(-1)
            self.remove_possible_simple_key()
            self.allow_simple_key = False
            mark = reader.get_mark()
            self.tokens.append(StreamEndToken(mark, mark))
            self.done = True

        def scan_plain_spaces(self, indent: Any, start_mark: Any) -> Any:
            # libyaml folds tabs like spaces inside a plain scalar ("a\tb" is
            # one scalar); ruamel stops at a tab. A tab in the indentation of a
            # continuation line is an error in both.
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            peek, forward = reader.peek, reader.forward
            length = 0
            while peek(length) in " \t":
                length += 1
            whitespaces = reader.prefix(length)
            forward(length)
            chunks: list[str] = []
            if peek() in "\r\n\x85\u2028\u2029":
                line_break = self.scan_line_break()
                self.allow_simple_key = True
                if reader.prefix(3) in ("---", "...") and peek(3) in _END_SPACE_TAB:
                    return None
                breaks = []
                while peek() in " \t\r\n\x85\u2028\u2029":
                    if peek() in " \t":
                        if peek() == "\t" and reader.column < indent:
                            raise ScannerError(
                                "while scanning a plain scalar",
                                start_mark,
                                "found a tab character that violates indentation",
                                reader.get_mark(),
                            )
                        forward()
                    else:
                        breaks.append(self.scan_line_break())
                        if reader.prefix(3) in ("---", "...") and peek(3) in _END_SPACE_TAB:
                            return None
                if line_break != "\n":
                    chunks.append(line_break)
                elif not breaks:
                    chunks.append(" ")
                chunks.extend(breaks)
            elif whitespaces:
                chunks.append(whitespaces)
            return chunks

        def scan_block_scalar_indicators(self, start_mark: Any) -> Any:
            # libyaml: chomping and indentation indicators in either order; what
            # follows is checked by scan_block_scalar_ignored_line.
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            peek, forward = reader.peek, reader.forward
            self._go_block_start = start_mark
            chomping = None
            increment = None

            def indentation() -> int:
                if peek() == "0":
                    raise ScannerError(
                        "while scanning a block scalar",
                        start_mark,
                        "found an indentation indicator equal to 0",
                        reader.get_mark(),
                    )
                value = int(peek())
                forward()
                return value

            if peek() in "+-":
                chomping = peek() == "+"
                forward()
                if peek() in "0123456789":
                    increment = indentation()
            elif peek() in "0123456789":
                increment = indentation()
                if peek() in "+-":
                    chomping = peek() == "+"
                    forward()
            return chomping, increment

        def scan_block_scalar_indentation(self) -> Any:
            # yaml.v3's scan_block_scalar_breaks with no indentation yet: the
            # deepest leading blank line sets it (no "more indented follow up
            # line" error), and a tab after the spaces is an error.
            reader = self.reader
            peek, forward = reader.peek, reader.forward
            chunks = []
            max_indent = 0
            end_mark = reader.get_mark()
            while True:
                while peek() == " ":
                    forward()
                if reader.column > max_indent:
                    max_indent = reader.column
                if peek() == "\t":
                    self._go_block_tab()
                if peek() not in "\r\n\x85\u2028\u2029":
                    break
                chunks.append(self.scan_line_break())
                end_mark = reader.get_mark()
            return chunks, max_indent, end_mark

        def scan_block_scalar_breaks(self, indent: int) -> Any:
            reader = self.reader
            peek, forward = reader.peek, reader.forward
            chunks = []
            end_mark = reader.get_mark()
            while True:
                while reader.column < indent and peek() == " ":
                    forward()
                if reader.column < indent and peek() == "\t":
                    self._go_block_tab()
                if peek() not in "\r\n\x85\u2028\u2029":
                    break
                chunks.append(self.scan_line_break())
                end_mark = reader.get_mark()
            return chunks, end_mark

        def _go_block_tab(self) -> None:
            from ruamel.yaml.scanner import ScannerError

            raise ScannerError(
                "while scanning a block scalar",
                getattr(self, "_go_block_start", None),
                "found a tab character where an indentation space is expected",
                self.reader.get_mark(),
            )

        def scan_block_scalar_ignored_line(self, start_mark: Any) -> Any:
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            peek, forward = reader.peek, reader.forward
            while peek() in " \t":
                forward()
            if peek() == "#":
                while peek() not in "\0\r\n\x85\u2028\u2029":
                    forward()
            if peek() not in "\0\r\n\x85\u2028\u2029":
                raise ScannerError(
                    "while scanning a block scalar",
                    start_mark,
                    "did not find expected comment or line break",
                    reader.get_mark(),
                )
            self.scan_line_break()
            return None

        def scan_anchor(self, TokenClass: Any) -> Any:  # noqa: N803 - ruamel's name
            # libyaml: anchor names are [0-9A-Za-z_-]+ ("*a:" is the alias "a").
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            start_mark = reader.get_mark()
            name = "alias" if reader.peek() == "*" else "anchor"
            reader.forward()
            length = 0
            while reader.peek(length) in _TAG_ALPHA:
                length += 1
            end = reader.peek(length)
            if not length or end not in "\0 \t\r\n\x85\u2028\u2029?:,]}%@`":
                reader.forward(length)
                raise ScannerError(
                    f"while scanning an {name}",
                    start_mark,
                    "did not find expected alphabetic or numeric character",
                    reader.get_mark(),
                )
            value = reader.prefix(length)
            reader.forward(length)
            return TokenClass(value, start_mark, reader.get_mark())

        def scan_tag(self) -> Any:
            # libyaml's tag grammar: "!x" is a local tag even when a '!' follows
            # later ("!a'!b"), URI characters include ",[]", "!" alone is "!".
            from ruamel.yaml import tokens
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            peek, forward = reader.peek, reader.forward
            start_mark = reader.get_mark()
            handle: str | None
            if peek(1) == "<":
                forward(2)
                suffix = self._tag_uri("", start_mark)
                if peek() != ">":
                    raise ScannerError(
                        "while scanning a tag", start_mark, "did not find the expected '>'", reader.get_mark()
                    )
                forward()
                handle = None
            else:
                head = "!"
                forward()
                while peek() in _TAG_ALPHA:
                    head += peek()
                    forward()
                if peek() == "!":
                    head += "!"
                    forward()
                if len(head) > 1 and head.endswith("!"):
                    handle = head
                    suffix = self._tag_uri("", start_mark)
                else:
                    suffix = self._tag_uri(head, start_mark)
                    handle = "!"
                    if not suffix:
                        handle, suffix = None, "!"
            if peek() not in "\0 \t\r\n\x85\u2028\u2029":
                raise ScannerError(
                    "while scanning a tag",
                    start_mark,
                    "did not find expected whitespace or line break",
                    reader.get_mark(),
                )
            return tokens.TagToken((handle, suffix), start_mark, reader.get_mark())

        def _tag_uri(self, head: str, start_mark: Any) -> str:
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            chunks = [head[1:]] if len(head) > 1 else []
            found = bool(head)
            while True:
                ch = reader.peek()
                if ch == "%":
                    chunks.append(self.scan_uri_escapes("tag", start_mark))
                elif ch in _TAG_URI:
                    chunks.append(ch)
                    reader.forward()
                else:
                    break
                found = True
            if not found:
                raise ScannerError(
                    "while parsing a tag", start_mark, "did not find expected tag URI", reader.get_mark()
                )
            return "".join(chunks)

    return _Scanner


_TAG_ALPHA = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-")
_TAG_URI = _TAG_ALPHA | frozenset(";/?:@&=+$,.!~*'()[]")
_END_SPACE_TAB = " \n\0\t\r\x85\u2028\u2029"


@functools.lru_cache(maxsize=1)
def _scanner_class() -> type:
    return _fast_scanner_class()


@functools.lru_cache(maxsize=1)
def _parser_class() -> type:
    """ruamel's Parser with libyaml's handling of an empty key in a flow sequence.

    In libyaml (and so yaml.v3), ``[? ]``/``[?, x]`` consume the token after the
    ``?`` as well, which turns them into an error ("did not find expected ','
    or ']'"); ruamel reads them as a one-entry mapping.
    """
    from ruamel.yaml.parser import Parser
    from ruamel.yaml.tokens import FlowEntryToken, FlowSequenceEndToken, ValueToken

    class _V11:
        processing_version = (1, 1)

    class _Parser(Parser):  # type: ignore[misc, valid-type]
        @property
        def resolver(self) -> Any:
            # libyaml's grammar is YAML 1.1's: no value without a key (": x").
            return _V11

        def process_directives(self) -> Any:
            # yaml.v3 refuses any %YAML but 1.1 when it parses the directives
            # (a parser error: the directive's 0-based line, as yaml.v3 prints it).
            from ruamel.yaml.tokens import DirectiveToken

            seen = False
            index = 0
            scanner = self.scanner
            while True:
                while len(scanner.tokens) <= index and scanner.need_more_tokens():
                    scanner.fetch_more_tokens()
                if len(scanner.tokens) <= index:
                    break
                token = scanner.tokens[index]
                if not isinstance(token, DirectiveToken):
                    break
                if token.name == "YAML":
                    if seen:
                        break  # ruamel reports the duplicate
                    seen = True
                    if tuple(token.value) != (1, 1):
                        raise _syntax("found incompatible YAML document", token.start_mark.line, scanner=False)
                index += 1
            return super().process_directives()

        def parse_document_end(self) -> Any:
            # yaml.v3 reads only the first document: what follows "..." on its
            # line is never parsed (ruamel refuses it).
            from ruamel.yaml.events import DocumentEndEvent
            from ruamel.yaml.tokens import DocumentEndToken

            token = self.scanner.peek_token()
            start_mark = end_mark = token.start_mark
            explicit = False
            if self.scanner.check_token(DocumentEndToken):
                token = self.scanner.get_token()
                end_mark = token.end_mark
                explicit = True
            event = DocumentEndEvent(start_mark, end_mark, explicit=explicit)
            self.state = self.parse_document_start
            return event

        def parse_flow_sequence_entry_mapping_key(self) -> Any:
            self.scanner.get_token()  # the KEY token
            if not self.scanner.check_token(ValueToken, FlowEntryToken, FlowSequenceEndToken):
                self.states.append(self.parse_flow_sequence_entry_mapping_value)
                return self.parse_flow_node()
            token = self.scanner.get_token()
            self.state = self.parse_flow_sequence_entry_mapping_value
            return self.process_empty_scalar(token.end_mark)

    return _Parser


# libyaml's wording for ruamel's scanner/parser problems
_SYNTAX_WORDING: tuple[tuple[str, str], ...] = (
    ("expected '<document start>'", "did not find expected <document start>"),
    ("found duplicate YAML directive", "found duplicate %YAML directive"),
    ("found incompatible YAML document", "found incompatible YAML document"),
    ("duplicate tag handle", "found duplicate %TAG directive"),
    ("found undefined tag handle", "found undefined tag handle"),
    ("expected the node content", "did not find expected node content"),
    ("expected ',' or ']'", "did not find expected ',' or ']'"),
    ("expected ',' or '}'", "did not find expected ',' or '}'"),
    ("could not find expected ':'", "could not find expected ':'"),
    ("that cannot start any token", "found character that cannot start any token"),
    ("sequence entries are not allowed here", "block sequence entries are not allowed in this context"),
    ("mapping keys are not allowed here", "mapping keys are not allowed in this context"),
    ("mapping values are not allowed here", "mapping values are not allowed in this context"),
    ("found unknown escape character", "found unknown escape character"),
    ("hexdecimal numbers", "did not find expected hexdecimal number"),
    ("found unexpected end of stream", "found unexpected end of stream"),
    ("found unexpected document separator", "found unexpected document indicator"),
    ("expected alphabetic or numeric character", "did not find expected alphabetic or numeric character"),
    ("expected a digit or '.'", "did not find expected digit or '.' character"),
    ("expected a digit", "did not find expected version number"),
    ("expected ' '", "did not find expected whitespace or line break"),
    ("expected a comment or a line break", "did not find expected comment or line break"),
    ("expected indentation indicator in the range 1-9", "found an indentation indicator equal to 0"),
    ("expected chomping or indentation indicators", "did not find expected comment or line break"),
    ("expected '!'", "did not find expected '!'"),
    ("expected URI", "did not find expected tag URI"),
    ("expected '>'", "did not find the expected '>'"),
    ("special characters are not allowed", "control characters are not allowed"),
)


def _syntax(problem: str, line0: int | None, *, scanner: bool) -> _Fatal:
    """yaml.v3's parser.fail(): 0-based marks; scanner errors add 1; line 0 is not named."""
    if line0:
        line = line0 + 1 if scanner else line0
        return _Fatal(f"yaml: line {line}: {problem}")
    return _Fatal(f"yaml: {problem}")


def _translate_ruamel_error(exc: BaseException) -> _Fatal:
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.scanner import ScannerError

    if not isinstance(exc, MarkedYAMLError):
        return _Fatal(f"yaml: {exc}")
    problem = exc.problem or "unknown problem parsing YAML content"
    scanner = isinstance(exc, ScannerError)
    if "expected <block end>" in problem:
        # libyaml names what it was looking for inside the block collection
        in_sequence = "collection" in (exc.context or "")
        problem = "did not find expected '-' indicator" if in_sequence else "did not find expected key"
    else:
        for fragment, wording in _SYNTAX_WORDING:
            if fragment in problem:
                problem = wording
                break
    line0 = 0
    if exc.context_mark is not None and exc.context_mark.line:
        line0 = exc.context_mark.line
    elif exc.problem_mark is not None and exc.problem_mark.line:
        line0 = exc.problem_mark.line
    return _syntax(problem, line0, scanner=scanner)
