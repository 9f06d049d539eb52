-- 开票信息 and 发票管理: at most one invoice per order, asked for by its applicant (before or
-- after paying) and issued by finance once the order is paid. The request stays editable
-- until it is issued; then finance records the number, the date and the PDF, and for a paper
-- 专票 how it left (邮寄: carrier and tracking number) or that it was picked up (现场领取).
-- Never deleted.
CREATE TABLE invoices (
    application_id TEXT PRIMARY KEY REFERENCES applications (id),
    -- Whose details these are, for "remembered for next time": the organisation's, or for an
    -- individual (no organisation) the applicant's own.
    organisation_id TEXT REFERENCES organisations (id),
    applicant_id TEXT NOT NULL REFERENCES users (id),
    invoice_type TEXT NOT NULL CHECK (invoice_type IN ('e_normal', 'e_special', 'paper_special')),
    buyer_name TEXT NOT NULL,
    tax_id TEXT NOT NULL,
    buyer_address TEXT NOT NULL,
    buyer_phone TEXT NOT NULL,
    bank_name TEXT NOT NULL,
    bank_account TEXT NOT NULL,
    notify_mobile TEXT NOT NULL,
    notify_email TEXT NOT NULL,
    -- Paper only: 邮寄 or 现场领取 at a service point.
    collection TEXT CHECK (collection IN ('mail', 'pickup')),
    service_point_id TEXT REFERENCES service_points (id),
    mail_recipient TEXT NOT NULL,
    mail_phone TEXT NOT NULL,
    mail_address TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'issued', 'shipped', 'collected')),
    -- 发票代码 (paper 专票 only; '' otherwise) and 发票号码, 开票日期 (YYYY-MM-DD).
    invoice_code TEXT NOT NULL DEFAULT '',
    invoice_number TEXT,
    issued_on TEXT,
    pdf_blob_key TEXT,
    pdf_size BIGINT,
    issued_at BIGINT,
    issued_by TEXT REFERENCES users (id),
    carrier TEXT,
    tracking_number TEXT,
    handed_at BIGINT,
    handed_by TEXT REFERENCES users (id),
    requested_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    CHECK (status = 'requested' OR (invoice_number IS NOT NULL AND issued_at IS NOT NULL)),
    CHECK (invoice_type = 'paper_special' OR collection IS NULL)
);
-- 发票号码 is unique (with its 发票代码 for paper ones).
CREATE UNIQUE INDEX invoices_number_key ON invoices (invoice_code, invoice_number)
    WHERE invoice_number IS NOT NULL;
CREATE INDEX invoices_queue ON invoices (status, requested_at);
CREATE INDEX invoices_organisation ON invoices (organisation_id, updated_at);
CREATE INDEX invoices_applicant ON invoices (applicant_id, updated_at);
