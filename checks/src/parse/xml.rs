//! A small read-only element tree over quick-xml for the XML build files the supply-chain
//! checks read: Maven `pom.xml`, .NET project files and Gradle's verification metadata.
//!
//! Built without recursion (an explicit stack), at most [`MAX_DEPTH`] elements deep; the repo
//! source already caps the file size. Only the five predefined entities and character
//! references are expanded: a DTD is never read, so no external or recursive entity can be.

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion, escape::resolve_predefined_entity};

/// Build files nest a dozen levels; anything far deeper is not one.
pub const MAX_DEPTH: usize = 64;

/// A large Gradle verification metadata file holds tens of thousands of elements; the cap keeps
/// a hostile file of empty elements from costing gigabytes.
pub const MAX_ELEMENTS: usize = 250_000;

/// One element: local name (namespace prefix dropped), attributes, text and 1-based line.
#[derive(Debug)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// The element's own text (CDATA included), trimmed.
    pub text: String,
    pub line: u32,
    children: Vec<usize>,
}

impl Element {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
pub struct Tree {
    nodes: Vec<Element>,
}

impl Tree {
    /// The document element.
    pub fn root(&self) -> &Element {
        &self.nodes[0]
    }

    /// The direct children of `e`, in document order.
    pub fn child_elements<'a>(&'a self, e: &'a Element) -> impl Iterator<Item = &'a Element> {
        e.children.iter().map(|&i| &self.nodes[i])
    }

    /// The direct children of `e` named `name`.
    pub fn children<'a>(
        &'a self,
        e: &'a Element,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> {
        self.child_elements(e).filter(move |c| c.name == name)
    }

    /// The text of the first child of `e` named `name`.
    pub fn child_text<'a>(&'a self, e: &'a Element, name: &str) -> Option<&'a str> {
        self.child_elements(e)
            .find(|c| c.name == name)
            .map(|c| c.text.as_str())
    }

    /// The elements reached from `e` through the child names of `path`, in document order.
    pub fn at<'a>(&'a self, e: &'a Element, path: &[&str]) -> Vec<&'a Element> {
        let mut current = vec![e];
        for step in path {
            current = current
                .into_iter()
                .flat_map(|c| self.child_elements(c).filter(|x| x.name == *step))
                .collect();
        }
        current
    }

    /// Every element below `e` (depth first, document order), `e` excluded.
    pub fn descendants<'a>(&'a self, e: &'a Element) -> Vec<&'a Element> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = e.children.iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            let node = &self.nodes[i];
            out.push(node);
            stack.extend(node.children.iter().rev().copied());
        }
        out
    }
}

/// Parses `text`; `Err` is one sentence (position and reason, never file content).
pub fn parse(text: &str) -> Result<Tree, String> {
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    let line_at = |offset: u64| {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        u32::try_from(newlines.partition_point(|&nl| nl < offset) + 1).unwrap_or(u32::MAX)
    };
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut nodes: Vec<Element> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    loop {
        let before = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            // quick-xml's message names tags and entities from the input: bounded, quotes of
            // input dropped, as every parser's.
            let line = line_at(reader.error_position()) as usize;
            crate::redact::ParseError::xml(line, &e).to_string()
        })?;
        match event {
            Event::Start(_) | Event::Empty(_) if stack.is_empty() && !nodes.is_empty() => {
                return Err(format!(
                    "invalid XML at line {}: a second document element",
                    line_at(before)
                ));
            }
            Event::Start(start) => {
                let index = open(&start, line_at(before), &mut nodes, &stack)?;
                stack.push(index);
                if stack.len() > MAX_DEPTH {
                    return Err(format!(
                        "XML nested deeper than {MAX_DEPTH} elements (at line {}): not parsed",
                        line_at(before)
                    ));
                }
            }
            Event::Empty(start) => {
                open(&start, line_at(before), &mut nodes, &stack)?;
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) => append(&mut nodes, &stack, &t.xml10_content()),
            Event::CData(t) => append(&mut nodes, &stack, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let expanded = expand(&r).ok_or_else(|| {
                    format!(
                        "invalid XML at line {}: an entity reference that is not predefined",
                        line_at(before)
                    )
                })?;
                append(&mut nodes, &stack, &expanded);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if nodes.is_empty() {
        return Err("no XML element in the file".to_owned());
    }
    if !stack.is_empty() {
        return Err("invalid XML: the document ends inside an element".to_owned());
    }
    for node in &mut nodes {
        let trimmed = node.text.trim();
        if trimmed.len() != node.text.len() {
            node.text = trimmed.to_owned();
        }
    }
    Ok(Tree { nodes })
}

/// Adds the element opened by `start` under the innermost open element; its index.
fn open(
    start: &BytesStart<'_>,
    line: u32,
    nodes: &mut Vec<Element>,
    stack: &[usize],
) -> Result<usize, String> {
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| {
            let reason = crate::redact::ParseError::xml(line as usize, &e).reason;
            format!("invalid XML attribute at line {line}: {reason}")
        })?;
        // The error names the entity it could not expand, a part of the value (a password in
        // a NuGet.Config or a Maven settings file): not shown.
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|_| {
                format!(
                    "invalid XML attribute value at line {line}: an `&` escape (entity or \
                     character reference) does not parse"
                )
            })?;
        let key = attr.key.local_name();
        attrs.push((key.as_ref().to_owned(), value.into_owned()));
    }
    let index = nodes.len();
    if index >= MAX_ELEMENTS {
        return Err(format!(
            "more than {MAX_ELEMENTS} XML elements (at line {line}): not parsed"
        ));
    }
    nodes.push(Element {
        name: start.name().local_name().as_ref().to_owned(),
        attrs,
        text: String::new(),
        // The event starts after the whitespace that precedes the tag.
        line,
        children: Vec::new(),
    });
    if let Some(&parent) = stack.last() {
        nodes[parent].children.push(index);
    }
    Ok(index)
}

fn append(nodes: &mut [Element], stack: &[usize], text: &str) {
    if let Some(&open) = stack.last() {
        nodes[open].text.push_str(text);
    }
}

/// `&amp;` and friends, `&#38;` and `&#x26;`; `None` for any other entity.
fn expand(r: &BytesRef<'_>) -> Option<String> {
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten().map(String::from);
    }
    resolve_predefined_entity(&r.xml10_content()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_lines_text_and_attributes() {
        let text = "<?xml version=\"1.0\"?>\n<!-- c -->\n<project xmlns=\"x\">\n  <a k=\"v &amp; w\">one &lt; two</a>\n  <b><![CDATA[raw]]></b>\n  <a/>\n</project>\n";
        let tree = parse(text).unwrap();
        let root = tree.root();
        assert_eq!(root.name, "project");
        let a: Vec<_> = tree.children(root, "a").collect();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].text, "one < two");
        assert_eq!(a[0].attr("K"), Some("v & w"));
        assert_eq!(a[0].line, 4);
        assert_eq!(a[1].line, 6);
        assert_eq!(tree.child_text(root, "b"), Some("raw"));
        assert_eq!(tree.descendants(root).len(), 3);
    }

    #[test]
    fn rejects_bad_and_hostile_input() {
        assert!(parse("").unwrap_err().contains("no XML element"));
        assert!(parse("<a><b></a>").unwrap_err().contains("line 1"));
        assert!(
            parse("<a>&xxe;</a>")
                .unwrap_err()
                .contains("not predefined")
        );
        assert!(parse("<a/><b/>").is_err());
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().contains("deeper than"));
        assert!(parse("<a>").is_err());
        let wide = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS));
        assert!(parse(&wide).unwrap_err().contains("more than"));
    }
}
