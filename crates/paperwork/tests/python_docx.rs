#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A second opinion from python-docx, which parses the package the way Word-compatible tools do. An
//! extra: skipped (with a note) where python-docx is not installed (`pip install python-docx`).

mod support;

use std::path::PathBuf;
use std::process::Command;

use paperwork::{FormData, Template, render};
use support::{ID_NUMBER, individual, organisation};

/// Prints every paragraph, in the body and in table cells, one per line.
const DUMP: &str = r#"
import sys, docx
d = docx.Document(sys.argv[1])
for p in d.paragraphs:
    print(p.text)
for t in d.tables:
    for r in t.rows:
        for c in r.cells:
            for p in c.paragraphs:
                print(p.text)
print("eastAsia=" + str(d.styles.element.xpath("string(//w:docDefaults//w:rFonts/@w:eastAsia)")))
"#;

fn python_docx_available() -> bool {
    Command::new("python3")
        .args(["-c", "import docx"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn dump(template: Template, data: &FormData, name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("paperwork-python-docx");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}", template.file_name()));
    std::fs::write(&path, render(template, data).unwrap()).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(DUMP)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python-docx could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn python_docx_reads_every_form() {
    if !python_docx_available() {
        eprintln!("skipped: python-docx is not installed (pip install python-docx)");
        return;
    }
    let org = organisation();
    for template in Template::ALL {
        let text = dump(template, &org, "organisation");
        for expected in [
            template.title(),
            "演示测试企业有限公司",
            "李经办",
            "CA202611210001",
            "日期：2026年11月21日",
            "eastAsia=宋体",
        ] {
            assert!(
                text.contains(expected),
                "{template}: missing {expected:?} in\n{text}"
            );
        }
    }
    let statement = dump(Template::Statement, &org, "organisation");
    assert!(
        statement.lines().any(|l| l == "证书介质丢失"),
        "{statement}"
    );

    let person = dump(Template::ApplicationForm, &individual(), "individual");
    assert!(
        person.contains("申请人（签字）：") && person.contains(ID_NUMBER),
        "{person}"
    );
}

#[test]
fn python_docx_reads_escaped_input_back_as_typed() {
    if !python_docx_available() {
        eprintln!("skipped: python-docx is not installed (pip install python-docx)");
        return;
    }
    let d = FormData {
        organisation_name: "A&B <C> \"D\" 公司".into(),
        // A control character would make the XML ill-formed, and lxml (like Word) refuse the file.
        handler_name: "李\u{1}经\u{1b}办".into(),
        replace_reason: Some("x < y & z".into()),
        ..organisation()
    };
    for template in Template::ALL {
        let text = dump(template, &d, "escaped");
        assert!(text.contains("A&B <C> \"D\" 公司"), "{template}:\n{text}");
        assert!(text.contains("李经办"), "{template}:\n{text}");
    }
    let statement = dump(Template::Statement, &d, "escaped");
    assert!(statement.lines().any(|l| l == "x < y & z"), "{statement}");
}
