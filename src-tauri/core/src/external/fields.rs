//! A few named fields of a JSON object, borrowed from its text: what reading a transcript
//! line needs instead of a whole `serde_json::Value` (no allocation per string or number,
//! the rest of the object only scanned).
//!
//! Lenient like `Value::get`: a field of another type than asked for reads as absent, and
//! of a repeated key the last one wins.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The fields `names` of the JSON object `json` (in that order), each as its JSON text;
/// None when `json` is not an object (or not JSON).
pub(crate) fn pick<'a, const N: usize>(json: &'a [u8], names: &[&str; N]) -> Option<[Option<&'a RawValue>; N]> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let fields = Pick(names).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(fields)
}

/// The text of a JSON string, unescaped (borrowed when it has no escapes).
pub(crate) fn str_of(raw: Option<&RawValue>) -> Option<Cow<'_, str>> {
    let raw = raw?.get();
    if !raw.starts_with('"') {
        return None;
    }
    serde_json::from_str::<Text>(raw).ok().map(|t| t.0)
}

/// A JSON number as u64 (None for a fraction, a negative or another type).
pub(crate) fn u64_of(raw: Option<&RawValue>) -> Option<u64> {
    serde_json::from_str(raw?.get()).ok()
}

/// A JSON number as f64.
pub(crate) fn f64_of(raw: Option<&RawValue>) -> Option<f64> {
    serde_json::from_str(raw?.get()).ok()
}

/// A JSON boolean.
pub(crate) fn bool_of(raw: Option<&RawValue>) -> Option<bool> {
    serde_json::from_str(raw?.get()).ok()
}

/// The elements of a JSON array, each as its JSON text.
pub(crate) fn array_of(raw: Option<&RawValue>) -> Option<Vec<&RawValue>> {
    let raw = raw?.get();
    if !raw.starts_with('[') {
        return None;
    }
    serde_json::from_str(raw).ok()
}

/// A string borrowed from the input when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

struct Pick<'n, const N: usize>(&'n [&'n str; N]);

impl<'de, const N: usize> DeserializeSeed<'de> for Pick<'_, N> {
    type Value = [Option<&'de RawValue>; N];
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Pick<'_, N> {
    type Value = [Option<&'de RawValue>; N];
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = [None; N];
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match self.0.iter().position(|n| *n == key.0) {
                Some(i) => out[i] = Some(map.next_value::<&RawValue>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_fields_leniently_like_value_get() {
        let [a, b, c, d] = pick(br#"{"a":"x\"y","b":[1,{"t":2}],"b":3,"z":{"a":1},"c":null}"#, &["a", "b", "c", "d"]).unwrap();
        assert_eq!(str_of(a).as_deref(), Some("x\"y"));
        assert_eq!(u64_of(b), Some(3), "the last of a repeated key wins");
        assert_eq!(c.map(RawValue::get), Some("null"));
        assert!(d.is_none());
        assert_eq!(str_of(b), None, "a number is not a string");
        assert!(pick(b"[1]", &["a"]).is_none());
        assert!(pick(br#"{"a":1} x"#, &["a"]).is_none());
        assert_eq!(array_of(pick(br#"{"a":[1, "2"]}"#, &["a"]).unwrap()[0]).unwrap().len(), 2);
        assert_eq!(f64_of(pick(br#"{"a":2}"#, &["a"]).unwrap()[0]), Some(2.0));
    }
}
