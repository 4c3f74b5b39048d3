//! The domain model and the rules its values follow.

pub mod catcher;
pub mod caught_request;
pub mod delivery;
pub mod endpoint;
pub mod endpoint_options;
pub mod event;
pub mod filter;
pub mod response_script;
pub mod time;
pub mod time_warp;
pub mod validation;

pub use catcher::*;
pub use caught_request::*;
pub use delivery::*;
pub use endpoint::*;
pub use endpoint_options::*;
pub use event::*;
pub use response_script::ResponseScript;
pub use time_warp::TimeWarp;
pub use validation::ValidationError;
