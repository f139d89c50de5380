//! `hlc fmt`: canonical layout of a homelab.kdl that keeps every comment.
//!
//! One node per line, four-space indentation, one space between entries, at most one blank line
//! in a row, values exactly as written. kdl's own autoformat drops trailing comments, so this walks
//! the syntax tree's spans instead and copies everything between nodes (comments, slash-dashed
//! nodes) through, re-indented. The result is verified before it is returned: it must parse to the
//! same document and differ from the input only in whitespace and `;` separators.

use kdl::{KdlDocument, KdlNode};

use crate::diagnostic::Diagnostic;
use crate::parse::parse;
use crate::source::Source;

const INDENT: &str = "    ";

/// Why a file could not be formatted.
#[derive(Debug)]
pub enum FormatError {
    Syntax(Vec<Diagnostic>),
    /// The formatter would have changed the meaning or dropped text; nothing is written.
    Unsafe(String),
}

/// Formats `source` canonically.
pub fn format(source: &Source) -> Result<String, FormatError> {
    let document = parse(source).map_err(FormatError::Syntax)?;
    let mut formatter = Formatter { text: &source.text, out: String::new() };
    formatter.block(document.nodes(), 0, source.text.len(), 0, false);
    let formatted = formatter.out.trim_start_matches('\n').trim_end().to_string() + "\n";
    verify(&source.text, &document, &formatted)?;
    Ok(formatted)
}

struct Formatter<'a> {
    text: &'a str,
    out: String,
}

impl Formatter<'_> {
    /// Lays out `nodes`, which sit in `text[start..end]`, at `depth`. With `after_open_brace`,
    /// the first line of the gap before the first node continues the `{` line.
    fn block(&mut self, nodes: &[KdlNode], start: usize, end: usize, depth: usize, after_open_brace: bool) {
        let mut cursor = start;
        let mut continues_line = after_open_brace;
        for (index, node) in nodes.iter().enumerate() {
            self.gap(&self.text[cursor..node.span().offset()], depth, continues_line, index == 0, false);
            self.node(node, depth);
            cursor = node.span().offset() + node.span().len();
            continues_line = true;
        }
        self.gap(&self.text[cursor..end], depth, continues_line, nodes.is_empty(), true);
    }

    /// Copies the comments of a gap between nodes, re-indented. When `continues_line`, the gap's
    /// first line belongs to the line before (a trailing comment). Blank lines collapse to one and
    /// vanish at the start and end of a block.
    fn gap(&mut self, gap: &str, depth: usize, continues_line: bool, block_start: bool, block_end: bool) {
        let mut lines = gap.split('\n');
        if continues_line {
            let trailing = clean(lines.next().unwrap_or(""));
            if !trailing.is_empty() {
                self.out.push(' ');
                self.out.push_str(trailing);
            }
            self.out.push('\n');
        }
        let mut rest: Vec<&str> = lines.map(clean).collect();
        // The last piece is what precedes the next node on its own line: usually indentation.
        if rest.last() == Some(&"") {
            rest.pop();
        }
        if block_end {
            while rest.last() == Some(&"") {
                rest.pop();
            }
        }
        let mut previous_blank = block_start;
        for line in rest {
            if line.is_empty() {
                if !previous_blank {
                    self.out.push('\n');
                }
                previous_blank = true;
                continue;
            }
            self.indent(depth);
            self.out.push_str(line);
            self.out.push('\n');
            previous_blank = false;
        }
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str(INDENT);
        }
    }

    fn node(&mut self, node: &KdlNode, depth: usize) {
        let start = node.span().offset();
        let end = start + node.span().len();
        let header_end = node.entries().last().map_or(node.name().span(), |e| e.span());
        let header_end = header_end.offset() + header_end.len();
        self.indent(depth);
        self.header(node, start, header_end);
        match node.children() {
            None => {
                let trailing = clean(&self.text[header_end..end]);
                if !trailing.is_empty() {
                    self.out.push(' ');
                    self.out.push_str(trailing);
                }
            }
            Some(children) => self.children(children, header_end, end, depth),
        }
    }

    /// The node name and its entries, one space apart; verbatim if comments sit between them.
    fn header(&mut self, node: &KdlNode, start: usize, header_end: usize) {
        let mut pieces = vec![span_text(self.text, node.name().span())];
        let mut gaps_are_blank = true;
        let mut cursor = node.name().span().offset() + node.name().span().len();
        for entry in node.entries() {
            gaps_are_blank &= self.text[cursor..entry.span().offset()].chars().all(|c| c.is_whitespace() || c == '\\');
            pieces.push(span_text(self.text, entry.span()));
            cursor = entry.span().offset() + entry.span().len();
        }
        if gaps_are_blank && node.ty().is_none() {
            self.out.push_str(&pieces.join(" "));
        } else {
            self.out.push_str(self.text[start..header_end].trim());
        }
    }

    fn children(&mut self, children: &KdlDocument, header_end: usize, end: usize, depth: usize) {
        let open = find_open_brace(self.text, header_end, end).unwrap_or(header_end);
        let close = self.text[..end].rfind('}').unwrap_or(end);
        let between = clean(&self.text[header_end..open]);
        if !between.is_empty() {
            self.out.push(' ');
            self.out.push_str(between);
        }
        if children.nodes().is_empty() && clean(&self.text[open + 1..close]).is_empty() {
            self.out.push_str(" {}");
            return;
        }
        self.out.push_str(" {");
        self.block(children.nodes(), open + 1, close, depth + 1, true);
        self.indent(depth);
        self.out.push('}');
    }
}

/// A line of a gap without surrounding blanks and `;` separators.
fn clean(line: &str) -> &str {
    line.trim().trim_matches(|c: char| c == ';' || c.is_whitespace())
}

fn span_text(text: &str, span: miette::SourceSpan) -> &str {
    &text[span.offset()..span.offset() + span.len()]
}

/// The `{` opening a children block, skipping comments between the header and it.
fn find_open_brace(text: &str, from: usize, to: usize) -> Option<usize> {
    let mut i = from;
    let bytes = text.as_bytes();
    while i < to {
        if text[i..].starts_with("//") {
            i += text[i..].find('\n').unwrap_or(to - i);
        } else if text[i..].starts_with("/*") {
            i += text[i..].find("*/").map_or(to - i, |j| j + 2);
        } else if bytes[i] == b'{' {
            return Some(i);
        } else {
            i += 1;
        }
    }
    None
}

/// The formatted text must mean the same and hold the same text apart from layout.
fn verify(original: &str, document: &KdlDocument, formatted: &str) -> Result<(), FormatError> {
    let unsafe_error = |why: &str| {
        FormatError::Unsafe(format!("hlc fmt would {why}; the file was left as it is (please report this)"))
    };
    let reparsed: KdlDocument = formatted.parse().map_err(|_| unsafe_error("produce invalid KDL"))?;
    if semantic(document) != semantic(&reparsed) {
        return Err(unsafe_error("change the document's meaning"));
    }
    if layout_free(original) != layout_free(formatted) {
        return Err(unsafe_error("drop or change a comment"));
    }
    Ok(())
}

/// The document with all formatting removed, as text.
fn semantic(document: &KdlDocument) -> String {
    let mut document = document.clone();
    document.clear_format_recursive();
    document.to_string()
}

/// The text without whitespace, `;` separators and line continuations.
pub fn layout_free(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace() && *c != ';' && *c != '\\').collect()
}
