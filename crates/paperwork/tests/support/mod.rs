//! Reading a rendered document back, with tools independent of docx-rs: the zip crate to unpack it and
//! quick-xml to parse its parts.
#![allow(dead_code)]

use std::io::{Cursor, Read};

use paperwork::FormData;
use quick_xml::Reader;
use quick_xml::events::Event;

pub const ID_NUMBER: &str = "11010519491231002X";

pub fn organisation() -> FormData {
    FormData {
        organisation_name: "演示测试企业有限公司".into(),
        credit_code: "91210000MA0TEST00X".into(),
        organisation_address: "辽宁省沈阳市和平区南京北街1号".into(),
        legal_representative: "王法人".into(),
        handler_name: "李经办".into(),
        handler_id_number: ID_NUMBER.into(),
        handler_mobile: "13800138000".into(),
        handler_email: "li@example.com".into(),
        order_number: "CA202611210001".into(),
        kind_label: "补办".into(),
        certificate_type_label: "单位主锁".into(),
        quantity: 1,
        years: 2,
        certificate_serial: Some("JK2025000123".into()),
        replace_reason: Some("证书介质丢失\n已于2026年11月20日挂失".into()),
        date: "2026年11月21日".into(),
    }
}

pub fn individual() -> FormData {
    FormData {
        organisation_name: String::new(),
        credit_code: String::new(),
        organisation_address: String::new(),
        legal_representative: String::new(),
        handler_name: "赵个人".into(),
        kind_label: "新办".into(),
        certificate_type_label: "个人锁".into(),
        certificate_serial: None,
        replace_reason: None,
        ..organisation()
    }
}

/// The names of all parts in the package.
pub fn part_names(docx: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(Cursor::new(docx)).expect("a docx is a zip archive");
    archive.file_names().map(str::to_owned).collect()
}

/// One part of the package, as text.
pub fn part(docx: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(docx)).expect("a docx is a zip archive");
    let mut file = archive.by_name(name).expect("part present");
    let mut xml = String::new();
    file.read_to_string(&mut xml).expect("part is UTF-8");
    xml
}

pub fn document_xml(docx: &[u8]) -> String {
    part(docx, "word/document.xml")
}

/// The text of each paragraph (`w:p`), in order, entities resolved, tabs as `\t`. Panics if the XML is
/// not well-formed.
pub fn paragraphs(xml: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_text = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) if e.name().as_ref() == b"w:t" => in_text = true,
            Event::End(e) if e.name().as_ref() == b"w:t" => in_text = false,
            Event::Empty(e) if e.name().as_ref() == b"w:tab" => current.push('\t'),
            Event::End(e) if e.name().as_ref() == b"w:p" => out.push(std::mem::take(&mut current)),
            Event::Text(t) if in_text => current.push_str(&t.decode().expect("UTF-8")),
            Event::GeneralRef(r) if in_text => {
                let entity = format!("&{};", r.decode().expect("UTF-8"));
                let resolved = quick_xml::escape::unescape(&entity).expect("known entity");
                current.push_str(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// All text of the document body, paragraphs joined by newlines.
pub fn text(docx: &[u8]) -> String {
    paragraphs(&document_xml(docx)).join("\n")
}

/// Parses every XML part of the package; panics on the first that is not well-formed.
pub fn assert_well_formed(docx: &[u8]) {
    for name in part_names(docx) {
        if name.ends_with(".xml") || name.ends_with(".rels") {
            let xml = part(docx, &name);
            let mut reader = Reader::from_str(&xml);
            loop {
                match reader.read_event() {
                    Ok(Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("{name} is not well-formed: {e}"),
                }
            }
        }
    }
}
