//! certdesk's use cases. One function per user action; each takes the acting
//! person ([`Actor`]), asks [`authz::authorize`] first, runs its writes in one
//! transaction, appends to the audit log, and returns plain data for the web layer.
//! The HTML pages and the JSON API both call these functions: nothing is decided twice.

pub mod accounts;
pub mod admin;
pub mod authz;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod demo;
mod error;
pub mod housekeeping;
pub mod organisations;
mod passwords;
pub mod random;

use std::sync::Arc;

pub use authz::{Action, Actor};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, FieldError, FieldErrors};
pub use random::{OsRandom, Random};
pub use store::Store;

/// Everything a use case needs, injected so tests can fix time and randomness.
#[derive(Clone)]
pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
}

impl App {
    pub fn new(store: Store) -> App {
        App {
            store,
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
        }
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
