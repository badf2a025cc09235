//! Kubernetes resource quantities (`cpu: 250m`, `memory: 1Gi`), read and
//! written as apimachinery's `resource.Quantity` does
//! (`k8s.io/apimachinery/pkg/api/resource/quantity.go`: `ParseQuantity`,
//! `CanonicalizeBytes`). The API server stores every quantity in canonical
//! form (`cpu: 1` comes back `"1"`, `memory: 1024Mi` comes back `"1Gi"`,
//! `cpu: 0.25` comes back `"250m"`), so a check copied from a slide's YAML
//! compares quantities by value, never by text. k8s-openapi's `Quantity` is
//! only the string; this is the one parser labdeck has.

use std::cmp::Ordering;

/// A quantity's exact value: `mantissa * 10^exp`.
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    mantissa: i128,
    exp: i32,
    format: Format,
}

/// How a quantity was written, which decides its canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `Ki`, `Mi`... (powers of 1024).
    BinarySI,
    /// `n`, `u`, `m`, none, `k`, `M`, `G`... (powers of 1000).
    DecimalSI,
    /// `1e3`, `2E-3`.
    DecimalExponent,
}

/// Longest number accepted (quantity.go caps the digits it keeps exactly;
/// beyond this a value is not one a check or a cluster writes).
const MAX_DIGITS: usize = 30;

/// A text that is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a quantity (e.g. 250m, 1.5, 512Mi, 2Gi, 1e3)")]
pub struct QuantityError {
    pub text: String,
}

impl Quantity {
    /// Parses `text` as `ParseQuantity` does: `<sign><digits>[.<digits>]<suffix>`.
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        let bad = || QuantityError {
            text: text.to_owned(),
        };
        let t = text.trim();
        let (negative, rest) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_end);
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && frac.is_empty()) || frac.contains('.') {
            return Err(bad());
        }
        let digits = format!("{whole}{frac}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > MAX_DIGITS {
            return Err(bad());
        }
        let mut mantissa: i128 = 0;
        for d in digits.bytes() {
            mantissa = mantissa * 10 + i128::from(d - b'0');
        }
        let frac_len = i32::try_from(frac.len()).map_err(|_| bad())?;
        let mut exp = -frac_len;
        let (format, binary_pow) = match suffix {
            "Ki" => (Format::BinarySI, 1),
            "Mi" => (Format::BinarySI, 2),
            "Gi" => (Format::BinarySI, 3),
            "Ti" => (Format::BinarySI, 4),
            "Pi" => (Format::BinarySI, 5),
            "Ei" => (Format::BinarySI, 6),
            _ => {
                let (format, e) = match suffix {
                    "n" => (Format::DecimalSI, -9),
                    "u" => (Format::DecimalSI, -6),
                    "m" => (Format::DecimalSI, -3),
                    "" => (Format::DecimalSI, 0),
                    "k" => (Format::DecimalSI, 3),
                    "M" => (Format::DecimalSI, 6),
                    "G" => (Format::DecimalSI, 9),
                    "T" => (Format::DecimalSI, 12),
                    "P" => (Format::DecimalSI, 15),
                    "E" => (Format::DecimalSI, 18),
                    s if s.starts_with(['e', 'E']) => {
                        let n: i32 = s[1..].parse().map_err(|_| bad())?;
                        if !(-100..=100).contains(&n) {
                            return Err(bad());
                        }
                        (Format::DecimalExponent, n)
                    }
                    _ => return Err(bad()),
                };
                exp += e;
                (format, 0)
            }
        };
        for _ in 0..binary_pow {
            mantissa = mantissa.checked_mul(1024).ok_or_else(bad)?;
        }
        if negative {
            mantissa = -mantissa;
        }
        Ok(Quantity {
            mantissa,
            exp,
            format,
        }
        .normalized())
    }

    /// Trailing zeros moved into the exponent (one value, one form).
    fn normalized(mut self) -> Quantity {
        if self.mantissa == 0 {
            self.exp = 0;
            return self;
        }
        while self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.exp += 1;
        }
        self
    }

    /// Compares two values exactly (falling back to floating point only
    /// for exponents too far apart to align, where they differ anyway).
    pub fn cmp_value(&self, other: &Quantity) -> Ordering {
        let (a, b) = (self, other);
        let aligned = if a.exp >= b.exp {
            pow10(a.exp - b.exp)
                .and_then(|p| a.mantissa.checked_mul(p))
                .map(|x| (x, b.mantissa))
        } else {
            pow10(b.exp - a.exp)
                .and_then(|p| b.mantissa.checked_mul(p))
                .map(|y| (a.mantissa, y))
        };
        match aligned {
            Some((x, y)) => x.cmp(&y),
            None => {
                let f = |q: &Quantity| q.mantissa as f64 * 10f64.powi(q.exp);
                f(a).partial_cmp(&f(b)).unwrap_or(Ordering::Equal)
            }
        }
    }

    /// The canonical text kube-apiserver stores (`Quantity.String`,
    /// `CanonicalizeBytes`): `1Gi`, `1536Mi`, `250m`, `2k`, `1`. Values
    /// finer than a nano round up, as quantity.go does.
    pub fn canonical(&self) -> String {
        if self.mantissa == 0 {
            return "0".into();
        }
        if self.format == Format::BinarySI
            && let Some(int) = self.integer()
            && (int.abs() >= 1024 || self.exp >= 0)
        {
            let mut n = int;
            let mut suffix = 0usize;
            while n % 1024 == 0 && suffix < 6 && n != 0 {
                n /= 1024;
                suffix += 1;
            }
            let names = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
            if suffix > 0 || int.abs() < 1024 {
                return format!("{n}{}", names[suffix]);
            }
            // Not a multiple of 1024: decimal form, as quantity.go does.
        }
        // Decimal: the mantissa with an exponent that is a multiple of 3,
        // at least -9 (nano), the mantissa as short as possible.
        let (mut m, mut e) = (self.mantissa, self.exp);
        if e < -9 {
            // Round up (away from zero for positives, as `RoundUp(Nano)`).
            let shift = -9 - e;
            let p = pow10(shift).unwrap_or(i128::MAX);
            let q = m / p;
            m = if m % p != 0 && m > 0 { q + 1 } else { q };
            e = -9;
        }
        let r = e.rem_euclid(3);
        for _ in 0..r {
            m = m.saturating_mul(10);
        }
        e -= r;
        while e < 18 && m % 1000 == 0 && m != 0 {
            m /= 1000;
            e += 3;
        }
        if self.format == Format::DecimalExponent {
            return if e == 0 {
                format!("{m}")
            } else {
                format!("{m}e{e}")
            };
        }
        let suffix = match e {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            0 => "",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            18 => "E",
            _ => return format!("{m}e{e}"),
        };
        format!("{m}{suffix}")
    }

    /// The value as an integer, when it is one.
    fn integer(&self) -> Option<i128> {
        if self.exp >= 0 {
            pow10(self.exp).and_then(|p| self.mantissa.checked_mul(p))
        } else {
            None
        }
    }
}

fn pow10(n: i32) -> Option<i128> {
    let n = u32::try_from(n).ok()?;
    10i128.checked_pow(n)
}

/// A check's literal or a server's value (a JSON string or number) read
/// as a quantity.
pub fn of_json(v: &serde_json::Value) -> Option<Quantity> {
    match v {
        serde_json::Value::String(s) => Quantity::parse(s).ok(),
        serde_json::Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
        _ => None,
    }
}

/// The map keys under which kube-apiserver keeps quantities
/// (`core/v1` `ResourceList`): a container's `requests`/`limits`, a pod's
/// `overhead`, a node's `capacity`/`allocatable`, a claim's or volume's
/// `capacity`, a quota's `hard`/`used`, a limit range's
/// `max`/`min`/`default`/`defaultRequest`/`maxLimitRequestRatio`; and the
/// single quantities `sizeLimit` (emptyDir) and `storage`.
const QUANTITY_MAPS: &[&str] = &[
    "requests",
    "limits",
    "overhead",
    "capacity",
    "allocatable",
    "hard",
    "used",
    "max",
    "min",
    "default",
    "defaultRequest",
    "maxLimitRequestRatio",
];

/// Whether the field `key`, inside a map under `parent`, holds a quantity.
pub fn is_quantity_field(parent: Option<&str>, key: Option<&str>) -> bool {
    parent.is_some_and(|p| QUANTITY_MAPS.contains(&p)) || key == Some("sizeLimit")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Quantity::parse(s).unwrap().canonical()
    }

    #[test]
    fn canonical_forms_are_the_api_servers() {
        // As kube-apiserver returns them (quantity_test.go's table).
        for (written, stored) in [
            ("1", "1"),
            ("1024Mi", "1Gi"),
            ("0.25", "250m"),
            ("1000m", "1"),
            ("2000", "2k"),
            ("1.5Gi", "1536Mi"),
            ("1.5", "1500m"),
            ("0.1", "100m"),
            ("100Mi", "100Mi"),
            ("512Ki", "512Ki"),
            ("1Ki", "1Ki"),
            ("1e3", "1e3"),
            ("0", "0"),
            ("0.0001", "100u"),
            ("1n", "1n"),
            ("0.1n", "1n"),
            ("500M", "500M"),
            ("-250m", "-250m"),
        ] {
            assert_eq!(canon(written), stored, "{written}");
        }
    }

    #[test]
    fn values_compare_exactly() {
        let q = |s: &str| Quantity::parse(s).unwrap();
        assert_eq!(q("1Gi").cmp_value(&q("1024Mi")), Ordering::Equal);
        assert_eq!(q("0.25").cmp_value(&q("250m")), Ordering::Equal);
        assert_eq!(q("0.1").cmp_value(&q("100m")), Ordering::Equal);
        assert_eq!(q("1").cmp_value(&q("1000m")), Ordering::Equal);
        assert_eq!(q("500m").cmp_value(&q("1")), Ordering::Less);
        assert_eq!(q("1G").cmp_value(&q("1Gi")), Ordering::Less);
        assert_eq!(q("1E").cmp_value(&q("1n")), Ordering::Greater);
    }

    #[test]
    fn bad_quantities_are_refused() {
        for bad in [
            "",
            "m",
            "1.2.3",
            "1 core",
            "1KB",
            "abc",
            "1e",
            "1e999",
            "0x10",
            "--1",
            "1234567890123456789012345678901234567890",
        ] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantity_fields() {
        assert!(is_quantity_field(Some("requests"), Some("cpu")));
        assert!(is_quantity_field(Some("capacity"), Some("storage")));
        assert!(is_quantity_field(Some("emptyDir"), Some("sizeLimit")));
        assert!(!is_quantity_field(Some("labels"), Some("cpu")));
        assert!(!is_quantity_field(Some("spec"), Some("replicas")));
    }
}
