//! Where YAML nodes are: a tree of positions (line and column of every key, item and scalar)
//! built from the events of `saphyr-parser`, which reports a span for each. The values
//! themselves are still read by `serde_norway`; a parser walks this tree beside them (same keys,
//! same indices) to locate what it extracts, in block and flow style alike.
//!
//! Bounded like the value parse: one node per event, so the tree is linear in the input
//! (which the callers bound, see [`super::MAX_FILE_BYTES`] and [`super::nesting`]). An alias is
//! a node pointing at its anchor's node, never a copy, so an alias bomb costs one node per
//! alias; walking through an alias lands on the anchored text, where the value is written.

use saphyr_parser::{Event, Parser};

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    /// The column, as the facts and locations carry it (`None` when unknown).
    pub fn column(self) -> Option<u32> {
        (self.line > 0 && self.column > 0).then_some(self.column)
    }
}

#[derive(Debug)]
enum Kind {
    Scalar,
    Seq(Vec<usize>),
    /// Entries in document order: the key's text (`None` for a non-scalar key), the key's
    /// position, the value's node.
    Map(Vec<(Option<String>, Pos, usize)>),
    /// The anchored node it refers to.
    Alias(usize),
}

#[derive(Debug)]
struct Node {
    pos: Pos,
    kind: Kind,
}

/// The positions of every document of a YAML stream.
#[derive(Debug, Default)]
pub struct Positions {
    nodes: Vec<Node>,
    docs: Vec<usize>,
}

/// A node of [`Positions`], reached from its parent: `pos` is where its entry starts (the key
/// of a mapping entry, the node itself for an item or a document).
#[derive(Clone, Copy)]
pub struct At<'a> {
    tree: &'a Positions,
    node: usize,
    pos: Pos,
}

fn pos_of(marker: saphyr_parser::Marker) -> Pos {
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    Pos {
        line: n(marker.line()),
        column: n(marker.col().saturating_add(1)),
    }
}

/// An open collection while events stream in.
enum Open {
    Seq(usize),
    /// The mapping and the key read, waiting for its value.
    Map(usize, Option<(Option<String>, Pos)>),
}

impl Positions {
    /// The positions of `text`, or `None` when the positional parser rejects it (the value
    /// parse reports the error; its facts then have no positions).
    pub fn parse(text: &str) -> Option<Positions> {
        let mut tree = Positions::default();
        let mut open: Vec<Open> = Vec::new();
        let mut anchors: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for event in Parser::new_from_str(text) {
            let (event, span) = event.ok()?;
            let pos = pos_of(span.start);
            let (done, anchor) = match event {
                Event::Scalar(value, _, anchor, _) => {
                    let id = tree.push(pos, Kind::Scalar);
                    // A scalar completing a mapping key keeps its text.
                    if let Some(Open::Map(_, key @ None)) = open.last_mut() {
                        *key = Some((Some(value.into_owned()), pos));
                        if anchor > 0 {
                            anchors.insert(anchor, id);
                        }
                        continue;
                    }
                    (Some(id), anchor)
                }
                Event::Alias(anchor) => {
                    let kind = match anchors.get(&anchor) {
                        Some(&target) => Kind::Alias(target),
                        None => Kind::Scalar,
                    };
                    (Some(tree.push(pos, kind)), 0)
                }
                Event::SequenceStart(anchor, _) => {
                    let id = tree.push(pos, Kind::Seq(Vec::new()));
                    if anchor > 0 {
                        anchors.insert(anchor, id);
                    }
                    open.push(Open::Seq(id));
                    (None, 0)
                }
                Event::MappingStart(anchor, _) => {
                    let id = tree.push(pos, Kind::Map(Vec::new()));
                    if anchor > 0 {
                        anchors.insert(anchor, id);
                    }
                    open.push(Open::Map(id, None));
                    (None, 0)
                }
                Event::SequenceEnd | Event::MappingEnd => match open.pop()? {
                    Open::Seq(id) | Open::Map(id, _) => (Some(id), 0),
                },
                Event::DocumentStart(_) => {
                    anchors.clear();
                    (None, 0)
                }
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                    (None, 0)
                }
            };
            let Some(id) = done else { continue };
            if anchor > 0 {
                anchors.insert(anchor, id);
            }
            tree.attach(&mut open, id);
        }
        Some(tree)
    }

    fn push(&mut self, pos: Pos, kind: Kind) -> usize {
        self.nodes.push(Node { pos, kind });
        self.nodes.len() - 1
    }

    /// Hangs a finished node on the open collection (as a key or a value), or makes it a
    /// document's root.
    fn attach(&mut self, open: &mut [Open], id: usize) {
        match open.last_mut() {
            None => self.docs.push(id),
            Some(Open::Seq(seq)) => {
                if let Kind::Seq(items) = &mut self.nodes[*seq].kind {
                    items.push(id);
                }
            }
            Some(Open::Map(map, key)) => match key.take() {
                // A collection as a key: located, but no text to look it up by.
                None => *key = Some((None, self.nodes[id].pos)),
                Some((text, pos)) => {
                    if let Kind::Map(entries) = &mut self.nodes[*map].kind {
                        entries.push((text, pos, id));
                    }
                }
            },
        }
    }

    /// The root of document `i` (0-based).
    pub fn doc(&self, i: usize) -> Option<At<'_>> {
        let &node = self.docs.get(i)?;
        Some(At {
            tree: self,
            node,
            pos: self.nodes[node].pos,
        })
    }

    #[cfg(test)]
    pub fn docs(&self) -> usize {
        self.docs.len()
    }
}

impl<'a> At<'a> {
    /// Where the entry starts: the key for a mapping entry, else the node.
    pub fn pos(self) -> Pos {
        self.pos
    }

    /// The node's own position (a value's first character, a flow collection's bracket).
    #[cfg(test)]
    pub fn value_pos(self) -> Pos {
        self.tree.nodes[self.target()].pos
    }

    /// The node, through an alias.
    fn target(self) -> usize {
        match self.tree.nodes[self.node].kind {
            Kind::Alias(target) => target,
            _ => self.node,
        }
    }

    fn entries(self) -> &'a [(Option<String>, Pos, usize)] {
        match &self.tree.nodes[self.target()].kind {
            Kind::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The value of `key` in a mapping, located at its key.
    pub fn get(self, key: &str) -> Option<At<'a>> {
        let &(_, pos, node) = self
            .entries()
            .iter()
            .find(|(k, _, _)| k.as_deref() == Some(key))?;
        Some(At {
            tree: self.tree,
            node,
            pos,
        })
    }

    /// The `i`th entry's value of a mapping (document order), located at its key.
    pub fn entry(self, i: usize) -> Option<At<'a>> {
        let &(_, pos, node) = self.entries().get(i)?;
        Some(At {
            tree: self.tree,
            node,
            pos,
        })
    }

    /// The `i`th item of a sequence.
    pub fn item(self, i: usize) -> Option<At<'a>> {
        let Kind::Seq(items) = &self.tree.nodes[self.target()].kind else {
            return None;
        };
        let &node = items.get(i)?;
        Some(At {
            tree: self.tree,
            node,
            pos: self.tree.nodes[node].pos,
        })
    }
}

/// Chains optional steps: `at(root, |a| a.get("jobs"))`.
pub trait Walk<'a> {
    fn get(self, key: &str) -> Option<At<'a>>;
    fn entry(self, i: usize) -> Option<At<'a>>;
    fn item(self, i: usize) -> Option<At<'a>>;
    /// The entry's position, default (line 0) when unknown.
    fn pos(self) -> Pos;
}

impl<'a> Walk<'a> for Option<At<'a>> {
    fn get(self, key: &str) -> Option<At<'a>> {
        self?.get(key)
    }
    fn entry(self, i: usize) -> Option<At<'a>> {
        self?.entry(i)
    }
    fn item(self, i: usize) -> Option<At<'a>> {
        self?.item(i)
    }
    fn pos(self) -> Pos {
        self.map(At::pos).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn block_and_flow_style_give_lines_and_columns() {
        let text =
            "jobs:\n  a:\n    steps:\n      - uses: x@1\n  b: {steps: [{uses: y@2}, {run: hi}]}\n";
        let tree = Positions::parse(text).unwrap();
        let root = tree.doc(0);
        let a = root.get("jobs").get("a").get("steps").item(0).get("uses");
        assert_eq!(a.pos(), at(4, 9));
        assert_eq!(a.unwrap().value_pos(), at(4, 15));
        let b = root.get("jobs").entry(1).get("steps");
        assert_eq!(b.item(0).get("uses").pos(), at(5, 16));
        assert_eq!(b.item(1).get("run").pos(), at(5, 29));
        assert_eq!(b.item(2).pos(), Pos::default());
        assert_eq!(root.get("nope").pos().column(), None);
    }

    #[test]
    fn documents_are_counted_and_aliases_land_on_the_anchor() {
        let text = "a: 1\n---\nbase: &img {image: x}\nuse: *img\nlist: [*img, *img]\n";
        let tree = Positions::parse(text).unwrap();
        assert_eq!(tree.docs(), 2);
        let doc = tree.doc(1);
        // The alias entry is located at its key; what is inside at the anchored text.
        assert_eq!(doc.get("use").pos(), at(4, 1));
        assert_eq!(doc.get("use").get("image").pos(), at(3, 13));
        assert_eq!(doc.get("list").item(1).get("image").pos(), at(3, 13));
    }

    #[test]
    fn an_alias_bomb_is_one_node_per_alias() {
        use std::fmt::Write as _;
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..40 {
            let p = i - 1;
            let refs = vec![format!("*a{p}"); 10].join(", ");
            let _ = writeln!(text, "a{i}: &a{i} [{refs}]");
        }
        let tree = Positions::parse(&text).unwrap();
        assert!(tree.nodes.len() < 1_000, "{}", tree.nodes.len());
        assert_eq!(tree.doc(0).get("a39").item(3).item(0).pos(), at(39, 12));
    }

    #[test]
    fn invalid_yaml_has_no_positions() {
        assert!(Positions::parse("a: [\n").is_none());
    }
}
