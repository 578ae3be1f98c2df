//! Reading request parameters the way Stripe does: flat form pairs whose
//! bracketed keys (`line_items[0][price_data][currency]`, `types[]`,
//! `metadata[reader_id]`) build nested objects and arrays, with every leaf
//! a string that the endpoint then reads as a number or boolean.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::account::ApiError;

#[derive(Debug)]
enum Node {
    Leaf(String),
    Branch(Vec<(String, Node)>),
}

/// Decodes a form body or query string into a JSON object of strings.
pub(crate) fn decode(raw: &[u8]) -> Result<Value, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(raw).map_err(|e| ApiError::invalid(None, format!("Invalid form encoding: {e}")))?;
    let mut root: Vec<(String, Node)> = Vec::new();
    for (key, value) in pairs {
        let segments = split_key(&key)?;
        insert(&mut root, &segments, value, &key)?;
    }
    Ok(to_value(Node::Branch(root)))
}

/// `a[b][0][]` → `["a", "b", "0", ""]`.
fn split_key(key: &str) -> Result<Vec<&str>, ApiError> {
    let bad = || ApiError::invalid(Some(key), format!("Invalid parameter name: {key}"));
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return Err(bad());
    }
    let mut segments = vec![head];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[').ok_or_else(bad)?;
        let close = inner.find(']').ok_or_else(bad)?;
        segments.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    Ok(segments)
}

fn insert(branch: &mut Vec<(String, Node)>, segments: &[&str], value: String, key: &str) -> Result<(), ApiError> {
    let conflict = || ApiError::invalid(Some(key), format!("Invalid parameter {key}: it is used both as a value and as a hash"));
    let Some((first, rest)) = segments.split_first() else { return Ok(()) };
    // `[]` appends; give each appended entry its own position.
    let name = if first.is_empty() { format!("\0{}", branch.len()) } else { (*first).to_owned() };
    if rest.is_empty() {
        match branch.iter_mut().find(|(k, _)| *k == name) {
            Some((_, Node::Branch(_))) => return Err(conflict()),
            // Repeated keys: the last one wins, as in Stripe.
            Some((_, leaf)) => *leaf = Node::Leaf(value),
            None => branch.push((name, Node::Leaf(value))),
        }
        return Ok(());
    }
    let index = match branch.iter().position(|(k, _)| *k == name) {
        Some(i) => i,
        None => {
            branch.push((name, Node::Branch(Vec::new())));
            branch.len() - 1
        }
    };
    match &mut branch[index].1 {
        Node::Branch(children) => insert(children, rest, value, key),
        Node::Leaf(_) => Err(conflict()),
    }
}

fn to_value(node: Node) -> Value {
    match node {
        Node::Leaf(s) => Value::String(s),
        Node::Branch(children) => {
            let appended = !children.is_empty() && children.iter().all(|(k, _)| k.starts_with('\0'));
            let indexed = !children.is_empty() && children.iter().all(|(k, _)| k.parse::<usize>().is_ok());
            if appended || indexed {
                let mut items: Vec<(usize, Node)> = children
                    .into_iter()
                    .map(|(k, v)| (k.trim_start_matches('\0').parse::<usize>().unwrap_or(usize::MAX), v))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                Value::Array(items.into_iter().map(|(_, v)| to_value(v)).collect())
            } else {
                Value::Object(children.into_iter().map(|(k, v)| (k, to_value(v))).collect::<Map<_, _>>())
            }
        }
    }
}

/// Typed reads of decoded parameters, with Stripe's error messages.
#[derive(Debug, Clone)]
pub(crate) struct Params(Value);

impl Params {
    pub(crate) fn new(value: Value) -> Self {
        Params(value)
    }

    /// `"line_items.0.price"` → the value at that path.
    pub(crate) fn get(&self, path: &str) -> Option<&Value> {
        path.split('.').try_fold(&self.0, |v, seg| match v {
            Value::Object(m) => m.get(seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        })
    }

    pub(crate) fn str(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(Value::as_str)
    }

    /// A non-empty string.
    pub(crate) fn text(&self, path: &str) -> Option<String> {
        self.str(path).filter(|s| !s.is_empty()).map(str::to_owned)
    }

    pub(crate) fn required(&self, path: &str) -> Result<String, ApiError> {
        self.text(path).ok_or_else(|| ApiError::missing_param(&bracketed(path)))
    }

    pub(crate) fn int(&self, path: &str) -> Result<Option<i64>, ApiError> {
        match self.str(path) {
            None | Some("") => Ok(None),
            Some(s) => s
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::invalid(Some(&bracketed(path)), format!("Invalid integer: {s}"))),
        }
    }

    pub(crate) fn bool(&self, path: &str) -> Result<Option<bool>, ApiError> {
        match self.str(path) {
            None | Some("") => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(s) => Err(ApiError::invalid(Some(&bracketed(path)), format!("Invalid boolean: {s}"))),
        }
    }

    /// Strings given as `key[]=a&key[]=b`, `key[0]=a`, or once as `key=a`.
    pub(crate) fn strings(&self, path: &str) -> Vec<String> {
        match self.get(path) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// How many entries an array parameter (`items[0]`, `items[1]`) has.
    pub(crate) fn len(&self, path: &str) -> usize {
        match self.get(path) {
            Some(Value::Array(items)) => items.len(),
            _ => 0,
        }
    }

    /// Metadata as an update to what is stored: keys with an empty value
    /// are deleted, and `metadata=` alone clears everything.
    pub(crate) fn metadata(&self, path: &str) -> Result<MetadataUpdate, ApiError> {
        match self.get(path) {
            None => Ok(MetadataUpdate::Keep),
            Some(Value::String(s)) if s.is_empty() => Ok(MetadataUpdate::Clear),
            Some(Value::Object(m)) => {
                let mut out = BTreeMap::new();
                for (k, v) in m {
                    let Some(v) = v.as_str() else {
                        return Err(ApiError::invalid(Some(&format!("{path}[{k}]")), "Metadata values must be strings".to_owned()));
                    };
                    out.insert(k.clone(), v.to_owned());
                }
                Ok(MetadataUpdate::Merge(out))
            }
            Some(_) => Err(ApiError::invalid(Some(path), "Invalid hash".to_owned())),
        }
    }
}

/// A metadata parameter as an update to stored metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MetadataUpdate {
    Keep,
    Clear,
    Merge(BTreeMap<String, String>),
}

impl MetadataUpdate {
    pub(crate) fn apply(self, to: &mut BTreeMap<String, String>) {
        match self {
            MetadataUpdate::Keep => {}
            MetadataUpdate::Clear => to.clear(),
            MetadataUpdate::Merge(m) => {
                for (k, v) in m {
                    if v.is_empty() {
                        to.remove(&k);
                    } else {
                        to.insert(k, v);
                    }
                }
            }
        }
    }
}

/// `a.0.b` → `a[0][b]`, for error messages in Stripe's spelling.
pub(crate) fn bracketed(path: &str) -> String {
    let mut parts = path.split('.');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for p in parts {
        out.push('[');
        out.push_str(p);
        out.push(']');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brackets_build_objects_and_arrays() {
        let raw = "mode=subscription&line_items%5B0%5D%5Bprice%5D=price_1&line_items[0][quantity]=1\
                   &line_items[1][price_data][product_data][name]=Gift&subscription_data[trial_period_days]=30\
                   &metadata[reader_id]=42&types[]=invoice.paid&types[]=charge.refunded&expand[]=data.payments";
        let v = decode(raw.as_bytes()).expect("decodes");
        assert_eq!(
            v,
            json!({
                "mode": "subscription",
                "line_items": [{"price": "price_1", "quantity": "1"}, {"price_data": {"product_data": {"name": "Gift"}}}],
                "subscription_data": {"trial_period_days": "30"},
                "metadata": {"reader_id": "42"},
                "types": ["invoice.paid", "charge.refunded"],
                "expand": ["data.payments"]
            })
        );
        let p = Params::new(v);
        assert_eq!(p.str("line_items.0.price"), Some("price_1"));
        assert_eq!(p.int("subscription_data.trial_period_days").expect("int"), Some(30));
        assert_eq!(p.strings("types").len(), 2);
        assert_eq!(p.len("line_items"), 2);
    }

    #[test]
    fn indices_order_arrays_whatever_the_order_sent() {
        let v = decode(b"items[1][price]=b&items[0][price]=a").expect("decodes");
        assert_eq!(v, json!({"items": [{"price": "a"}, {"price": "b"}]}));
    }

    #[test]
    fn bad_names_and_conflicts_are_refused() {
        assert!(decode(b"a[b=1").is_err());
        assert!(decode(b"[a]=1").is_err());
        assert!(decode(b"a=1&a[b]=2").is_err());
        assert!(decode(b"a[b]=2&a=1").is_err());
    }

    #[test]
    fn metadata_updates_merge_delete_and_clear() {
        let mut stored = BTreeMap::from([("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())]);
        let p = Params::new(decode(b"metadata[a]=&metadata[c]=3").expect("decodes"));
        p.metadata("metadata").expect("metadata").apply(&mut stored);
        assert_eq!(stored, BTreeMap::from([("b".to_owned(), "2".to_owned()), ("c".to_owned(), "3".to_owned())]));
        let p = Params::new(decode(b"metadata=").expect("decodes"));
        p.metadata("metadata").expect("metadata").apply(&mut stored);
        assert!(stored.is_empty());
    }
}
