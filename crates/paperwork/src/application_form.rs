//! CA证书申请表: a table of who applies, who handles the application and which certificates are asked
//! for, a declaration to seal and sign, and a part left for the CA's staff. An individual gets the same
//! form with the applicant in place of the organisation and handler.

use docx_rs::{Docx, Paragraph, TableRow};

use crate::fields::Fields;
use crate::layout::{
    SignBlock, TEXT_WIDTH, cell, cell_body, document, grid_table, label_cell, row, section_cell,
    small, title, value_cell,
};

/// Label, value, label, value. The first label column fits 统一社会信用代码, the first value column an
/// 18-character ID number, the second label column five characters.
const LABEL: usize = 2000;
const VALUE: usize = 2700;
const LABEL2: usize = 1500;
const VALUE2: usize = TEXT_WIDTH - LABEL - VALUE - LABEL2;
/// A value spanning the three columns after its label.
const WIDE: usize = TEXT_WIDTH - LABEL;
const ROW: f32 = 460.0;

pub(crate) fn build(f: &Fields) -> Docx {
    let individual = f.is_individual();
    let mut rows = Vec::new();
    let mut number = Numbering::default();

    if individual {
        rows.push(section(&number.next("申请人信息")));
        rows.push(pair("姓名", &f.handler_name, "手机号码", &f.handler_mobile));
        rows.push(pair(
            "公民身份号码",
            &f.handler_id_number,
            "电子邮箱",
            &f.handler_email,
        ));
        if !f.organisation_address.is_empty() {
            rows.push(wide("联系地址", &f.organisation_address));
        }
    } else {
        rows.push(section(&number.next("申请单位信息")));
        rows.push(wide("单位名称", &f.organisation_name));
        rows.push(pair(
            "统一社会信用代码",
            &f.credit_code,
            "法定代表人",
            &f.legal_representative,
        ));
        rows.push(wide("单位地址", &f.organisation_address));
        rows.push(section(&number.next("经办人信息")));
        rows.push(pair("姓名", &f.handler_name, "手机号码", &f.handler_mobile));
        rows.push(pair(
            "公民身份号码",
            &f.handler_id_number,
            "电子邮箱",
            &f.handler_email,
        ));
    }

    rows.push(section(&number.next("证书申请信息")));
    rows.push(pair("订单编号", &f.order_number, "申请日期", &f.date));
    rows.push(pair(
        "业务类型",
        &f.kind_label,
        "证书类型",
        &f.certificate_type_label,
    ));
    rows.push(pair("申请数量", &f.quantity, "有效期", &f.years));
    if !f.certificate_serial.is_empty() {
        rows.push(wide("原证书序列号", &f.certificate_serial));
    }
    if !f.replace_reason.is_empty() {
        let lines = f
            .replace_reason
            .iter()
            .map(|l| Paragraph::new().add_run(small(l)))
            .collect();
        rows.push(row(
            vec![label_cell("补办原因", LABEL), cell(lines, WIDE, 3)],
            ROW,
        ));
    }

    rows.push(section(&number.next(if individual {
        "申请人声明"
    } else {
        "申请单位声明"
    })));
    rows.push(row(vec![declaration(f, individual)], ROW));

    rows.push(section(&number.next("以下由CA机构填写")));
    rows.push(pair("受理人", "", "受理日期", ""));
    rows.push(row(
        vec![label_cell("审核意见", LABEL), value_cell("", WIDE, 3)],
        1200.0,
    ));

    document()
        .add_paragraph(title("CA证书申请表"))
        .add_table(grid_table(rows, &[LABEL, VALUE, LABEL2, VALUE2]))
}

/// The promise the applicant seals and signs, with the lines to do it on.
fn declaration(f: &Fields, individual: bool) -> docx_rs::TableCell {
    let who = if individual { "本人" } else { "本单位" };
    let promise = cell_body(vec![small(&format!(
        "{who}承诺：本表所填信息及所提交的申请材料真实、准确、完整；已阅读并同意遵守数字证书服务协议及证书策略；\
         将妥善保管数字证书、介质及其口令，因保管不善或违规使用造成的后果由{who}承担。"
    ))]);
    let sign = SignBlock::full_width_cell();
    let mut paragraphs = vec![promise];
    if individual {
        paragraphs.push(sign.line("申请人（签字）："));
    } else {
        paragraphs.push(sign.line("单位（公章）："));
        paragraphs.push(sign.line("法定代表人（签字或盖章）："));
        paragraphs.push(sign.line("经办人（签字）："));
    }
    paragraphs.push(sign.date(&f.date));
    cell(paragraphs, TEXT_WIDTH, 4)
}

fn section(title: &str) -> TableRow {
    row(vec![section_cell(title, TEXT_WIDTH, 4)], ROW)
}

fn pair(label1: &str, value1: &str, label2: &str, value2: &str) -> TableRow {
    row(
        vec![
            label_cell(label1, LABEL),
            value_cell(value1, VALUE, 1),
            label_cell(label2, LABEL2),
            value_cell(value2, VALUE2, 1),
        ],
        ROW,
    )
}

fn wide(label: &str, value: &str) -> TableRow {
    row(
        vec![label_cell(label, LABEL), value_cell(value, WIDE, 3)],
        ROW,
    )
}

/// 一、二、三… for the parts of the form, which differ between organisations and individuals.
#[derive(Default)]
struct Numbering(usize);

impl Numbering {
    fn next(&mut self, title: &str) -> String {
        const NUMERALS: [&str; 9] = ["一", "二", "三", "四", "五", "六", "七", "八", "九"];
        let numeral = NUMERALS.get(self.0).copied().unwrap_or("十");
        self.0 += 1;
        format!("{numeral}、{title}")
    }
}
