//! certdesk's use cases. One function per user action; each takes the acting
//! person ([`Actor`]), asks [`authz::authorize`] first, runs its writes in one
//! transaction, appends to the audit log, and returns plain data for the web layer.
//! The HTML pages and the JSON API both call these functions: nothing is decided twice.

pub mod accounts;
pub mod admin;
pub mod applications;
pub mod authz;
pub mod ca;
pub mod certificates;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod demo;
mod error;
pub mod housekeeping;
pub mod interconnect;
pub mod invoices;
pub mod notifications;
pub mod organisations;
pub mod outbox;
mod passwords;
pub mod payments;
pub mod random;
pub mod reminders;

use std::sync::Arc;

pub use authz::{Action, Actor, Owner};
pub use blobs::BlobStore;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, FieldError, FieldErrors};
pub use random::{OsRandom, Random};
pub use store::Store;

/// Everything a use case needs, injected so tests can fix time and randomness.
#[derive(Clone)]
pub struct App {
    store: Store,
    blobs: BlobStore,
    payments: Arc<payments::Providers>,
    /// How long a payment code can be paid before a new one is opened.
    payment_validity: jiff::SignedDuration,
    /// This instance, as the holder of job leases (reconciliation).
    instance: String,
    /// Where people reach this service, for links in e-mails and payment codes.
    public_url: String,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    /// The certificate authority, once initialised and loaded ([`App::with_ca`]).
    ca: Option<Arc<ca::Ca>>,
    /// The group-committing writer of productions (制证), started on first use.
    production: applications::Writer,
}

impl App {
    /// The app on `store` and `blobs`, with the sandbox payment provider and the
    /// system clock. `public_url` is how people reach the service (no trailing slash).
    pub fn new(store: Store, blobs: BlobStore, public_url: &str) -> App {
        let public_url = public_url.trim_end_matches('/').to_owned();
        App {
            payments: Arc::new(payments::Providers::new(vec![Arc::new(
                payments::Sandbox::new(store.clone(), &public_url),
            )])),
            payment_validity: jiff::SignedDuration::from_hours(2),
            instance: uuid::Uuid::new_v4().to_string(),
            store,
            blobs,
            public_url,
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            ca: None,
            production: applications::Writer::default(),
        }
    }

    /// The payment providers offered, in the order payers see them (the first is the
    /// default). At least one: an empty list keeps the current ones.
    pub fn with_payments(mut self, providers: Vec<Arc<dyn payments::Provider>>) -> App {
        if !providers.is_empty() {
            self.payments = Arc::new(payments::Providers::new(providers));
        }
        self
    }

    /// Names this instance as the holder of job leases (default: a random UUID). Two
    /// instances sharing a database must have different names.
    pub fn with_instance(mut self, name: &str) -> App {
        self.instance = name.to_owned();
        self
    }

    /// How long a payment code can be paid (default two hours).
    pub fn with_payment_validity(mut self, validity: jiff::SignedDuration) -> App {
        self.payment_validity = validity;
        self
    }

    /// The payment providers offered, by name, default first.
    pub fn payment_providers(&self) -> Vec<&'static str> {
        self.payments.names()
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> App {
        self.clock = clock;
        self
    }

    pub fn with_random(mut self, random: Arc<dyn Random>) -> App {
        self.random = random;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
