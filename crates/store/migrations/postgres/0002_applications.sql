-- Applications (orders), their history, documents, payments, notifications, and the
-- configuration admins edit (fees, procedures, required documents, service points,
-- linked platforms, calendar). Nothing about an application is ever deleted (电子签名法 art. 24).

CREATE TABLE order_sequences (
    day TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    order_number TEXT NOT NULL,
    organisation_id TEXT REFERENCES organisations (id),
    applicant_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('new', 'renew', 'replace', 'change', 'inspect', 'cancel')),
    cert_type TEXT NOT NULL CHECK (cert_type IN ('org_master', 'org_staff', 'personal', 'seal')),
    channel TEXT NOT NULL CHECK (channel IN ('online', 'onsite')),
    delivery TEXT NOT NULL CHECK (delivery IN ('mail', 'pickup', 'download')),
    -- The procedure it was created under, e.g. 'fill,pay,review:first,…'.
    procedure TEXT NOT NULL,
    position TEXT NOT NULL CHECK (position IN ('at', 'completed', 'rejected', 'withdrawn')),
    step_index BIGINT NOT NULL,
    -- Derived from the flow, kept for listing and filtering.
    status TEXT NOT NULL CHECK (status IN ('draft', 'returned', 'awaiting_payment', 'awaiting_first_review',
        'awaiting_final_review', 'awaiting_production', 'awaiting_shipment', 'awaiting_pickup', 'shipped',
        'completed', 'rejected', 'withdrawn')),
    amount BIGINT NOT NULL CHECK (amount >= 0),
    paid BIGINT NOT NULL CHECK (paid IN (0, 1)),
    returned BIGINT NOT NULL CHECK (returned IN (0, 1)),
    shipped BIGINT NOT NULL CHECK (shipped IN (0, 1)),
    quantity BIGINT NOT NULL,
    years BIGINT NOT NULL,
    -- Everything the applicant typed, as typed (JSON): a draft is kept even when invalid.
    form TEXT NOT NULL,
    -- The fee breakdown at submission or at the fee-setting review (JSON).
    quote TEXT,
    overdue_months BIGINT,
    overdue_fee BIGINT,
    service_point_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT,
    step_entered_at BIGINT NOT NULL,
    -- SLA due date (YYYY-MM-DD, Shanghai) of the current review, in working days.
    due_on TEXT,
    version BIGINT NOT NULL,
    CONSTRAINT applications_order_number_key UNIQUE (order_number)
);
CREATE INDEX applications_organisation ON applications (organisation_id, created_at);
CREATE INDEX applications_applicant ON applications (applicant_id, created_at);
CREATE INDEX applications_queue ON applications (status, step_entered_at);

CREATE TABLE application_events (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id),
    at BIGINT NOT NULL,
    actor_id TEXT REFERENCES users (id),
    actor_name TEXT NOT NULL,
    transition TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    comment TEXT NOT NULL
);
CREATE INDEX application_events_application ON application_events (application_id, at);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id),
    document_kind TEXT NOT NULL,
    blob_key TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at BIGINT NOT NULL,
    -- Set when a newer upload of the same kind takes its place; never deleted.
    superseded_at BIGINT
);
CREATE INDEX documents_application ON documents (application_id, document_kind);

CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id),
    out_trade_no TEXT NOT NULL,
    provider TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'closed', 'refunded')),
    code_url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    paid_at BIGINT,
    provider_transaction_id TEXT,
    refund_no TEXT,
    refunded_at BIGINT,
    CONSTRAINT payments_out_trade_no_key UNIQUE (out_trade_no)
);
CREATE INDEX payments_application ON payments (application_id);
-- A payment is recorded exactly once: one paid (or later refunded) payment per application.
CREATE UNIQUE INDEX payments_one_paid ON payments (application_id) WHERE status IN ('paid', 'refunded');
-- One open QR code per application: a double click opens one trade.
CREATE UNIQUE INDEX payments_one_pending ON payments (application_id) WHERE status = 'pending';

-- The built-in sandbox provider's own books, as a real gateway keeps them.
CREATE TABLE sandbox_trades (
    out_trade_no TEXT PRIMARY KEY,
    amount BIGINT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('NOTPAY', 'SUCCESS', 'CLOSED', 'REFUND')),
    transaction_id TEXT,
    created_at BIGINT NOT NULL,
    paid_at BIGINT,
    refunded_amount BIGINT NOT NULL
);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    application_id TEXT REFERENCES applications (id),
    at BIGINT NOT NULL,
    message_key TEXT NOT NULL,
    detail TEXT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, at);

-- E-mail is written here in the transaction that caused it; a sender delivers it when
-- SMTP is configured. Without SMTP it stays here for admins to read.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    sent_at BIGINT
);
CREATE INDEX mail_outbox_pending ON mail_outbox (status, at);

-- Configuration that admins edit. Missing rows fall back to the shipped defaults.
CREATE TABLE fee_prices (
    kind TEXT NOT NULL,
    cert_type TEXT NOT NULL,
    channel TEXT NOT NULL,
    price BIGINT NOT NULL CHECK (price >= 0),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, cert_type, channel)
);

CREATE TABLE procedures (
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    steps TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, channel)
);

CREATE TABLE document_requirements (
    kind TEXT NOT NULL,
    cert_type TEXT NOT NULL,
    document_kind TEXT NOT NULL,
    required BIGINT NOT NULL CHECK (required IN (0, 1)),
    PRIMARY KEY (kind, cert_type, document_kind)
);
-- Which (kind, cert_type) pairs an admin has customised: their rows replace the defaults.
CREATE TABLE document_requirement_sets (
    kind TEXT NOT NULL,
    cert_type TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, cert_type)
);

CREATE TABLE service_points (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    hours TEXT NOT NULL,
    phone TEXT NOT NULL,
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    created_at BIGINT NOT NULL,
    CONSTRAINT service_points_name_key UNIQUE (name)
);

CREATE TABLE linked_platforms (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    created_at BIGINT NOT NULL,
    CONSTRAINT linked_platforms_name_key UNIQUE (name)
);

-- Holidays and make-up working days that admins enter for years the built-in tables
-- do not cover (or to correct them): one row per date that differs from Monday–Friday.
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    working BIGINT NOT NULL CHECK (working IN (0, 1)),
    name TEXT NOT NULL
);
