pub mod endpoints;
pub mod events;
pub mod run;
pub mod trigger;
pub mod verify;
