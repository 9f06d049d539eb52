#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use paperwork::{FormData, PaperworkError, Template, render};
use support::{ID_NUMBER, assert_well_formed, document_xml, individual, organisation, paragraphs};

fn render_text(template: Template, data: &FormData) -> String {
    let docx = render(template, data).unwrap();
    assert_well_formed(&docx);
    support::text(&docx)
}

/// Counts non-overlapping occurrences.
fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn every_template_is_a_word_package_titled_as_its_template() {
    let data = organisation();
    for template in Template::ALL {
        let docx = render(template, &data).unwrap();
        assert_eq!(&docx[..4], b"PK\x03\x04", "{template}: a zip archive");
        let parts = support::part_names(&docx);
        for needed in [
            "[Content_Types].xml",
            "_rels/.rels",
            "word/document.xml",
            "word/_rels/document.xml.rels",
            "word/styles.xml",
        ] {
            assert!(parts.iter().any(|p| p == needed), "{template}: no {needed}");
        }
        assert_well_formed(&docx);
        let paragraphs = paragraphs(&document_xml(&docx));
        assert_eq!(paragraphs[0], template.title(), "{template}: heading first");
    }
}

#[test]
fn names_and_titles_are_distinct() {
    let names: std::collections::HashSet<_> =
        Template::ALL.iter().map(Template::file_name).collect();
    assert_eq!(names.len(), 3);
    for t in Template::ALL {
        assert_eq!(t.file_name(), format!("{}.docx", t.title()));
        assert_eq!(t.to_string(), t.title());
    }
    assert_eq!(Template::PowerOfAttorney.file_name(), "法人授权委托书.docx");
}

#[test]
fn chinese_text_is_set_in_an_east_asian_font() {
    let docx = render(Template::ApplicationForm, &organisation()).unwrap();
    let styles = support::part(&docx, "word/styles.xml");
    assert!(styles.contains(r#"w:eastAsia="宋体""#), "{styles}");
    assert!(styles.contains(r#"w:hint="eastAsia""#), "{styles}");
    let document = document_xml(&docx);
    assert!(
        document.contains(r#"w:eastAsia="黑体""#),
        "the heading in 黑体"
    );
}

#[test]
fn power_of_attorney_names_both_parties_and_the_mandate() {
    let d = organisation();
    let text = render_text(Template::PowerOfAttorney, &d);
    for expected in [
        "演示测试企业有限公司",
        "91210000MA0TEST00X",
        "辽宁省沈阳市和平区南京北街1号",
        "王法人",
        "李经办",
        ID_NUMBER,
        "13800138000",
        "li@example.com",
        "CA202611210001",
        "补办",
        "单位主锁",
        "JK2025000123",
        "委托单位（公章）：",
        "法定代表人（签字或盖章）：",
        "被委托人（签字）：",
        "日期：2026年11月21日",
        "身份证复印件粘贴处",
        "被委托人无转委托权",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn power_of_attorney_is_only_for_organisations() {
    let err = render(Template::PowerOfAttorney, &individual()).unwrap_err();
    assert!(
        matches!(err, PaperworkError::MissingOrganisation),
        "{err:?}"
    );
    let blank_name = FormData {
        organisation_name: " \u{3000}\n".into(),
        ..organisation()
    };
    assert!(matches!(
        render(Template::PowerOfAttorney, &blank_name),
        Err(PaperworkError::MissingOrganisation)
    ));
}

#[test]
fn application_form_for_an_organisation() {
    let text = render_text(Template::ApplicationForm, &organisation());
    for expected in [
        "一、申请单位信息",
        "单位名称",
        "演示测试企业有限公司",
        "统一社会信用代码",
        "91210000MA0TEST00X",
        "法定代表人",
        "王法人",
        "二、经办人信息",
        "李经办",
        ID_NUMBER,
        "13800138000",
        "li@example.com",
        "三、证书申请信息",
        "CA202611210001",
        "补办",
        "单位主锁",
        "2年",
        "原证书序列号",
        "JK2025000123",
        "补办原因",
        "证书介质丢失",
        "四、申请单位声明",
        "本单位承诺",
        "单位（公章）：",
        "经办人（签字）：",
        "日期：2026年11月21日",
        "五、以下由CA机构填写",
        "审核意见",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn application_form_for_an_individual_speaks_of_the_applicant() {
    let text = render_text(Template::ApplicationForm, &individual());
    for expected in [
        "一、申请人信息",
        "赵个人",
        ID_NUMBER,
        "二、证书申请信息",
        "新办",
        "个人锁",
        "三、申请人声明",
        "本人承诺",
        "申请人（签字）：",
        "四、以下由CA机构填写",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    for absent in [
        "单位",
        "公章",
        "法定代表人",
        "经办人",
        "原证书序列号",
        "补办原因",
    ] {
        assert!(
            !text.contains(absent),
            "{absent:?} on an individual's form\n{text}"
        );
    }
}

#[test]
fn statement_carries_the_reason_line_by_line() {
    let d = organisation();
    let docx = render(Template::Statement, &d).unwrap();
    let paragraphs = paragraphs(&document_xml(&docx));
    assert!(
        paragraphs.iter().any(|p| p == "证书介质丢失"),
        "{paragraphs:#?}"
    );
    assert!(
        paragraphs.iter().any(|p| p == "已于2026年11月20日挂失"),
        "{paragraphs:#?}"
    );
    let text = paragraphs.join("\n");
    for expected in [
        "演示测试企业有限公司",
        "91210000MA0TEST00X",
        "单位主锁",
        "JK2025000123",
        "补办",
        "CA202611210001",
        "李经办",
        "13800138000",
        "特此说明。",
        "单位（公章）：",
        "法定代表人（签字或盖章）：",
        "日期：2026年11月21日",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(
        !text.contains(ID_NUMBER),
        "an organisation's statement names no ID number"
    );
}

#[test]
fn statement_of_an_individual_is_signed_not_sealed() {
    let d = FormData {
        replace_reason: Some("USB-KEY损坏".into()),
        certificate_serial: Some("SN-1".into()),
        kind_label: "补办".into(),
        ..individual()
    };
    let text = render_text(Template::Statement, &d);
    for expected in [
        "本人",
        "赵个人",
        ID_NUMBER,
        "USB-KEY损坏",
        "SN-1",
        "申请人（签字）：",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    for absent in ["本单位", "公章", "经办人"] {
        assert!(
            !text.contains(absent),
            "{absent:?} on an individual's statement\n{text}"
        );
    }
}

#[test]
fn statement_needs_a_reason() {
    for reason in [None, Some(String::new()), Some(" \r\n\t ".into())] {
        let d = FormData {
            replace_reason: reason.clone(),
            ..organisation()
        };
        let err = render(Template::Statement, &d).unwrap_err();
        assert!(
            matches!(err, PaperworkError::MissingReplaceReason),
            "{reason:?}: {err:?}"
        );
    }
}

#[test]
fn xml_special_characters_are_escaped() {
    let tricky = "A&B <C> \"D\" 'E' </w:t></w:r>";
    let d = FormData {
        organisation_name: format!("{tricky}公司"),
        handler_name: "O'Brien & <Sons>".into(),
        order_number: "<order>&amp;".into(),
        replace_reason: Some(format!("原因 {tricky}")),
        certificate_serial: Some("\"quoted\"".into()),
        ..organisation()
    };
    for template in Template::ALL {
        let docx = render(template, &d).unwrap();
        let xml = document_xml(&docx);
        assert!(
            xml.contains("A&amp;B &lt;C&gt; &quot;D&quot; &apos;E&apos; &lt;/w:t&gt;&lt;/w:r&gt;"),
            "{template}: escaped in the XML"
        );
        assert!(!xml.contains("<C>") && !xml.contains("<order>") && !xml.contains("<Sons>"));
        // An `&amp;` typed by the user is text, not an entity: it is escaped once more.
        assert!(xml.contains("&lt;order&gt;&amp;amp;"), "{template}");

        // Read back by a parser, the user sees exactly what was typed.
        assert_well_formed(&docx);
        let text = support::text(&docx);
        assert!(
            text.contains(&format!("{tricky}公司")),
            "{template}:\n{text}"
        );
        assert!(text.contains("O'Brien & <Sons>"), "{template}:\n{text}");
        assert!(text.contains("<order>&amp;"), "{template}:\n{text}");
        if template != Template::PowerOfAttorney {
            assert!(text.contains("\"quoted\""), "{template}:\n{text}");
        }
    }
}

#[test]
fn characters_xml_cannot_hold_are_dropped() {
    let d = FormData {
        organisation_name: "演示\u{0}测试\u{1b}[31m企业\u{ffff}".into(),
        handler_name: "李\u{8}经办".into(),
        replace_reason: Some("丢\u{7}失".into()),
        ..organisation()
    };
    for template in Template::ALL {
        let docx = render(template, &d).unwrap();
        let xml = document_xml(&docx);
        assert!(!xml.contains(['\u{0}', '\u{1b}', '\u{8}', '\u{7}', '\u{ffff}']));
        let text = support::text(&docx);
        assert!(text.contains("演示测试[31m企业"), "{template}:\n{text}");
        assert!(text.contains("李经办"), "{template}:\n{text}");
    }
}

#[test]
fn empty_fields_leave_blanks_to_fill_in_by_hand() {
    let d = FormData {
        organisation_name: "某单位".into(),
        replace_reason: Some("证书丢失".into()),
        ..FormData::default()
    };
    for template in Template::ALL {
        let text = render_text(template, &d);
        assert!(text.contains("某单位"), "{template}");
        // The date line becomes 年 月 日 with room to write.
        assert!(
            text.contains("日期：\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}"),
            "{template}:\n{text}"
        );
        assert!(text.contains('年') && text.contains('月'), "{template}");
    }
    // Inline blanks are underlined runs of no-break spaces, not nothing.
    let xml = document_xml(&render(Template::PowerOfAttorney, &d).unwrap());
    assert!(
        count(&xml, r#"<w:u w:val="single" />"#) >= 5,
        "underlined blanks"
    );
    assert!(xml.contains("\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}"));
}

#[test]
fn line_breaks_in_single_line_fields_do_not_break_the_form() {
    let d = FormData {
        organisation_address: "第一行\r\n第二行".into(),
        ..organisation()
    };
    let text = render_text(Template::ApplicationForm, &d);
    assert!(text.contains("第一行 第二行"), "{text}");
}

#[test]
fn signature_lines_are_tab_leaders_to_the_margin() {
    let xml = document_xml(&render(Template::Statement, &organisation()).unwrap());
    assert!(xml.contains(r#"w:leader="underscore""#), "{xml}");
}

#[test]
fn debug_output_hides_personal_contact_data() {
    let shown = format!("{:?}", organisation());
    assert!(shown.contains("演示测试企业有限公司"));
    for secret in [ID_NUMBER, "13800138000", "li@example.com"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[test]
fn rendering_is_deterministic() {
    let d = organisation();
    for template in Template::ALL {
        assert_eq!(
            render(template, &d).unwrap(),
            render(template, &d).unwrap(),
            "{template}"
        );
    }
}
