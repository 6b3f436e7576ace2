//! The orgs' names and codes as the searches read them (`name_key`,
//! `code_key`), kept with the resolver's tree in tour order: a search for
//! "contains" runs over one buffer in memory (`memchr::memmem`) instead of a
//! `LIKE '%q%'` over the whole `orgs` table, and a scope is a few ranges of
//! it. The same matches on both backends: every character of the needle is
//! itself (no wildcard, no escape character).
//!
//! Rebuilt with the tree: creating, renaming, moving, deleting an org and
//! changing its code bump the tree (`epoch::bump_tree`).

/// Every org's `name_key` and `code_key`, each followed by a NUL (which no
/// name, code or needle holds), in tour order.
#[derive(Debug, Default)]
pub struct TreeText {
    text: Vec<u8>,
    /// Where field `k` starts: `2 * pos` is the name of the org at tour
    /// position `pos`, `2 * pos + 1` its code; one more at the end.
    starts: Vec<u32>,
}

impl TreeText {
    /// From (name key, code key) in tour order.
    pub fn build<'a>(fields: impl Iterator<Item = (&'a str, &'a str)>) -> TreeText {
        let mut t = TreeText::default();
        for (name, code) in fields {
            for field in [name, code] {
                t.starts.push(t.text.len() as u32);
                t.text
                    .extend(field.bytes().map(|b| if b == 0 { b' ' } else { b }));
                t.text.push(0);
            }
        }
        t.starts.push(t.text.len() as u32);
        t
    }

    /// The name key of the org at tour position `pos`.
    pub fn name(&self, pos: u32) -> &str {
        let k = 2 * pos as usize;
        let (a, b) = (self.starts[k] as usize, self.starts[k + 1] as usize - 1);
        std::str::from_utf8(&self.text[a..b]).unwrap_or_default()
    }

    /// Appends to `out` the tour positions in `from..to` whose name or code
    /// contains `needle`, ascending, each once.
    pub fn matches(&self, needle: &str, from: u32, to: u32, out: &mut Vec<u32>) {
        if from >= to || needle.contains('\0') {
            return;
        }
        if needle.is_empty() {
            out.extend(from..to);
            return;
        }
        let (a, b) = (
            self.starts[2 * from as usize] as usize,
            self.starts[2 * to as usize] as usize,
        );
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        for at in finder.find_iter(&self.text[a..b]) {
            let field = self.starts.partition_point(|s| *s as usize <= a + at) - 1;
            let pos = (field / 2) as u32;
            if out.last() != Some(&pos) {
                out.push(pos);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_and_codes_once_and_never_across_fields() {
        let t = TreeText::build(
            [
                ("acme", "acm"),
                ("east", "e1"),
                ("acme east", "ae"),
                ("x", "y"),
            ]
            .into_iter(),
        );
        let mut out = Vec::new();
        t.matches("acm", 0, 4, &mut out);
        assert_eq!(out, vec![0, 2]);
        out.clear();
        t.matches("east", 1, 3, &mut out);
        assert_eq!(out, vec![1, 2]);
        out.clear();
        // "me" + NUL + "ac" never matches across a name and a code.
        t.matches("meac", 0, 4, &mut out);
        assert!(out.is_empty());
        t.matches("", 1, 3, &mut out);
        assert_eq!(out, vec![1, 2]);
        assert_eq!(t.name(2), "acme east");
        out.clear();
        t.matches("a\0c", 0, 4, &mut out);
        assert!(out.is_empty());
    }
}
