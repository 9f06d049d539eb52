//! 情况说明书: why a certificate must be replaced (补办), in the applicant's own words, and that the
//! applicant accepts the old certificate being revoked. Sealed by an organisation, signed by an individual.

use docx_rs::{Docx, Paragraph};

use crate::PaperworkError;
use crate::fields::Fields;
use crate::layout::{SignBlock, body, document, fact_line, gap, text, title, value};

pub(crate) fn build(f: &Fields) -> Result<Docx, PaperworkError> {
    if f.replace_reason.is_empty() {
        return Err(PaperworkError::MissingReplaceReason);
    }
    let individual = f.is_individual();
    let who = if individual { "本人" } else { "本单位" };

    let mut facts = if individual {
        vec![
            fact_line(vec![text("持证人："), value(&f.handler_name, 6)]),
            fact_line(vec![
                text("公民身份号码："),
                value(&f.handler_id_number, 12),
            ]),
        ]
    } else {
        vec![
            fact_line(vec![text("持证单位："), value(&f.organisation_name, 16)]),
            fact_line(vec![text("统一社会信用代码："), value(&f.credit_code, 12)]),
        ]
    };
    facts.push(fact_line(vec![
        text("证书类型："),
        value(&f.certificate_type_label, 6),
    ]));
    facts.push(fact_line(vec![
        text("证书序列号："),
        value(&f.certificate_serial, 12),
    ]));
    facts.push(fact_line(vec![
        text("订单编号："),
        value(&f.order_number, 10),
    ]));
    facts.push(if individual {
        fact_line(vec![text("联系电话："), value(&f.handler_mobile, 8)])
    } else {
        fact_line(vec![
            text("经办人："),
            value(&f.handler_name, 6),
            text("　联系电话："),
            value(&f.handler_mobile, 8),
        ])
    });

    let intro = body(vec![
        text(&format!("{who}持有的上述数字证书因以下原因需办理")),
        value(&f.kind_label, 3),
        text("业务："),
    ]);
    let reason = f.replace_reason.iter().map(|line| body(vec![text(line)]));
    let consequences = body(vec![text(&format!(
        "{who}申请注销原数字证书并重新办理。{who}已知悉：原证书注销后即失效，使用原证书加密的文件将无法解密，\
         相关招投标文件须使用新证书重新生成、加密并上传；\
         原证书及其介质丢失、损坏或被他人使用所产生的一切后果由{who}承担。"
    ))]);

    let doc = facts
        .into_iter()
        .fold(
            document().add_paragraph(title("情况说明书")),
            Docx::add_paragraph,
        )
        .add_paragraph(gap())
        .add_paragraph(intro);
    let doc = reason.fold(doc, Docx::add_paragraph);

    let sign = SignBlock::page();
    let signatures: Vec<Paragraph> = if individual {
        vec![sign.line("申请人（签字）：")]
    } else {
        vec![
            sign.line("单位（公章）："),
            sign.line("法定代表人（签字或盖章）："),
        ]
    };
    Ok([consequences, body(vec![text("特此说明。")]), gap(), gap()]
        .into_iter()
        .chain(signatures)
        .chain([sign.date(&f.date)])
        .fold(doc, Docx::add_paragraph))
}
