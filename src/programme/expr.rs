//! The arithmetic of an `expr` measure (`expr = "remitted - insured * 20"`): `+ - * /`,
//! parentheses, numbers and the names of other measures of the same level, parsed into a
//! small tree once; [`crate::measure`] turns the tree into one polars expression. A name is
//! any run of characters that are not spaces, operators or parentheses (参保人数, insured),
//! or any text in backticks or double quotes (`` `人均-保费` ``).

/// A parsed `expr`.
#[derive(Debug, Clone, PartialEq)]
pub enum Formula {
    Number(f64),
    Measure(String),
    Negate(Box<Formula>),
    Binary(Op, Box<Formula>, Box<Formula>),
}

/// One of the four operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Subtract,
    Multiply,
    Divide,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Op(char),
    Open,
    Close,
}

impl Formula {
    /// Parse `text`; the message says what is wrong, where (“第5个字符”).
    pub fn parse(text: &str) -> Result<Formula, String> {
        let tokens = tokens(text)?;
        if tokens.is_empty() {
            return Err("expr 是空的".into());
        }
        let mut p = Parser { tokens, at: 0 };
        let f = p.sum()?;
        match p.tokens.get(p.at) {
            None => Ok(f),
            Some((_, at)) => Err(format!("第{at}个字符处多出了内容（两个度量之间少了运算符？）")),
        }
    }

    /// The measures it reads, each once, in the order written.
    pub fn names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        self.walk(&mut |n| {
            if !out.contains(&n) {
                out.push(n)
            }
        });
        out
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a str)) {
        match self {
            Formula::Number(_) => {}
            Formula::Measure(n) => f(n),
            Formula::Negate(x) => x.walk(f),
            Formula::Binary(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
        }
    }
}

/// The tokens with the 1-based character position each starts at.
fn tokens(text: &str) -> Result<Vec<(Token, usize)>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let special = |c: char| c.is_whitespace() || "+-*/()`\"".contains(c);
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        match c {
            c if c.is_whitespace() => i += 1,
            '+' | '-' | '*' | '/' => {
                out.push((Token::Op(c), at));
                i += 1;
            }
            '(' => {
                out.push((Token::Open, at));
                i += 1;
            }
            ')' => {
                out.push((Token::Close, at));
                i += 1;
            }
            '`' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&d| d == c)
                    .ok_or_else(|| format!("第{at}个字符处的 {c} 没有配对的 {c}"))?;
                let name: String = chars[i + 1..i + 1 + end].iter().collect();
                if name.trim().is_empty() {
                    return Err(format!("第{at}个字符处的 {c}{c} 中没有度量名"));
                }
                out.push((Token::Name(name), at));
                i += end + 2;
            }
            c if c.is_ascii_digit() || c == '.' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                let n = s.parse::<f64>().map_err(|_| format!("第{at}个字符处的“{s}”不是数"))?;
                if i < chars.len() && !special(chars[i]) {
                    let rest: String = chars[i..].iter().take_while(|c| !special(**c)).collect();
                    return Err(format!(
                        "第{at}个字符处的“{s}{rest}”不是数，也不是度量名（以数字开头的度量名要用 ` ` 括起来）"
                    ));
                }
                out.push((Token::Number(n), at));
            }
            _ => {
                let start = i;
                while i < chars.len() && !special(chars[i]) {
                    i += 1;
                }
                out.push((Token::Name(chars[start..i].iter().collect()), at));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    /// Where the next token starts, for messages (past the end: “末尾”).
    fn here(&self) -> String {
        match self.tokens.get(self.at) {
            Some((_, at)) => format!("第{at}个字符处"),
            None => "末尾".into(),
        }
    }

    fn sum(&mut self) -> Result<Formula, String> {
        let mut left = self.product()?;
        while let Some(Token::Op(c @ ('+' | '-'))) = self.peek() {
            let op = if *c == '+' { Op::Add } else { Op::Subtract };
            self.at += 1;
            left = Formula::Binary(op, Box::new(left), Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Formula, String> {
        let mut left = self.factor()?;
        while let Some(Token::Op(c @ ('*' | '/'))) = self.peek() {
            let op = if *c == '*' { Op::Multiply } else { Op::Divide };
            self.at += 1;
            left = Formula::Binary(op, Box::new(left), Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Formula, String> {
        let here = self.here();
        let Some(t) = self.peek().cloned() else {
            return Err("expr 在末尾少了一个数或度量".into());
        };
        self.at += 1;
        match t {
            Token::Number(n) => Ok(Formula::Number(n)),
            Token::Name(n) => Ok(Formula::Measure(n)),
            Token::Op('-') => Ok(Formula::Negate(Box::new(self.factor()?))),
            Token::Open => {
                let inner = self.sum()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(format!("{here}的括号没有配对的 )"));
                }
                self.at += 1;
                Ok(inner)
            }
            Token::Op(c) => Err(format!("{here}的 {c} 前面少了一个数或度量")),
            Token::Close => Err(format!("{here}的 ) 没有配对的 (，或括号中是空的")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(n: &str) -> Box<Formula> {
        Box::new(Formula::Measure(n.into()))
    }

    #[test]
    fn precedence_parentheses_quotes_and_chinese_names() {
        assert_eq!(
            Formula::parse("remitted - insured * 20").unwrap(),
            Formula::Binary(
                Op::Subtract,
                m("remitted"),
                Box::new(Formula::Binary(Op::Multiply, m("insured"), Box::new(Formula::Number(20.0))))
            )
        );
        assert_eq!(
            Formula::parse("(归集保费-`人均-标准`)/参保人数").unwrap(),
            Formula::Binary(
                Op::Divide,
                Box::new(Formula::Binary(Op::Subtract, m("归集保费"), m("人均-标准"))),
                m("参保人数")
            )
        );
        assert_eq!(Formula::parse("-a").unwrap(), Formula::Negate(m("a")));
        assert_eq!(Formula::parse("\"a b\" + a + 1.5").unwrap().names(), vec!["a b", "a"]);
    }

    #[test]
    fn mistakes_say_where() {
        assert_eq!(Formula::parse("a b").unwrap_err(), "第3个字符处多出了内容（两个度量之间少了运算符？）");
        assert_eq!(Formula::parse("a * (b - 1").unwrap_err(), "第5个字符处的括号没有配对的 )");
        assert_eq!(Formula::parse("a -").unwrap_err(), "expr 在末尾少了一个数或度量");
        assert_eq!(Formula::parse("* a").unwrap_err(), "第1个字符处的 * 前面少了一个数或度量");
        assert_eq!(
            Formula::parse("20元 * a").unwrap_err(),
            "第1个字符处的“20元”不是数，也不是度量名（以数字开头的度量名要用 ` ` 括起来）"
        );
        assert_eq!(Formula::parse(" ").unwrap_err(), "expr 是空的");
    }
}
