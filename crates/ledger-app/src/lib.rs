//! The command path: every change users make — through the API, an import or the command
//! line — goes through [`CommandPath::execute`], which checks who may make it, judges its date,
//! loads the facts it needs from the log, runs the domain's decision, and appends the events
//! with the caller's actor, unit, reason, source document and dating as their envelope
//! (`path` explains each step).
//!
//! Stream ids are `{aggregate type}/{id}` (`unit/so-tu-phap`, `task/kh44-nv-12`), so ids of
//! different kinds never collide in the global log.

pub mod demo;
pub mod error;
pub mod path;
pub mod scenario;

pub use error::AppError;
pub use path::{
    Clock, CommandPath, Outcome, Principal, Request, day_in_vietnam, load, start_of_day,
};

use ledger_domain::command::AnyCommand;
use ledger_store::EventStore;

macro_rules! dispatch {
    ($($name:ident => $variant:ident: $ty:ty),* $(,)?) => {
        impl<S: EventStore> CommandPath<S> {
            /// Runs any command (a scenario step, a mutation) through [`CommandPath::execute`].
            ///
            /// # Errors
            /// As [`CommandPath::execute`].
            pub async fn execute_any(
                &self,
                principal: &Principal,
                request: &Request,
                command: AnyCommand,
            ) -> Result<Outcome, AppError> {
                match command {
                    $(AnyCommand::$variant(c) => self.execute(principal, request, c).await,)*
                }
            }
        }
    };
}

ledger_domain::for_each_command!(dispatch);
