//! A line diff, for comparing two revisions of an article in the desk.
//! Longest common subsequence after trimming the common start and end;
//! bodies are short enough that the quadratic middle is cheap, and a huge
//! rewrite falls back to "all removed, all added" rather than stall.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineChange {
    Same,
    Removed,
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub change: LineChange,
    pub text: String,
}

/// Cells of the LCS table beyond which the middle is not aligned.
const MAX_CELLS: usize = 4_000_000;

/// The lines of `old` and `new`, each marked same, removed or added.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let line = |change, text: &str| DiffLine { change, text: text.to_string() };
    let mut out: Vec<DiffLine> = a[..prefix].iter().map(|t| line(LineChange::Same, t)).collect();
    if am.len().saturating_mul(bm.len()) > MAX_CELLS {
        out.extend(am.iter().map(|t| line(LineChange::Removed, t)));
        out.extend(bm.iter().map(|t| line(LineChange::Added, t)));
    } else {
        // lcs[i][j]: length of the LCS of am[i..] and bm[j..].
        let (n, m) = (am.len(), bm.len());
        let mut lcs = vec![0u32; (n + 1) * (m + 1)];
        let at = |i: usize, j: usize| i * (m + 1) + j;
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[at(i, j)] = if am[i] == bm[j] { lcs[at(i + 1, j + 1)] + 1 } else { lcs[at(i + 1, j)].max(lcs[at(i, j + 1)]) };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n && j < m {
            if am[i] == bm[j] {
                out.push(line(LineChange::Same, am[i]));
                i += 1;
                j += 1;
            } else if lcs[at(i + 1, j)] >= lcs[at(i, j + 1)] {
                out.push(line(LineChange::Removed, am[i]));
                i += 1;
            } else {
                out.push(line(LineChange::Added, bm[j]));
                j += 1;
            }
        }
        out.extend(am[i..].iter().map(|t| line(LineChange::Removed, t)));
        out.extend(bm[j..].iter().map(|t| line(LineChange::Added, t)));
    }
    out.extend(a[a.len() - suffix..].iter().map(|t| line(LineChange::Same, t)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use LineChange::*;

    fn marks(d: &[DiffLine]) -> String {
        d.iter()
            .map(|l| format!("{}{}", match l.change { Same => ' ', Removed => '-', Added => '+' }, l.text))
            .collect::<Vec<_>>()
            .join("|")
    }

    #[test]
    fn marks_what_changed() {
        assert_eq!(marks(&diff_lines("a\nb\nc", "a\nx\nc")), " a|-b|+x| c");
        assert_eq!(marks(&diff_lines("a\nb", "a\nb\nc")), " a| b|+c");
        assert_eq!(marks(&diff_lines("", "new")), "+new");
        assert_eq!(marks(&diff_lines("same\nlines", "same\nlines")), " same| lines");
        assert_eq!(marks(&diff_lines("a\nb\nc\nd", "b\nc\ne")), "-a| b| c|-d|+e");
    }

    #[test]
    fn both_sides_can_be_rebuilt_from_the_diff() {
        let old = "one\ntwo\nthree\nfour\nfive";
        let new = "zero\none\nthree\nfour and a half\nfive\nsix";
        let d = diff_lines(old, new);
        let side = |keep: LineChange| d.iter().filter(|l| l.change == Same || l.change == keep).map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
        assert_eq!(side(Removed), old);
        assert_eq!(side(Added), new);
    }
}
