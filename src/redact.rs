//! What leaves kaohe is made safe at the boundary, whatever column it came from:
//! every resident ID is masked (an ID pasted into the village cell, a shifted row, a
//! headerless roster whose first row is data) and no CSV cell can run as a formula.
//!
//! Applied where text leaves the program: messages on stdout/stderr, every PDF payload,
//! every CSV and xlsx cell. Row checks also mask, but this is the guarantee.

use std::borrow::Cow;

/// Digits in a row from which a token is treated as an ID (15: the old 15-digit ID).
const ID_MIN_DIGITS: usize = 15;

fn digit(c: char) -> bool {
    c.is_ascii_digit() || ('\u{ff10}'..='\u{ff19}').contains(&c)
}

/// Mask every ID-shaped token — a run of 15 or more digits, or 17 digits and an X —
/// keeping the first six and last four characters: 610902********1234.
pub fn mask_ids(text: &str) -> Cow<'_, str> {
    // Fast path: fewer than 15 digits in all cannot hold an ID.
    if text.chars().filter(|c| digit(*c)).take(ID_MIN_DIGITS).count() < ID_MIN_DIGITS {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        if !digit(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && digit(chars[i]) {
            i += 1;
        }
        // 17 digits and a check character X.
        if i - start == 17 && i < chars.len() && matches!(chars[i], 'X' | 'x' | 'Ｘ' | 'ｘ') {
            i += 1;
        }
        let run = &chars[start..i];
        if run.len() >= ID_MIN_DIGITS {
            changed = true;
            out.extend(&run[..6]);
            out.extend(std::iter::repeat_n('*', run.len() - 10));
            out.extend(&run[run.len() - 4..]);
        } else {
            out.extend(run);
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// A text cell for CSV: IDs masked, and a leading = + - @ tab or CR neutralised with a
/// quote (OWASP's CSV-injection advice) so that Excel shows it instead of running it.
/// A plain number such as "-2.4" is left as it is: it cannot be a formula.
pub fn csv_text(text: &str) -> Cow<'_, str> {
    let masked = mask_ids(text);
    let risky = masked.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && masked.parse::<f64>().is_err() {
        return Cow::Owned(format!("'{masked}"));
    }
    masked
}

/// Mask IDs in every string of a JSON payload (the data a PDF is typeset from).
pub fn mask_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let Cow::Owned(m) = mask_ids(s) {
                *s = m;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        Value::Object(map) => map.values_mut().for_each(mask_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_masked_wherever_they_sit() {
        assert_eq!(mask_ids("东村610902198001011234"), "东村610902********1234");
        assert_eq!(mask_ids("11010519491231002X 重复"), "110105********002X 重复");
        assert_eq!(mask_ids("610902800101123"), "610902*****1123");
        assert_eq!(mask_ids("６１０９０２１９８００１０１１２３４"), "６１０９０２********１２３４");
        // Claim numbers and amounts are not IDs.
        assert_eq!(mask_ids("CPIC201203000001，4081346.4元"), "CPIC201203000001，4081346.4元");
    }

    #[test]
    fn formulas_cannot_run_from_a_csv() {
        assert_eq!(csv_text("=HYPERLINK(\"http://x\",\"点击\")"), "'=HYPERLINK(\"http://x\",\"点击\")");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("+86 123"), "'+86 123");
        assert_eq!(csv_text("-2.4"), "-2.4");
        assert_eq!(csv_text("老城办"), "老城办");
    }
}
