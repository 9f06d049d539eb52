//! The UI text catalogue: every string a person reads comes from
//! `locales/<lang>/*.toml`, never from code. Chinese (zh-CN) first, English second.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The one catalogue, parsed on first use.
pub static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::load);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The files of each language, compiled in.
const ZH: &[&str] = &[
    include_str!("../locales/zh-CN/ui.toml"),
    include_str!("../locales/zh-CN/domain.toml"),
    include_str!("../locales/zh-CN/orders.toml"),
    include_str!("../locales/zh-CN/config.toml"),
    include_str!("../locales/zh-CN/mail.toml"),
    include_str!("../locales/zh-CN/ca.toml"),
    include_str!("../locales/zh-CN/certificates.toml"),
    include_str!("../locales/zh-CN/interconnect.toml"),
    include_str!("../locales/zh-CN/finance.toml"),
    include_str!("../locales/zh-CN/invoices.toml"),
    include_str!("../locales/zh-CN/keys.toml"),
];
const EN: &[&str] = &[
    include_str!("../locales/en/ui.toml"),
    include_str!("../locales/en/domain.toml"),
    include_str!("../locales/en/orders.toml"),
    include_str!("../locales/en/config.toml"),
    include_str!("../locales/en/mail.toml"),
    include_str!("../locales/en/ca.toml"),
    include_str!("../locales/en/certificates.toml"),
    include_str!("../locales/en/interconnect.toml"),
    include_str!("../locales/en/finance.toml"),
    include_str!("../locales/en/invoices.toml"),
    include_str!("../locales/en/keys.toml"),
];

pub struct Catalog {
    zh: HashMap<String, String>,
    en: HashMap<String, String>,
}

fn parse(files: &[&str]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for file in files {
        // The catalogue is compiled in and checked by tests; a broken file is a build defect.
        let table: HashMap<String, String> = match toml::from_str(file) {
            Ok(t) => t,
            Err(e) => panic!("locale file does not parse: {e}"),
        };
        map.extend(table);
    }
    map
}

impl Catalog {
    pub fn load() -> Catalog {
        Catalog {
            zh: parse(ZH),
            en: parse(EN),
        }
    }

    pub fn tr(&self, lang: Lang) -> Tr<'_> {
        Tr {
            lang,
            map: match lang {
                Lang::Zh => &self.zh,
                Lang::En => &self.en,
            },
        }
    }

    pub fn keys(&self, lang: Lang) -> Vec<&str> {
        let mut keys: Vec<&str> = self.tr(lang).map.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }
}

/// The catalogue in one language, handed to templates as `t`.
#[derive(Clone, Copy)]
pub struct Tr<'a> {
    pub lang: Lang,
    map: &'a HashMap<String, String>,
}

impl<'a> Tr<'a> {
    /// The text for `key`; the key itself when missing (tests keep that from happening).
    pub fn get<'k>(&self, key: &'k str) -> &'k str
    where
        'a: 'k,
    {
        self.map.get(key).map_or(key, String::as_str)
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let c = Catalog::load();
        assert_eq!(c.keys(Lang::Zh), c.keys(Lang::En));
        assert!(c.keys(Lang::Zh).len() > 50);
    }
}
