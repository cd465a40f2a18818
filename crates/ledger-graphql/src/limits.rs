//! Limits a document must keep before anything else looks at it, checked right after parsing
//! (linear in the document's size): its selection expanded, with every fragment spread
//! replaced by the fragment it names, at most [`MAX_EXPANDED_FIELDS`] fields, so fragments
//! that each spread the next one twice cannot make validation or execution exponential; and
//! at most [`MAX_ALIASES`] aliased fields, so one document cannot ask the same expensive
//! question many times over under different names. Depth and complexity are set on the
//! schema and checked next, on a document now known to be small.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{ServerError, ServerResult};

/// Most aliased fields a document may hold.
pub const MAX_ALIASES: usize = 30;
/// Most fields a document's operations hold with every fragment spread expanded. Every
/// question of the cookbook holds at most 100 (tested).
pub const MAX_EXPANDED_FIELDS: u64 = 2_000;

/// Refuses documents over [`MAX_EXPANDED_FIELDS`] or [`MAX_ALIASES`].
pub struct DocumentLimits;

impl ExtensionFactory for DocumentLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentLimits)
    }
}

/// Why a document was refused before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Expanded, it holds more fields than allowed (the count saturates past the limit).
    TooLarge(u64),
    /// A fragment spreads itself, directly or through others.
    Cycle(String),
    /// A spread names a fragment the document does not define.
    UnknownFragment(String),
}

/// Sizes of fragments, each computed once: the expanded size costs one visit per selection.
struct Expansion<'a> {
    document: &'a ExecutableDocument,
    sizes: HashMap<&'a str, u64>,
    visiting: Vec<&'a str>,
}

impl<'a> Expansion<'a> {
    fn selection(&mut self, set: &'a SelectionSet) -> Result<u64, Refusal> {
        let mut total: u64 = 0;
        for item in &set.items {
            let size = match &item.node {
                Selection::Field(field) => {
                    1u64.saturating_add(self.selection(&field.node.selection_set.node)?)
                }
                Selection::InlineFragment(fragment) => {
                    self.selection(&fragment.node.selection_set.node)?
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())?
                }
            };
            total = total.saturating_add(size);
            if total > MAX_EXPANDED_FIELDS {
                return Err(Refusal::TooLarge(total));
            }
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a str) -> Result<u64, Refusal> {
        if let Some(size) = self.sizes.get(name) {
            return Ok(*size);
        }
        if self.visiting.contains(&name) {
            return Err(Refusal::Cycle(name.to_owned()));
        }
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            return Err(Refusal::UnknownFragment(name.to_owned()));
        };
        self.visiting.push(name);
        let size = self.selection(&fragment.node.selection_set.node);
        self.visiting.pop();
        let size = size?;
        self.sizes.insert(key.as_str(), size);
        Ok(size)
    }
}

/// The fields a document's operations hold with fragments expanded, at most
/// [`MAX_EXPANDED_FIELDS`]; fragments no operation spreads count once (validation visits them).
///
/// # Errors
/// [`Refusal`] when over the limit, or a spread is circular or names no fragment.
pub fn expanded_fields(document: &ExecutableDocument) -> Result<u64, Refusal> {
    let mut expansion = Expansion {
        document,
        sizes: HashMap::new(),
        visiting: Vec::new(),
    };
    let mut total: u64 = 0;
    let operations: Vec<&SelectionSet> = match &document.operations {
        DocumentOperations::Single(op) => vec![&op.node.selection_set.node],
        DocumentOperations::Multiple(ops) => {
            ops.values().map(|op| &op.node.selection_set.node).collect()
        }
    };
    for set in operations {
        total = total.saturating_add(expansion.selection(set)?);
    }
    // Fragments no operation spreads are walked by validation too: count them once.
    for name in document.fragments.keys() {
        if !expansion.sizes.contains_key(name.as_str()) {
            total = total.saturating_add(expansion.fragment(name.as_str())?);
        }
    }
    if total > MAX_EXPANDED_FIELDS {
        return Err(Refusal::TooLarge(total));
    }
    Ok(total)
}

fn aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some()) + aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Aliases written in a document: its operations' and its fragments' (each once).
#[must_use]
pub fn count_aliases(document: &ExecutableDocument) -> usize {
    let operations: usize = match &document.operations {
        DocumentOperations::Single(op) => aliases(&op.node.selection_set.node),
        DocumentOperations::Multiple(ops) => ops
            .values()
            .map(|op| aliases(&op.node.selection_set.node))
            .sum(),
    };
    operations
        + document
            .fragments
            .values()
            .map(|f| aliases(&f.node.selection_set.node))
            .sum::<usize>()
}

/// The refusal of a document, before anything else walks it.
fn check(document: &ExecutableDocument) -> ServerResult<()> {
    match expanded_fields(document) {
        Ok(_) => {}
        Err(Refusal::TooLarge(_)) => {
            return Err(ServerError::new(
                format!(
                    "the query is too large: with its fragments expanded it holds more than {MAX_EXPANDED_FIELDS} fields"
                ),
                None,
            ));
        }
        Err(Refusal::Cycle(name)) => {
            return Err(ServerError::new(
                format!("fragment {name} spreads itself"),
                None,
            ));
        }
        Err(Refusal::UnknownFragment(name)) => {
            return Err(ServerError::new(
                format!("Unknown fragment \"{name}\""),
                None,
            ));
        }
    }
    let n = count_aliases(document);
    if n > MAX_ALIASES {
        return Err(ServerError::new(
            format!("the query has {n} aliases; at most {MAX_ALIASES} are allowed"),
            None,
        ));
    }
    Ok(())
}

#[async_graphql::async_trait::async_trait]
impl Extension for DocumentLimits {
    /// Parses the document here, checks it, and hands it on parsed: the engine's own first
    /// walk (its recursion-depth check follows every fragment spread without memory, so it
    /// is exponential in a document of doubling fragments) then meets only small documents.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: async_graphql::Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        check(request.parsed_query()?)?;
        next.run(ctx, request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Fragments each spreading the next twice: 2^levels fields expanded, from a document
    /// whose size grows by one line a level.
    fn doubling(levels: usize) -> String {
        let mut text = String::from("query { ...F0 }\n");
        for i in 0..levels {
            text.push_str(&format!(
                "fragment F{i} on QueryRoot {{ ...F{} ...F{} }}\n",
                i + 1,
                i + 1
            ));
        }
        text.push_str(&format!(
            "fragment F{levels} on QueryRoot {{ checkpoint {{ head }} }}\n"
        ));
        text
    }

    #[test]
    fn expanded_size_counts_every_spread_and_is_computed_once_per_fragment() {
        assert_eq!(
            expanded_fields(&doc(
                "{ a { b c } ...F } fragment F on Q { d ...G ...G } fragment G on Q { e { f } }"
            )),
            // a b c (3) + F = d (1) + G twice (2 × 2) = 5.
            Ok(3 + 5)
        );
        // 11 levels: 2^11 × 2 fields, over the limit; 9 levels (1,024 × 2 = 2,048 plus the
        // fragments) likewise; 8 levels pass.
        assert!(matches!(
            expanded_fields(&doc(&doubling(11))),
            Err(Refusal::TooLarge(_))
        ));
        assert!(expanded_fields(&doc(&doubling(8))).is_ok());
        // 60 levels would be 2^61 fields: refused, without overflow (each fragment is sized
        // once, so this is 61 visits, not 2^61).
        assert!(matches!(
            expanded_fields(&doc(&doubling(60))),
            Err(Refusal::TooLarge(_))
        ));
        assert_eq!(
            expanded_fields(&doc(
                "{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }"
            )),
            Err(Refusal::Cycle("A".into()))
        );
        assert_eq!(
            expanded_fields(&doc("{ ...Nope }")),
            Err(Refusal::UnknownFragment("Nope".into()))
        );
    }

    #[test]
    fn the_cookbook_fits_well_inside_the_limit() {
        for question in crate::cookbook() {
            let size = expanded_fields(&doc(&question.query)).unwrap_or_else(|e| panic!("{e:?}"));
            assert!(size <= 100, "{}: {size} fields", question.title);
        }
    }

    #[test]
    fn aliases_are_counted_in_operations_fragments_and_inline_fragments() {
        let doc = async_graphql::parser::parse_query(
            "query A { a: units { b: position } ... on Query { c: tasks { position } } ...F }
             query B { d: checkpoint { lag } }
             fragment F on Query { e: plans { position } plans { position } }",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(count_aliases(&doc), 5);
    }
}
