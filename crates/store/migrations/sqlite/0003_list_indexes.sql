-- 订单管理 and 代办事宜 on a million orders (crates/bench, README there): each list walks
-- one index in its own order and stops after a page, and counts on the index alone.
-- The id breaks ties in both orders, so it is in the indexes too.

-- 订单管理 of an organisation, newest first; and filtered by status.
DROP INDEX applications_organisation;
CREATE INDEX applications_organisation_created ON applications (organisation_id, created_at, id);
CREATE INDEX applications_organisation_status ON applications (organisation_id, status, created_at, id);

-- 订单管理 of an individual.
DROP INDEX applications_applicant;
CREATE INDEX applications_applicant_created ON applications (applicant_id, created_at, id);

-- 代办事宜: per status, the longest waiting first; due_on lets the overdue filter count
-- without reading the rows.
DROP INDEX applications_queue;
CREATE INDEX applications_waiting ON applications (status, step_entered_at, id, due_on);

-- The staff's order list, newest first.
CREATE INDEX applications_created ON applications (created_at, id);
