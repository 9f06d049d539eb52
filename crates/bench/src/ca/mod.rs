//! The CA speed comparison (issue 4 "Speed"): what `bench/ca/run.sh` needs from Rust —
//! seeded orders with a CSR each for issuance through the production API, certificates to
//! ask OCSP about, and a million revoked certificates for the CRL. The script runs
//! `certdesk serve`, cfssl, openssl and wrk around these (`certdesk-cabench`).

pub mod crl;
pub mod csr;
pub mod ocsp;
pub mod orders;
