//! 法人授权委托书: the organisation, through its legal representative, authorises the handler (经办人) to
//! apply for CA certificates on its behalf. Sealed with the 公章 and signed by the 法定代表人.

use docx_rs::{AlignmentType, Docx, Paragraph};

use crate::PaperworkError;
use crate::fields::Fields;
use crate::layout::{
    SignBlock, TEXT_WIDTH, body, cell, document, fact_line, gap, grid_table, row, small, text,
    title, value,
};

pub(crate) fn build(f: &Fields) -> Result<Docx, PaperworkError> {
    if f.is_individual() {
        return Err(PaperworkError::MissingOrganisation);
    }
    let doc = document().add_paragraph(title("法人授权委托书"));
    let doc = parties(f)
        .into_iter()
        .fold(doc, Docx::add_paragraph)
        .add_paragraph(gap());
    let doc = mandate(f).into_iter().fold(doc, Docx::add_paragraph);
    let sign = SignBlock::page();
    Ok(doc
        .add_table(id_copy_boxes())
        .add_paragraph(gap())
        .add_paragraph(sign.line("委托单位（公章）："))
        .add_paragraph(sign.line("法定代表人（签字或盖章）："))
        .add_paragraph(sign.line("被委托人（签字）："))
        .add_paragraph(sign.date(&f.date)))
}

/// Who gives the mandate and who receives it, one fact a line.
fn parties(f: &Fields) -> Vec<Paragraph> {
    vec![
        fact_line(vec![text("委托单位："), value(&f.organisation_name, 16)]),
        fact_line(vec![text("统一社会信用代码："), value(&f.credit_code, 12)]),
        fact_line(vec![text("单位地址："), value(&f.organisation_address, 16)]),
        fact_line(vec![
            text("法定代表人："),
            value(&f.legal_representative, 6),
        ]),
        fact_line(vec![
            text("被委托人（经办人）："),
            value(&f.handler_name, 6),
        ]),
        fact_line(vec![
            text("公民身份号码："),
            value(&f.handler_id_number, 12),
        ]),
        fact_line(vec![
            text("手机号码："),
            value(&f.handler_mobile, 8),
            text("　电子邮箱："),
            value(&f.handler_email, 10),
        ]),
    ]
}

/// What the handler may do, and that the organisation stands by it.
fn mandate(f: &Fields) -> Vec<Paragraph> {
    let mut what = vec![
        text("现委托上述被委托人作为本单位经办人，代表本单位办理数字证书（CA证书）"),
        value(&f.kind_label, 3),
        text("业务（订单编号："),
        value(&f.order_number, 8),
        text("；证书类型："),
        value(&f.certificate_type_label, 4),
        text("；数量："),
        value(&f.quantity, 2),
    ];
    if !f.certificate_serial.is_empty() {
        what.push(text("；原证书序列号："));
        what.push(value(&f.certificate_serial, 8));
    }
    what.push(text(
        "），包括提交、签署申请材料，缴纳费用，领取数字证书及其介质等事宜。",
    ));
    vec![
        body(what),
        body(vec![text(
            "被委托人在上述委托权限内所签署的文件和办理的相关事宜，本单位均予以承认，并承担由此产生的法律责任。",
        )]),
        body(vec![text(
            "委托期限：自本委托书签署之日起至上述业务办结之日止。被委托人无转委托权。",
        )]),
        body(vec![text("特此委托。")]),
    ]
}

/// Where the copies of both ID cards are pasted before sealing across them.
fn id_copy_boxes() -> docx_rs::Table {
    let half = TEXT_WIDTH / 2;
    let hint = |s: &str| {
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(small(s).color("808080"))
    };
    grid_table(
        vec![row(
            vec![
                cell(
                    vec![hint("法定代表人身份证复印件粘贴处"), hint("（正反面）")],
                    half,
                    1,
                ),
                cell(
                    vec![hint("被委托人身份证复印件粘贴处"), hint("（正反面）")],
                    half,
                    1,
                ),
            ],
            2400.0,
        )],
        &[half, half],
    )
}
